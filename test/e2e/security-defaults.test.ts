/**
 * Safe defaults (issue 8, "Safe defaults"), compiled services:
 * - both services bind 127.0.0.1 when HOST is not set (not reachable on the host's other addresses);
 * - the channel socket is owner-only (0600) in a private per-user directory (0700) by default;
 * - optional bearer tokens: METRICS_TOKEN on the inference and exporter /metrics (and the
 *   exporter's landing page), FEEDBACK_TOKEN on POST /feedback; 401 UNAUTHORIZED with
 *   WWW-Authenticate otherwise; compared in constant time (sha256 both sides, timingSafeEqual);
 * - security headers on every answer (refusals included); no framework banner.
 */
import * as crypto from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import t from 'tap';
import { readInferenceConfig } from '../../services/inference/src/config.js';
import { readExporterConfig } from '../../services/exporter/src/config.js';
import { defaultEventsSocket } from '../../shared/paths.js';
import { makeScratch, startExporter, startInference } from '../helpers/fuzz-stack.js';
import { findBinary, PROMETHEUS_CONFIG, ruleFilePaths, waitForTargetsUp } from '../helpers/prometheus.js';
import { startPrometheus } from '../../deploy/prometheus/launch.js';

const scratch = makeScratch('security-defaults-');
t.teardown(() => scratch.cleanup());

function reachable(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

t.test('both services bind 127.0.0.1 unless HOST says otherwise', async (t) => {
  t.equal(readInferenceConfig({}).host, '127.0.0.1', 'inference default');
  t.equal(readExporterConfig({}).host, '127.0.0.1', 'exporter default');
  const exporter = await startExporter(scratch, { env: { HOST: undefined } });
  t.teardown(() => exporter.stop());
  const inference = await startInference(scratch, { env: { HOST: undefined, EVENTS_ENABLED: 'false' } });
  t.teardown(() => inference.stop());
  t.equal(new URL(exporter.url).hostname, '127.0.0.1', `exporter ready on ${exporter.url}`);
  t.equal(new URL(inference.url).hostname, '127.0.0.1', `inference ready on ${inference.url}`);
  const external = Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
  for (const addr of external) {
    t.not(await reachable(addr, inference.port), 'connected', `inference not reachable on ${addr}`);
    t.not(await reachable(addr, exporter.port), 'connected', `exporter not reachable on ${addr}`);
  }
  if (external.length === 0) t.comment('no non-loopback IPv4 address on this host to probe');
  t.comment(`FIGURE bind: both on 127.0.0.1 by default; probed ${external.join(', ') || 'no other address'}: refused`);
});

t.test('the channel socket is 0600 in a private 0700 per-user directory by default', async (t) => {
  const uid = process.getuid?.() ?? 0;
  t.equal(defaultEventsSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }), `/run/user/1000/spam-detector-${uid}/events.sock`, 'under XDG_RUNTIME_DIR, per user');
  const runtime = join(scratch.dir, 'xdg');
  const exporter = await startExporter(scratch, { env: { EVENTS_SOCKET: undefined, XDG_RUNTIME_DIR: runtime } });
  t.teardown(() => exporter.stop());
  const socket = join(runtime, `spam-detector-${uid}`, 'events.sock');
  const s = statSync(socket);
  const d = statSync(join(runtime, `spam-detector-${uid}`));
  t.ok(s.isSocket(), `${socket} is the socket`);
  t.equal((s.mode & 0o777).toString(8), '600', 'socket mode 0600');
  t.equal((d.mode & 0o777).toString(8), '700', 'directory mode 0700');
  t.equal(s.uid, uid, 'owned by the service user');
  t.comment('FIGURE channel socket: srw------- in a drwx------ directory named per uid (test/e2e/exporter-process.test.ts: refuses a group/world-writable directory and a live socket)');
});

const TOKEN = 'test-token-0123456789abcdef';
const FEEDBACK = 'feedback-token-0123456789';

