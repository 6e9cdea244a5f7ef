/**
 * The HTTP edge cases the fuzz (test/fuzz/inference.test.ts) found, pinned one by one over a raw
 * socket against the compiled service: bodies that are not UTF-8 or nest too deep, answers Node
 * or Fastify used to give without a catalogued `code` (malformed HTTP, oversized headers, an
 * undecodable URL, CONNECT, a missing Host), and a client still sending when the answer comes.
 */
import t from 'tap';
import { clientErrorResponse } from '../../services/inference/src/http/protocol-errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../services/inference/src/http/json-body.js';
import { encodeRequest, mapLimit, rawExchange, type RawResponse } from '../helpers/fuzz-http.js';
import { makeScratch, startInference } from '../helpers/fuzz-stack.js';

const scratch = makeScratch('security-http-');
t.teardown(() => scratch.cleanup());

function json(r: RawResponse): { statusCode: number; code: string; message: string } {
  return JSON.parse(r.body.toString('utf8')) as { statusCode: number; code: string; message: string };
}

t.test('nesting depth is counted outside strings only', async (t) => {
  t.notOk(nestsDeeperThan(`{"text":"${'['.repeat(1000)}"}`, MAX_JSON_DEPTH), 'brackets inside a string');
  t.notOk(nestsDeeperThan(`{"text":"a\\"[[[","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`, MAX_JSON_DEPTH), 'an escaped quote does not end the string; exactly the limit');
  t.ok(nestsDeeperThan(`{"x":${'['.repeat(MAX_JSON_DEPTH)}`, MAX_JSON_DEPTH), 'one level more');
  t.match(clientErrorResponse(Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })), /^HTTP\/1\.1 408 [\s\S]*"code":"REQUEST_TIMEOUT"/, 'a request timeout is a 408 REQUEST_TIMEOUT');
});

