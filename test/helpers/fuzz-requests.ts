/**
 * fast-check arbitraries of hostile HTTP requests for the inference service: random bytes,
 * broken and deeply nested JSON, wrong types, huge strings, invalid UTF-8, wrong content types
 * and methods, oversized bodies, batch edge cases and header abuse.
 *
 * Each case says which event route the service must report it under if Fastify answers it (so
 * the test can compare the exporter's counters with its own tally) and whether a 2xx is an
 * acceptable answer (only for cases that may be valid by construction, e.g. a text at the cap).
 */
import fc from 'fast-check';
import type { EventRoute } from '../../shared/events.js';
import type { RawRequestSpec } from './fuzz-http.js';

export interface Limits {
  maxTextChars: number;
  maxBatchSize: number;
  bodyLimitBytes: number;
}

export const DEFAULT_LIMITS: Limits = { maxTextChars: 100_000, maxBatchSize: 64, bodyLimitBytes: 1024 * 1024 };

export interface FuzzCase {
  kind: string;
  spec: RawRequestSpec;
  /** The event route if Fastify routes it (POST on a prediction route, or any method elsewhere). */
  route: EventRoute;
  /** A 2xx answer is acceptable (the request may be valid). Otherwise it must be a 4xx. */
  mayPass: boolean;
  head: boolean;
}

const POST_ROUTES = ['/predict', '/invocations', '/feedback'] as const;

const GET_ROUTES = ['/', '/health', '/ready', '/model', '/metrics', '/openapi.json'] as const;
type PostRoute = (typeof POST_ROUTES)[number];

const SAFE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-._~';
const safeToken = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...SAFE_CHARS.split('')), minLength: min, maxLength: max });

/** Any string, including lone surrogates, controls and astral characters. */
const anyString = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));

/** Variants of a path Fastify routes to the same pattern (trailing or duplicate slashes, queries). */
function pathVariant(route: string, query: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(route),
    fc.constant(`${route}/`),
    fc.constant(`/${route}`),
    query.map((q) => `${route}?q=${encodeURIComponent(q)}`),
    fc.constant(`${route}?text=%00%ff&texts[]=1&__proto__[x]=1`),
  );
}

/** Paths no route matches, from short junk to very long and percent-encoded garbage. */
const unmatchedPath: fc.Arbitrary<string> = fc.oneof(
  safeToken(1, 40).map((s) => `/zz-${s}`),
  fc.uint8Array({ maxLength: 64 }).map((b) => `/zz/${[...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')}`),
  fc.integer({ min: 1000, max: 8000 }).map((n) => `/zz-${'a'.repeat(n)}`),
  fc.constant('/zz/../../etc/passwd'),
  fc.constant('/zz%2F..%2F..%2Fetc%2Fpasswd'),
  fc.constant('/predict.json'),
  fc.constant('/PREDICT'),
  fc.constant('/predict/extra'),
);

// --- bodies ---

const jsonLeaf = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** Values of the wrong type where a text or a batch belongs. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(safeToken(1, 8), jsonLeaf, { maxKeys: 4 }),
  fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
);

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Deep nesting, opened and (sometimes) closed, inside the text field or as the whole body. */
const deepNesting: fc.Arbitrary<Buffer> = fc
  .record({ depth: fc.integer({ min: 100, max: 300_000 }), open: fc.constantFrom('[', '{"a":'), closed: fc.boolean(), inField: fc.boolean() })
  .map(({ depth, open, closed, inField }) => {
    const close = open === '[' ? ']' : '}';
    const inner = `${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`;
    return Buffer.from(inField ? `{"text":${inner}}` : inner, 'utf8');
  });

/** A valid body cut short, with a byte flipped or a junk byte inserted. */
const brokenJson: fc.Arbitrary<Buffer> = fc
  .record({
    text: fc.string({ minLength: 1, maxLength: 100 }),
    field: fc.constantFrom('text', 'texts', 'inputs', 'id'),
    op: fc.constantFrom('cut', 'flip', 'insert'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ text, field, op, at, byte }) => {
    const valid = Buffer.from(JSON.stringify(field === 'text' || field === 'id' ? { [field]: text } : { [field]: [text] }), 'utf8');
    const i = at % valid.length;
    if (op === 'cut') return valid.subarray(0, Math.max(1, i));
    const copy = Buffer.from(valid);
    if (op === 'flip') {
      copy[i] = copy[i]! ^ (byte | 1);
      return copy;
    }
    return Buffer.concat([copy.subarray(0, i), Buffer.from([byte]), copy.subarray(i)]);
  });

