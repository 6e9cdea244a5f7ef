/**
 * The benchmark suite in --quick mode, so it cannot rot: it runs every scenario against the real
 * compiled services and writes well-formed results. Timings are never asserted (the machine is
 * shared); only that every scenario produced finite figures and both files are written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { BenchResults } from '../bench/run.js';
import { runToExit } from './helpers/spawn.js';

const RUN = 'dist/bench/run.js';
const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

t.test('--quick runs every scenario and writes JSON and Markdown', async (t) => {
  const r = await runToExit(RUN, { args: ['--quick', '--duration', '0.3', '--connections', '4', '--out', out], timeoutMs: 180_000 });
  t.equal(r.code, 0, `exit 0\n${r.stderr.slice(-15).join('\n')}`);
  t.notOk(r.timedOut);
  const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
  t.equal(json.schema, 1);
  t.equal(json.options.quick, true);
  t.type(json.environment.cpuModel, 'string');
  t.ok(json.environment.cores >= 1);
  t.match(json.environment.versions, { 'onnxruntime-node': /^\d+\./, fastify: /^\d+\./ });
  t.equal(json.environment.loadAverageStart.length, 3);
  const labels = json.runs.map((x) => x.label);
  for (const l of ['bare #1', 'predict 200c 1w events on #1', 'predict 200c 1w events off #1', 'predict 5KiB 1w', 'batch 64 short 1w', 'predict 200c 2w', 'predict 5KiB 2w', 'predict 200c 1w + scrapes']) {
    t.ok(labels.includes(l), `run "${l}" present`);
  }
  for (const run of json.runs) {
    t.ok(run.requests > 0, `${run.label}: answered requests`);
    t.ok(Number.isFinite(run.requestsPerSecond) && Number.isFinite(run.latencyMs.p50) && Number.isFinite(run.latencyMs.p99), `${run.label}: finite figures`);
    t.ok(run.processes.length >= 2 && run.processes.every((p) => Number.isFinite(p.cpuCores) && p.rssMaxBytes > 0), `${run.label}: CPU and RSS sampled`);
  }
  for (const k of ['startup', 'bareVsPredict', 'events', 'predict5k', 'batch', 'workers2', 'metrics', 'ingest'] as const) t.ok(json[k], `${k} section`);
  t.ok(Number.isFinite(json.bareVsPredict?.ratio.mean) && Number.isFinite(json.events?.overheadPercent.mean));
  t.ok((json.ingest?.socket.eventsPerCpuSecond ?? 0) > 0);
  t.equal(json.targets.length, 7);
  for (const target of json.targets) {
    t.type(target.measured, 'string');
    t.type(target.met, 'boolean');
  }
  const md = readFileSync(join(out, 'latest.md'), 'utf8');
  t.match(md, /^# Benchmark results/);
  t.match(md, /## Targets/);
  t.match(md, /\| bare #1 \|/);
});

t.test('bad options are refused before anything starts', async (t) => {
  const r = await runToExit(RUN, { args: ['--only', 'nope', '--out', out], timeoutMs: 30_000 });
  t.not(r.code, 0);
  t.match(r.stderr.join('\n'), /unknown scenario "nope"/);
});