t.test('edge cases over a raw socket', async (t) => {
  const svc = await startInference(scratch, { env: { EVENTS_ENABLED: 'false' } });
  t.teardown(() => svc.stop());
  const host = `127.0.0.1:${svc.port}`;
  const post = (body: Buffer, headers: Array<[string, string]> = []) =>
    encodeRequest({ method: 'POST', target: '/predict', headers: [['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ['Connection', 'close'], ...headers], body }, host);
  const send = async (bytes: Buffer): Promise<RawResponse> => {
    const r = await rawExchange(svc.port, bytes, { timeoutMs: 30_000 });
    if (!r.ok) throw new Error(`no answer: ${r.error}`);
    return r.response;
  };

  const invalid = await send(post(Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')])));
  t.match({ status: invalid.status, ...json(invalid) }, { status: 400, code: 'INVALID_JSON', message: /UTF-8/ }, 'a latin-1 byte in the body: 400 INVALID_JSON, not a guess');
  const surrogate = await send(post(Buffer.from('{"text":"lone \\ud800 surrogate"}')));
  t.equal(surrogate.status, 200, 'a JSON escape of a lone surrogate is valid JSON: classified');

  const deep = Buffer.from(`{"text":${'['.repeat(500_000)}`);
  const started = Date.now();
  const deepAnswer = await send(post(deep));
  const deepMs = Date.now() - started;
  t.match({ status: deepAnswer.status, ...json(deepAnswer) }, { status: 400, code: 'INVALID_JSON', message: /nests deeper than 32/ }, '500,000 open brackets: 400 INVALID_JSON');
  const inString = await send(post(Buffer.from(JSON.stringify({ text: `${'['.repeat(5000)} free money` }))));
  t.equal(inString.status, 200, 'brackets inside the text are just text');

  const bigHeader = await send(post(Buffer.alloc(800_000, 0x5b), [['X-Big', 'b'.repeat(20_000)]]));
  t.match({ status: bigHeader.status, ...json(bigHeader) }, { status: 431, code: 'HEADERS_TOO_LARGE' }, '20 KB of headers (and 800 KB of body still coming): 431 HEADERS_TOO_LARGE, received');

  // Refused before the body is read, with most of a 3 MiB body still on its way: the answer must
  // arrive anyway (the socket lingers instead of resetting), with or without keep-alive, whatever
  // refused it: the body limit (413), the media type (415, with none, a foreign one or a chunked
  // body), no route (404), the wrong method (405). Before the fix about a quarter of the closing
  // ones lost their answer, and only at this concurrency: a dozen at a time often all passed.
  const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
  const early: Array<{ name: string; status: number; method: string; target: string; headers: Array<[string, string]>; body: Buffer }> = [
    { name: 'too large', status: 413, method: 'POST', target: '/predict', headers: [['Content-Type', 'application/json'], ['Content-Length', String(big.length)]], body: big },
    { name: 'no media type', status: 415, method: 'POST', target: '/predict', headers: [['Content-Length', String(big.length)]], body: big },
    { name: 'foreign media type', status: 415, method: 'POST', target: '/invocations', headers: [['Content-Type', 'application/xml'], ['Content-Length', String(big.length)]], body: big },
    { name: 'chunked, foreign media type', status: 415, method: 'POST', target: '/invocations', headers: [['Content-Type', '*/*'], ['Transfer-Encoding', 'chunked']], body: Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big]) },
    { name: 'no route', status: 404, method: 'POST', target: '/nowhere', headers: [['Content-Type', 'application/json'], ['Content-Length', String(big.length)]], body: big },
    { name: 'wrong method', status: 405, method: 'GET', target: '/predict', headers: [['Content-Type', 'application/json'], ['Content-Length', String(big.length)]], body: big },
  ];
  const rounds = 8;
  const jobs = Array.from({ length: early.length * 2 * rounds }, (_, i) => ({ c: early[i % early.length]!, close: Math.floor(i / early.length) % 2 === 0 }));
  const answers = await mapLimit(jobs, 16, async ({ c, close }) => {
    const headers: Array<[string, string]> = close ? [...c.headers, ['Connection', 'close']] : c.headers;
    const r = await rawExchange(svc.port, encodeRequest({ method: c.method, target: c.target, headers, body: c.body }, host), { timeoutMs: 30_000 });
    return `${c.name}${close ? ', closing' : ''}: ${r.ok ? r.response.status : `no answer (${r.error})`}`;
  });
  const expected = jobs.map(({ c, close }) => `${c.name}${close ? ', closing' : ''}: ${c.status}`);
  t.same(answers, expected, `${jobs.length} requests refused early with 3 MiB still coming, 16 at a time: every client got its answer`);

  const badLine = await send(Buffer.from('GET / HTTP/9.9\r\nHost: x\r\n\r\n'));
  t.match({ status: badLine.status, ...json(badLine) }, { status: 400, code: 'INVALID_REQUEST' }, 'a broken request line: 400 INVALID_REQUEST');
  const smuggle = await send(Buffer.from('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
  t.match({ status: smuggle.status, ...json(smuggle) }, { status: 400, code: 'INVALID_REQUEST' }, 'Content-Length with Transfer-Encoding: refused');

  const badUrl = await send(Buffer.from('GET /zz/%ff%fe<script> HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.match({ status: badUrl.status, ...json(badUrl) }, { status: 400, code: 'INVALID_REQUEST', message: 'the URL is not valid' }, 'an undecodable URL: 400 INVALID_REQUEST');
  t.notMatch(badUrl.body.toString(), /script|%ff/, 'the URL is not echoed back');

  const connectAnswer = await send(Buffer.from('CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'));
  t.match({ status: connectAnswer.status, ...json(connectAnswer) }, { status: 405, code: 'METHOD_NOT_ALLOWED' }, 'CONNECT: 405, not a silent close');

  const noHost = await send(encodeRequest({ method: 'GET', target: '/health', headers: [['Connection', 'close']], noHost: true }, host));
  t.match({ status: noHost.status, ...json(noHost) }, { status: 400, code: 'INVALID_REQUEST', message: /Host/ }, 'HTTP/1.1 without Host: 400 in the error shape');
  const http10 = await send(Buffer.from('GET /health HTTP/1.0\r\n\r\n'));
  t.equal(http10.status, 200, 'HTTP/1.0 needs no Host');

  for (const r of [invalid, deepAnswer, bigHeader, badLine, smuggle, badUrl, connectAnswer, noHost]) {
    t.match(r.headers['content-type'], /^application\/json/);
    t.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  t.equal(svc.child.exitCode, null, 'still up');
  t.comment(`FIGURE http edges: 500,000-level body refused in ${deepMs} ms end to end (before the fix V8 spent ~5 us per level: ~2.5 s of blocked event loop); every pre-routing answer has a catalogued code`);
});

// A body that stalls after complete headers is cut by Node after 60 s whatever REQUEST_TIMEOUT_MS
// says (measured; docs/reliability.md): too slow to pin here.
t.test('a client that stalls in its headers gets 408 REQUEST_TIMEOUT close to REQUEST_TIMEOUT_MS', async (t) => {
  const svc = await startInference(scratch, { env: { EVENTS_ENABLED: 'false', REQUEST_TIMEOUT_MS: '1000' } });
  t.teardown(() => svc.stop());
  const cases: Array<[string, string]> = [
    ['headers that never end', 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: appl'],
    ['a request line that never ends', 'POST /predi'],
  ];
  const waited: string[] = [];
  for (const [name, bytes] of cases) {
    const started = Date.now();
    const r = await rawExchange(svc.port, Buffer.from(bytes), { timeoutMs: 15_000 });
    t.ok(r.ok, `${name}: answered`);
    if (!r.ok) continue;
    t.match({ status: r.response.status, ...json(r.response) }, { status: 408, code: 'REQUEST_TIMEOUT' }, `${name}: 408 REQUEST_TIMEOUT`);
    waited.push(`${name} ${Date.now() - started} ms`);
  }
  t.equal(svc.child.exitCode, null, 'still up');
  t.comment(`FIGURE stalled clients with REQUEST_TIMEOUT_MS=1000: ${waited.join('; ')} (Node's default 30 s check interval used to stretch this to up to 31 s)`);
});