/** Byte sequences that are not UTF-8: lone continuation bytes, overlong forms, UTF-16 surrogates, truncated sequences. */
const INVALID_UTF8: readonly number[][] = [[0xff], [0xfe, 0xff], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3, 0x28], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]];
function invalidUtf8(route: PostRoute): fc.Arbitrary<Buffer> {
  const field = route === '/predict' ? 'text' : route === '/invocations' ? 'inputs' : 'id';
  const b = (s: string): Buffer => Buffer.from(s, 'utf8');
  const wrapValue = (v: Buffer): Buffer =>
    field === 'inputs' ? Buffer.concat([b('{"inputs":["'), v, b('"]}')]) : Buffer.concat([b(`{"${field}":"`), v, b(field === 'id' ? '","label":"spam"}' : '"}')]);
  return fc
    .record({ seq: fc.constantFrom(...INVALID_UTF8), before: safeToken(0, 20), after: safeToken(0, 20), where: fc.constantFrom('value', 'key', 'outside') })
    .map(({ seq, before, after, where }) => {
      const bad = Buffer.from(seq);
      if (where === 'value') return wrapValue(Buffer.concat([b(before), bad, b(after)]));
      if (where === 'key') return Buffer.concat([b('{"'), bad, b(`":"${before}"}`)]);
      return Buffer.concat([wrapValue(b(before || 'x')), bad]);
    });
}

/** Texts around the length cap and bodies around the body limit (strings built, not generated, for speed). */
function hugeBody(limits: Limits): fc.Arbitrary<{ body: Buffer; mayPass: boolean }> {
  return fc.oneof(
    fc.integer({ min: -2, max: 2 }).map((d) => {
      const n = limits.maxTextChars + d;
      return { body: encodeJson({ text: `x${'y'.repeat(n - 1)}` }), mayPass: d <= 0 };
    }),
    // Multi-byte characters: the cap counts characters, the body limit counts bytes.
    fc.integer({ min: -1, max: 1 }).map((d) => ({ body: encodeJson({ text: 'é'.repeat(limits.maxTextChars + d) }), mayPass: d <= 0 })),
    fc.integer({ min: -64, max: 64 }).map((d) => {
      // A body of exactly bodyLimit + d bytes.
      const frame = Buffer.byteLength('{"texts":[""]}');
      const n = Math.max(1, limits.bodyLimitBytes + d - frame);
      return { body: Buffer.from(`{"texts":["${'z'.repeat(n)}"]}`), mayPass: false };
    }),
    fc.integer({ min: 1, max: 3 }).map((k) => ({ body: Buffer.alloc(limits.bodyLimitBytes * k + 1, 0x41), mayPass: false })),
  );
}

/** Batches: empty, at and over the limit, blank or wrong items, text and texts together. */
function batchBody(limits: Limits, field: 'texts' | 'inputs'): fc.Arbitrary<{ body: Buffer; mayPass: boolean }> {
  const good = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `m ${s}`);
  return fc.oneof(
    fc.constant({ body: encodeJson({ [field]: [] }), mayPass: false }),
    fc.integer({ min: 1, max: limits.maxBatchSize }).map((n) => ({ body: encodeJson({ [field]: Array.from({ length: n }, (_, i) => `msg ${i}`) }), mayPass: true })),
    fc.integer({ min: limits.maxBatchSize + 1, max: limits.maxBatchSize * 20 }).map((n) => ({ body: encodeJson({ [field]: Array.from({ length: n }, () => 'a') }), mayPass: false })),
    fc.tuple(fc.array(good, { maxLength: 5 }), wrongValue, fc.array(good, { maxLength: 5 })).map(([a, w, b]) => ({ body: encodeJson({ [field]: [...a, w, ...b] }), mayPass: false })),
    fc.tuple(fc.array(good, { maxLength: 5 }), fc.constantFrom('', ' ', '\n\t', '\u00a0', '\u2028')).map(([a, blank]) => ({ body: encodeJson({ [field]: [...a, blank] }), mayPass: false })),
    wrongValue.map((w) => ({ body: encodeJson({ [field]: w }), mayPass: false })),
    good.map((s) => ({ body: encodeJson({ text: s, texts: [s] }), mayPass: field === 'inputs' })),
    // A 1-element batch whose one item is huge (padding trap).
    fc.constant({ body: encodeJson({ [field]: ['short', 'x'.repeat(limits.maxTextChars + 1)] }), mayPass: false }),
  );
}