async function get(url: string, authorization?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await request(url, authorization !== undefined ? { headers: { authorization } } : {});
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

t.test('bearer tokens: METRICS_TOKEN on both /metrics, FEEDBACK_TOKEN on /feedback', async (t) => {
  const exporter = await startExporter(scratch, { env: { METRICS_TOKEN: TOKEN } });
  t.teardown(() => exporter.stop());
  const inference = await startInference(scratch, { env: { METRICS_TOKEN: TOKEN, FEEDBACK_TOKEN: FEEDBACK } });
  t.teardown(() => inference.stop());

  const wrong = [undefined, '', 'Bearer', 'Bearer ', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, `Bearer ${'x'.repeat(5000)}`, `Bearer ${FEEDBACK}`];
  let refused = 0;
  for (const [name, url] of [['inference /metrics', `${inference.url}/metrics`], ['exporter /metrics', `${exporter.url}/metrics`], ['exporter landing page', `${exporter.url}/`]] as const) {
    for (const auth of wrong) {
      const r = await get(url, auth);
      t.equal(r.status, 401, `${name} with ${JSON.stringify(auth?.slice(0, 30))}: 401`);
      t.equal((JSON.parse(r.body) as { code: string }).code, 'UNAUTHORIZED');
      t.match(String(r.headers['www-authenticate']), /^Bearer /, 'WWW-Authenticate');
      refused++;
    }
    const ok = await get(url, `Bearer ${TOKEN}`);
    t.equal(ok.status, 200, `${name} with the token: 200`);
  }
  t.equal((await get(`${inference.url}/health`)).status, 200, 'inference /health needs no token');
  t.equal((await get(`${exporter.url}/health`)).status, 200, 'exporter /health needs no token');
  t.equal((await get(`${inference.url}/model`)).status, 200, '/model needs no token');

  // /feedback: refused before the body is looked at; the prediction can still get its feedback.
  const pred = await request(`${inference.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"win a prize"}' });
  const { id } = (await pred.body.json()) as { id: string };
  const feedback = (auth?: string) =>
    request(`${inference.url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify({ id, label: 'spam' }) });
  for (const auth of [undefined, `Bearer ${TOKEN}`, `Bearer ${FEEDBACK}x`]) {
    const r = await feedback(auth);
    const body = (await r.body.json()) as { code: string };
    t.equal(r.statusCode, 401, `feedback with ${JSON.stringify(auth)}: 401`);
    t.equal(body.code, 'UNAUTHORIZED');
    refused++;
  }
  const accepted = await feedback(`Bearer ${FEEDBACK}`);
  t.equal(accepted.statusCode, 200, 'the right token: accepted (the refused attempts recorded nothing)');
  await accepted.body.dump();

  // Security headers on every kind of answer, refusals included; no framework banner.
  const answers = [
    ['GET /', await get(`${inference.url}/`)],
    ['GET /health', await get(`${inference.url}/health`)],
    ['GET /metrics (401)', await get(`${inference.url}/metrics`)],
    ['GET /metrics', await get(`${inference.url}/metrics`, `Bearer ${TOKEN}`)],
    ['GET /nope (404)', await get(`${inference.url}/nope`)],
    ['GET /predict (405)', await get(`${inference.url}/predict`)],
    ['GET /docs/ (HTML)', await get(`${inference.url}/docs/`)],
  ] as const;
  for (const [name, r] of answers) {
    t.equal(r.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.ok(r.headers['content-security-policy'], `${name}: a content security policy`);
    t.notOk(r.headers['x-powered-by'], `${name}: no x-powered-by`);
    t.notOk(r.headers.server, `${name}: no server banner`);
  }
  const landing = await get(`${exporter.url}/`, `Bearer ${TOKEN}`);
  t.match(String(landing.headers['content-security-policy']), /default-src 'none'/, 'exporter landing page: CSP');
  t.equal(landing.headers['x-content-type-options'], 'nosniff', 'exporter landing page: nosniff');
  const headers = Object.keys(answers[0][1].headers).filter((h) => /^(content-security-policy|cross-origin|referrer-policy|x-)/.test(h)).sort();
  t.comment(`FIGURE security headers (inference): ${headers.join(', ')}`);
  t.comment(`FIGURE tokens: ${refused} wrong or missing credentials refused with 401 UNAUTHORIZED (inference /metrics, exporter /metrics and landing page, /feedback); the right token 200; /health and /model open`);
});

t.test('tokens are compared in constant time: sha256 digests of equal length through timingSafeEqual', async (t) => {
  const calls: Array<[number, number]> = [];
  const spy = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
    calls.push([a.byteLength, b.byteLength]);
    return crypto.timingSafeEqual(a, b);
  };
  const mocks = { 'node:crypto': { ...crypto, timingSafeEqual: spy } };
  const shared = await t.mockImport<typeof import('../../shared/bearer.js')>('../../shared/bearer.js', mocks);
  const check = shared.bearerChecker(TOKEN);
  const attempts = [`Bearer ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer a', `Bearer ${'z'.repeat(4096)}`];
  t.same(attempts.map((a) => check(a)), [true, false, false, false]);
  t.same(calls, attempts.map(() => [32, 32]), 'exporter: every attempt, whatever its length, is a 32-byte comparison');

  calls.length = 0;
  // The inference hook checks through the same shared/bearer.ts, here the one watching timingSafeEqual.
  const inference = await t.mockImport<typeof import('../../services/inference/src/http/bearer-auth.js')>('../../services/inference/src/http/bearer-auth.js', {
    '../../shared/bearer.js': shared,
  });
  const hook = inference.requireBearerToken(TOKEN);
  for (const a of attempts) {
    let passed = false;
    const reply = { header: () => reply, code: () => reply, send: () => reply };
    const req = { headers: { authorization: a }, id: 'r', outcome: {} };
    hook.call(undefined as never, req as never, reply as never, () => (passed = true));
    t.equal(passed, a === `Bearer ${TOKEN}`, `inference: ${a.slice(0, 20)}...`);
  }
  t.same(calls, attempts.map(() => [32, 32]), 'inference: the same');
});

// The committed prometheus.yml carries the authorization blocks commented out: uncommented as its
// comment says, a real Prometheus scrapes both token-protected targets; without them it gets 401.
t.test('prometheus.yml: its commented authorization blocks scrape services that have METRICS_TOKEN', async (t) => {
  if (!findBinary('prometheus')) {
    t.fail('prometheus is missing: apt-get install prometheus (.ci/run does)');
    return;
  }
  const exporter = await startExporter(scratch, { env: { METRICS_TOKEN: TOKEN } });
  t.teardown(() => exporter.stop());
  const inference = await startInference(scratch, { env: { METRICS_TOKEN: TOKEN } });
  t.teardown(() => inference.stop());
  const tokenFile = join(scratch.dir, 'metrics.token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });

  const committed = readFileSync(PROMETHEUS_CONFIG, 'utf8');
  const commented = /^( +)# (authorization:| {2}type: Bearer| {2}credentials_file: .*)$/gm;
  t.equal(committed.match(commented)?.length, 6, 'an authorization block (3 lines) under each of the two jobs');
  const configFor = (withToken: boolean): string => {
    interface Job { job_name: string; static_configs: unknown; authorization?: { credentials_file?: string } }
    const config = parse(withToken ? committed.replace(commented, '$1$2') : committed) as { global: Record<string, string>; rule_files: unknown; alerting?: unknown; scrape_configs: Job[] };
    // Scrape every second: the first scrape lands somewhere within the first interval.
    config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
    config.rule_files = ruleFilePaths();
    delete config.alerting;
    for (const job of config.scrape_configs) {
      const target = job.job_name === 'spam-detector-inference' ? inference.url : exporter.url;
      job.static_configs = [{ targets: [new URL(target).host] }];
      if (job.authorization) job.authorization.credentials_file = tokenFile;
    }
    return stringify(config);
  };
  // Both at once: a Prometheus scrapes first ~6 s after it starts.
  const start = (withToken: boolean) => {
    const dir = join(scratch.dir, withToken ? 'prom-token' : 'prom-plain');
    writeFileSync(`${dir}.yml`, configFor(withToken));
    return startPrometheus({ configFile: `${dir}.yml`, dataDir: dir });
  };
  const [withToken, asCommitted] = await Promise.all([start(true), start(false)]);
  t.teardown(async () => {
    await withToken.stop();
    await asCommitted.stop();
  });
  await waitForTargetsUp(withToken.url, ['spam-detector-inference', 'spam-detector-exporter'], 30_000);
  t.pass('with the blocks uncommented: both targets up');
  const unauthorized = 'server returned HTTP status 401 Unauthorized';
  t.same(await lastErrors(asCommitted.url), { 'spam-detector-exporter': unauthorized, 'spam-detector-inference': unauthorized }, 'as committed: both scrapes refused with 401');
});

/** Each job's lastError once every target has been scraped at least once. */
async function lastErrors(prometheusUrl: string, timeoutMs = 30_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${prometheusUrl}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> } };
    const targets = body.data.activeTargets;
    if ((targets.length > 0 && targets.every((x) => x.health !== 'unknown')) || Date.now() > deadline) {
      return Object.fromEntries(targets.map((x) => [x.labels.job, x.lastError]).sort());
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
