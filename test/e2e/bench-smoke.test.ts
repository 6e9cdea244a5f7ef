/**
 * The benchmark suite in --quick mode, so it cannot rot: it runs every scenario against the real
 * compiled services and writes well-formed results. Timings are never asserted (the machine is
 * shared); only that every scenario produced finite figures and both files are written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { BenchResults } from '../../bench/run.js';
import { SINGLE_TEXT_CHARS } from '../../bench/texts.js';
import { parseWrkReport, parseWrkTally, startWrk } from '../../bench/wrk.js';
import { runToExit } from '../helpers/spawn.js';

const RUN = 'dist/bench/run.js';
const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

t.test('--quick runs every scenario and writes JSON and Markdown', async (t) => {
  // The bundled model as the reference too: the design limit's model-cost path runs without a second file.
  const r = await runToExit(RUN, { args: ['--quick', '--connections', '4', '--reference-model', 'models/spam-classifier.onnx', '--out', out], timeoutMs: 180_000 });
  t.equal(r.code, 0, `exit 0\n${r.stderr.slice(-15).join('\n')}`);
  t.notOk(r.timedOut);
  const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
  t.equal(json.schema, 2);
  t.equal(json.options.quick, true);
  t.type(json.environment.cpuModel, 'string');
  t.ok(json.environment.cores >= 1);
  t.match(json.environment.versions, { 'onnxruntime-node': /^\d+\./, fastify: /^\d+\./ });
  t.equal(json.environment.loadAverageStart.length, 3);
  t.match(json.environment.loadGenerator, /^wrk /);
  t.match(json.loadCommand, /^wrk -t1 -c4 -d1s .*--latency -s post\.lua http:\/\/127\.0\.0\.1:PORT\/predict$/);
  const labels = json.runs.map((x) => x.label);
  const c = `${SINGLE_TEXT_CHARS}c`;
  const expected = [
    'bare #1', 'design limit #1', 'design limit, reference model #1', `predict ${c} 1w events on #1`, `predict ${c} 1w events off #1`,
    'predict 5KiB 1w', 'batch 1 short 1w', 'batch 8 short 1w', 'batch 64 short 1w', 'batch 1 short 2w', 'batch 8 short 2w', 'batch 64 short 2w',
    `predict ${c} 2w`, 'predict 5KiB 2w', `predict ${c} 1w + scrapes`,
  ];
  for (const l of expected) t.ok(labels.includes(l), `run "${l}" present`);
  for (const run of json.runs) {
    t.ok(run.requests > 0, `${run.label}: answered requests`);
    t.equal(run.non2xx, 0, `${run.label}: no non-2xx answer`);
    t.ok(Number.isFinite(run.requestsPerSecond) && Number.isFinite(run.latencyMs.p50) && Number.isFinite(run.latencyMs.p99), `${run.label}: finite figures`);
    t.ok(run.latencyMs.p50 <= run.latencyMs.p99 && run.latencyMs.p99 <= run.latencyMs.max, `${run.label}: percentiles ordered`);
    // CPU time comes in clock ticks (10 ms): an idle cluster primary or exporter may show none in 1 s.
    t.ok(run.processes.length >= 1 && run.processes.every((p) => p.cpuSeconds >= 0 && p.rssMaxBytes > 0), `${run.label}: CPU and RSS measured`);
    t.ok(Number.isFinite(run.perServerCpuSecond) && run.perServerCpuSecond > 0, `${run.label}: per server CPU-second`);
    t.ok(run.loadGeneratorCpuSeconds > 0, `${run.label}: the load generator's CPU read`);
  }
  for (const k of ['startup', 'series', 'designLimit', 'modelCost', 'bareVsPredict', 'events', 'predict5k', 'batches', 'workers2', 'metrics', 'ingest'] as const) t.ok(json[k], `${k} section`);
  t.same(Object.keys(json.series ?? {}).sort(), ['bare', 'limit', 'limitReference', 'predict', 'predictEventsOff']);
  t.ok(Number.isFinite(json.designLimit?.ratio.median) && Number.isFinite(json.designLimit?.p99Ratio.median) && Number.isFinite(json.modelCost?.ratio.median));
  t.ok(Number.isFinite(json.bareVsPredict?.ratio.mean) && Number.isFinite(json.events?.overheadPercent.mean));
  t.same(json.batches?.map((b) => `${b.workers}w x${b.batchSize}`), ['1w x1', '1w x8', '1w x64', '2w x1', '2w x8', '2w x64']);
  t.ok(json.batches?.every((b) => b.textsPerSecond > 0 && b.textsPerCpuSecond > 0));
  t.ok((json.ingest?.socket.eventsPerCpuSecond ?? 0) > 0);
  t.equal(json.targets.length, 8);
  for (const target of json.targets) {
    t.type(target.measured, 'string');
    t.type(target.met, 'boolean');
  }
  const md = readFileSync(join(out, 'latest.md'), 'utf8');
  t.match(md, /^# Benchmark results/);
  t.match(md, /## Targets/);
  t.match(md, /\| bare #1 \|/);
  t.match(md, /\| design limit #1 \|/);
});

t.test("wrk's report is read: 2xx rate, percentiles in their units, non-2xx, socket errors, its CPU", async (t) => {
  const report = [
    'Running 6s test @ http://127.0.0.1:37193/predict',
    '  1 threads and 16 connections',
    '  Thread Stats   Avg      Stdev     Max   +/- Stdev',
    '    Latency     1.10ms  426.25us    1.02s    92.49%',
    '    Req/Sec    14.71k     1.05k   16.06k    80.00%',
    '  Latency Distribution',
    '     50%  850.00us',
    '     75%    1.16ms',
    '     90%    1.41ms',
    '     99%    2.85ms',
    '  87835 requests in 6.00s, 30.16MB read',
    '  Socket errors: connect 0, read 2, write 1, timeout 4',
    '  Non-2xx or 3xx responses: 3',
    'Requests/sec:  14638.37',
    'Transfer/sec:      5.03MB',
    'WRK-CPU-TICKS 250 180',
    '',
  ].join('\n');
  const r = parseWrkReport(report, 100);
  t.equal(r.requests, 87835);
  t.equal(r.seconds, 6);
  t.equal(r.requestsPerSecondAll, 14638.37);
  t.same(r.latencyMs, { p50: 0.85, p75: 1.16, p90: 1.41, p99: 2.85, max: 1020, mean: 1.1 });
  t.equal(r.non2xx, 3);
  t.same(r.socketErrors, { connect: 0, read: 2, write: 1, timeout: 4 });
  t.equal(r.cpuSeconds, 4.3);
  // A clean run prints neither the non-2xx nor the socket-error line.
  const clean = parseWrkReport(report.replace(/^.*(Non-2xx|Socket errors).*\n/gm, ''), 100);
  t.equal(clean.non2xx, 0);
  t.same(clean.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
  t.throws(() => parseWrkReport('unable to connect to 127.0.0.1:1 Connection refused\n', 100), /wrk report without/);
});

t.test("the script's tally is read: answers by status, the errors' Retry-After and codes", async (t) => {
  const line = 'WRK-TALLY {"s 200":2667,"s 503":1333,"r 503 2":1330,"r 503 (none)":3,"c 503 OVERLOADED":1333,"s 413":1,"c 413 BODY_TOO_LARGE":1,"r 413 (none)":1}';
  const tally = parseWrkTally(`  4001 requests in 1.00s, 1.00MB read\nWRK-CPU-TICKS 1 2\n${line}\n`);
  t.same(tally, {
    statuses: { '200': 2667, '503': 1333, '413': 1 },
    errors: { '503': { retryAfter: ['(none)', '2'], codes: ['OVERLOADED'] }, '413': { retryAfter: ['(none)'], codes: ['BODY_TOO_LARGE'] } },
  });
  // A value with a space (a Retry-After date) stays whole.
  t.same(parseWrkTally('WRK-TALLY {"s 503":1,"r 503 Wed, 21 Oct 2026 07:28:00 GMT":1}')?.errors['503']?.retryAfter, ['Wed, 21 Oct 2026 07:28:00 GMT']);
  t.equal(parseWrkTally('WRK-CPU-TICKS 1 2\n'), undefined, 'a run without the tally has none');
  t.throws(() => parseWrkTally('WRK-TALLY {"x 200":1}'), /unexpected key/);
  // parseWrkReport carries it when the report has it, and only then.
  const report = ['    Latency     1.10ms  426.25us    1.02s    92.49%', '     50%  850.00us', '     75%    1.16ms', '     90%    1.41ms', '     99%    2.85ms',
    '  4000 requests in 1.00s, 1.00MB read', 'Requests/sec:  4000.00', 'WRK-CPU-TICKS 1 2', 'WRK-TALLY {"s 200":4000}', ''].join('\n');
  t.same(parseWrkReport(report, 100).tally, { statuses: { '200': 4000 }, errors: {} });
  t.notOk('tally' in parseWrkReport(report.replace(/^WRK-TALLY.*\n/m, ''), 100));
});

t.test('wrk with maxRequests sends exactly that many requests, tallies every answer and ends once all are in', async (t) => {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      if (received % 3 === 0) {
        res.writeHead(503, { 'Retry-After': '2', 'content-type': 'application/json' }).end('{"error":"busy","code":"OVERLOADED"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"label":"ham"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predict`;
  const r = await startWrk({ url, method: 'POST', body: '{"text":"hi"}', connections: 32, seconds: 60, maxRequests: 1000, tally: true }).result;
  t.equal(received, 1000, 'the server received exactly 1000 requests');
  t.equal(r.requests, 1000, 'and wrk counted 1000 answers');
  t.same(r.tally, { statuses: { '200': 667, '503': 333 }, errors: { '503': { retryAfter: ['2'], codes: ['OVERLOADED'] } } });
  t.same(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 });
  t.ok(r.seconds < 60, `ended when all were answered, not at the 60 s bound (${r.seconds} s)`);
  t.throws(() => startWrk({ url, method: 'GET', connections: 4, seconds: 1, threads: 2, maxRequests: 10 }), /one thread/);
});

t.test('bad options are refused before anything starts', async (t) => {
  const r = await runToExit(RUN, { args: ['--only', 'nope', '--out', out], timeoutMs: 30_000 });
  t.not(r.code, 0);
  t.match(r.stderr.join('\n'), /unknown scenario "nope"/);
});