function bodyFor(route: PostRoute, limits: Limits): fc.Arbitrary<{ body: Buffer; mayPass: boolean; kind: string }> {
  const tag = (kind: string) => (x: { body: Buffer; mayPass: boolean }) => ({ ...x, kind });
  const common = [
    fc.uint8Array({ maxLength: 2048 }).map((b) => ({ body: Buffer.from(b), mayPass: false, kind: 'random-bytes' })),
    // A flipped byte inside a string can leave the body valid.
    brokenJson.map((body) => ({ body, mayPass: true, kind: 'broken-json' })),
    deepNesting.map((body) => ({ body, mayPass: false, kind: 'deep-nesting' })),
    fc.constantFrom('', ' ', 'null', 'true', '0', '"x"', '[]', '{}', '\ufeff{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"text":"a","text":5}', '{"text":1e400}')
      .map((s) => ({ body: Buffer.from(s, 'utf8'), mayPass: false, kind: 'json-edge' })),
    fc.dictionary(fc.constantFrom('text', 'texts', 'inputs', 'id', 'label', 'extra', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
      .map((o) => ({ body: encodeJson(o), mayPass: true, kind: 'random-json' })),
  ];
  common.push(invalidUtf8(route).map((body) => ({ body, mayPass: false, kind: 'invalid-utf8' })));
  if (route === '/predict') {
    return fc.oneof(
      ...common,
      wrongValue.map((w) => ({ body: encodeJson({ text: w }), mayPass: false, kind: 'wrong-type' })),
      anyString(300).map((s) => ({ body: encodeJson({ text: s }), mayPass: true, kind: 'any-text' })),
      hugeBody(limits).map(tag('huge')),
      batchBody(limits, 'texts').map(tag('batch')),
    );
  }
  if (route === '/invocations') {
    return fc.oneof(...common, hugeBody(limits).map(tag('huge')), batchBody(limits, 'inputs').map(tag('batch')));
  }
  return fc.oneof(
    ...common,
    fc.record({ id: fc.oneof(anyString(200), wrongValue, fc.constant('0.abcdefgh.1'), fc.constant('x'.repeat(129))), label: fc.oneof(fc.constantFrom('spam', 'ham', 'SPAM', ''), wrongValue) })
      .map((o) => ({ body: encodeJson(o), mayPass: false, kind: 'feedback-fields' })),
  );
}

// --- headers and methods ---

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8'];
const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/jsonx',
  'application/json-patch+json',
  'application/xml',
  'text/json',
  '*/*',
  'application/octet-stream',
  ';;;',
  'application/json\u00ff',
];

interface HeaderPlan {
  headers: Array<[string, string]>;
  /** Set when the framing headers are replaced (lying or conflicting lengths, chunked). */
  framing: 'normal' | 'custom';
  noHost: boolean;
  body?: (body: Buffer) => Buffer;
  /** Node/Fastify answers before routing (no x-request-id); only the shape is checked. */
  protocolError: boolean;
  mayPass: boolean;
}

const latin1Junk = fc.uint8Array({ minLength: 1, maxLength: 60 }).map((b) => Buffer.from(b.map((x) => (x < 0x20 || x === 0x7f ? 0x41 : x))).toString('latin1'));

const headerAbuse: fc.Arbitrary<HeaderPlan> = fc.oneof(
  fc.constant<HeaderPlan>({ headers: [], framing: 'normal', noHost: false, protocolError: false, mayPass: true }),
  latin1Junk.map<HeaderPlan>((v) => ({ headers: [['X-Request-Id', v]], framing: 'normal', noHost: false, protocolError: false, mayPass: true })),
  fc.constantFrom('<script>alert(1)</script>', '../../x', 'a'.repeat(65), 'id with spaces', '"quoted"', '{"json":1}')
    .map<HeaderPlan>((v) => ({ headers: [['X-Request-Id', v]], framing: 'normal', noHost: false, protocolError: false, mayPass: true })),
  fc.oneof(latin1Junk, fc.constantFrom('Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'t'.repeat(5000)}`))
    .map<HeaderPlan>((v) => ({ headers: [['Authorization', v]], framing: 'normal', noHost: false, protocolError: false, mayPass: true })),
  fc.integer({ min: 50, max: 1500 }).map<HeaderPlan>((n) => ({
    headers: Array.from({ length: n }, (_, i) => [`X-Junk-${i}`, 'v'] as [string, string]),
    framing: 'normal', noHost: false, protocolError: false, mayPass: true,
  })),
  // Past Node's 16 KiB header limit: 431 from the HTTP layer.
  fc.integer({ min: 17_000, max: 40_000 }).map<HeaderPlan>((n) => ({ headers: [['X-Big', 'b'.repeat(n)]], framing: 'normal', noHost: false, protocolError: true, mayPass: false })),
  fc.constant<HeaderPlan>({ headers: [], framing: 'normal', noHost: true, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['Content-Length', '5'], ['Content-Length', '6']], framing: 'custom', noHost: false, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['Transfer-Encoding', 'chunked'], ['Content-Length', '3']], framing: 'custom', noHost: false, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['Content-Length', '-1']], framing: 'custom', noHost: false, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['Content-Length', 'abc']], framing: 'custom', noHost: false, protocolError: true, mayPass: false }),
  // Not chunk-framed (junk where a chunk size belongs), never merely incomplete: a stalled body
  // is only cut by Node after 60 s.
  fc.constant<HeaderPlan>({ headers: [['Transfer-Encoding', 'gzip, chunked']], framing: 'custom', noHost: false, protocolError: true, mayPass: false, body: (b) => Buffer.concat([Buffer.from('zz\r\n'), b]) }),
  // Valid chunked framing.
  fc.constant<HeaderPlan>({
    headers: [['Transfer-Encoding', 'chunked']], framing: 'custom', noHost: false, protocolError: false, mayPass: true,
    body: (b) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')]),
  }),
  // Broken chunked framing.
  fc.constant<HeaderPlan>({
    headers: [['Transfer-Encoding', 'chunked']], framing: 'custom', noHost: false, protocolError: true, mayPass: false,
    body: (b) => Buffer.concat([Buffer.from('zz\r\n'), b, Buffer.from('\r\n0\r\n\r\n')]),
  }),
  fc.constant<HeaderPlan>({ headers: [['Bad Header', 'x']], framing: 'normal', noHost: false, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['X-Folded', 'a\r\n b']], framing: 'normal', noHost: false, protocolError: true, mayPass: false }),
  fc.constant<HeaderPlan>({ headers: [['Expect', '100-continue']], framing: 'normal', noHost: false, protocolError: false, mayPass: true }),
  // Not decoded: a JSON body labelled gzip is read as JSON.
  fc.constant<HeaderPlan>({ headers: [['Content-Encoding', 'gzip']], framing: 'normal', noHost: false, protocolError: false, mayPass: true }),
);

export function fuzzCase(limits: Limits = DEFAULT_LIMITS): fc.Arbitrary<FuzzCase> {
  // Built once per route: constructing string arbitraries is costly (fast-check precomputes
  // their shrinking tables), so nothing is constructed per generated value.
  const query = anyString(200);
  const ctype = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...JSON_TYPES) }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES) }, { weight: 1, arbitrary: fc.constant(undefined) });
  const plan = fc.oneof({ weight: 3, arbitrary: fc.constant<HeaderPlan | undefined>(undefined) }, { weight: 2, arbitrary: headerAbuse });
  const post: fc.Arbitrary<FuzzCase> = fc
    .oneof(...POST_ROUTES.map((route) => fc.record({ route: fc.constant(route), target: pathVariant(route, query), body: bodyFor(route, limits), ctype, plan })))
    .map(({ route, target, body, ctype, plan }) => {
      const headers: Array<[string, string]> = [];
      if (ctype !== undefined) headers.push(['Content-Type', ctype]);
      const payload = plan?.body ? plan.body(body.body) : body.body;
      if (!plan || plan.framing === 'normal') headers.push(['Content-Length', String(payload.length)]);
      if (plan) headers.push(...plan.headers);
      headers.push(['Connection', 'close']);
      const jsonType = ctype !== undefined && JSON_TYPES.includes(ctype);
      const protocolError = plan?.protocolError ?? false;
      return {
        kind: protocolError ? 'protocol' : `${route}:${body.kind}`,
        spec: { method: 'POST', target, headers, body: payload, noHost: plan?.noHost ?? false },
        route,
        mayPass: body.mayPass && jsonType && (plan?.mayPass ?? true) && route !== '/feedback',
        head: false,
      };
    });

  const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'POST'];
  const other: fc.Arbitrary<FuzzCase> = fc
    .record({
      method: fc.constantFrom(...METHODS),
      where: fc.oneof(
        fc.constantFrom(...POST_ROUTES).map((r) => ({ path: r, route: r as EventRoute, post: true })),
        fc.constantFrom(...GET_ROUTES).map((r) => ({ path: r, route: r as EventRoute, post: false })),
        unmatchedPath.map((p) => ({ path: p, route: 'unmatched' as EventRoute, post: false })),
      ),
      body: fc.option(fc.uint8Array({ maxLength: 512 }), { nil: undefined }),
      plan: fc.option(headerAbuse, { nil: undefined, freq: 3 }),
    })
    .filter(({ method, where }) => !(method === 'POST' && where.post))
    .map(({ method, where, body, plan }) => {
      const headers: Array<[string, string]> = [];
      const payload = body ? (plan?.body ? plan.body(Buffer.from(body)) : Buffer.from(body)) : undefined;
      if (payload && (!plan || plan.framing === 'normal')) headers.push(['Content-Type', 'application/json'], ['Content-Length', String(payload.length)]);
      if (plan) headers.push(...plan.headers);
      headers.push(['Connection', 'close']);
      // A GET route answered with GET/HEAD is routed; any other method, or a wrong method on a
      // POST route, is answered 404/405 before routing and reported as "unmatched".
      const routed = !where.post && where.route !== 'unmatched' && (method === 'GET' || method === 'HEAD');
      const longPath = where.path.length > 1000;
      return {
        kind: plan?.protocolError ? 'protocol' : routed ? 'get-route' : 'wrong-method-or-path',
        spec: { method, target: where.path, headers, ...(payload ? { body: payload } : {}), noHost: plan?.noHost ?? false },
        route: routed ? where.route : 'unmatched',
        mayPass: routed && !longPath,
        head: method === 'HEAD',
      };
    });

  // Not HTTP at all, a broken request line, or a method no route serves.
  const GARBAGE: Array<[string, EventRoute]> = [
    ['GET\r\n\r\n', 'unmatched'],
    ['GET / HTTP/9.9\r\nHost: x\r\n\r\n', 'unmatched'],
    // Parsed: a one-byte body without a content type (415), then junk on the same connection.
    ['POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\r\n\r\n{}', '/predict'],
    ['FOO /predict HTTP/1.1\r\nHost: x\r\n\r\n', 'unmatched'],
    ['GET /predict\x00 HTTP/1.1\r\nHost: x\r\n\r\n', 'unmatched'],
    ['GET / HTTP/1.1\nHost: x\n\n', 'unmatched'],
    [' GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'unmatched'],
    ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 'unmatched'],
    ['GET /zz/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n', 'unmatched'],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'unmatched'],
  ];
  const garbage: fc.Arbitrary<FuzzCase> = fc
    .oneof(
      fc.uint8Array({ minLength: 1, maxLength: 1024 }).map((b) => ({ raw: Buffer.concat([Buffer.from(b), Buffer.from('\r\n\r\n')]), route: 'unmatched' as EventRoute })),
      fc.constantFrom(...GARBAGE).map(([s, route]) => ({ raw: Buffer.from(s, 'latin1'), route })),
    )
    .map(({ raw, route }) => ({ kind: 'garbage', spec: { method: '', target: '', headers: [], raw }, route, mayPass: false, head: false }));

  return fc.oneof({ weight: 6, arbitrary: post }, { weight: 3, arbitrary: other }, { weight: 1, arbitrary: garbage });
}
