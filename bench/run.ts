/**
 * The benchmark suite (`npm run bench`): starts what it measures on 127.0.0.1 from dist/, runs every
 * scenario in one session and writes bench/results/latest.json and latest.md. Every figure that
 * matters is also a ratio against a baseline measured in the same run, because the machine is
 * shared and absolute numbers drift by tens of percent from one minute to the next; A/B pairs
 * (bare vs /predict, events on vs off) are interleaved and repeated, and their spread reported.
 *
 *   node dist/bench/run.js [--quick] [--duration 8] [--connections 16] [--rounds 4]
 *                          [--only bare,predict,...] [--out bench/results]
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import pidusage from 'pidusage';
import { benchPipeline, benchSocket } from './exporter-ingest.js';
import { environment, type Environment } from './environment.js';
import { runLoad, type LoadResult } from './load.js';
import { renderMarkdown } from './report.js';
import { childPids, ROOT, runToCompletion, SCRIPTS, startService, type Service } from './spawn.js';
import { benchTexts } from './texts.js';
import { evaluateTargets, type TargetCheck } from './targets.js';

export const SCENARIOS = ['startup', 'bare', 'predict', 'events', 'batch', 'workers2', 'metrics', 'ingest'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  duration: number;
  connections: number;
  rounds: number;
  only: ScenarioName[];
  out: string;
}

export interface Run extends LoadResult {
  label: string;
  /**
   * Answers per CPU-second of the measured server process (the first watched one): what one
   * fully available core would serve. Less moved by other processes on a shared machine than
   * req/s, though contention still costs cache and frequency.
   */
  perServerCpuSecond: number;
}

export interface Spread {
  mean: number;
  /** Less moved than the mean by one round that another process disturbed. */
  median: number;
  min: number;
  max: number;
  values: number[];
}

export interface BenchResults {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  loadAverageEnd: number[];
  options: Omit<BenchOptions, 'out'>;
  /** Every load run, in the order it ran. */
  runs: Run[];
  startup?: { bareMs: number; exporterMs: number; inference1Ms: number; inference2Ms: number; ratioInference1VsBare: number };
  bareVsPredict?: { bareRps: Spread; predictRps: Spread; ratio: Spread; ratioPerCpuSecond: Spread; predictP99Ms: Spread; predictP50Ms: Spread };
  predict5k?: { rps: number; p50Ms: number; p99Ms: number; ratioVs200: number };
  events?: {
    onRps: Spread;
    offRps: Spread;
    ratioOnOff: Spread;
    overheadPercent: Spread;
    overheadPercentPerCpuSecond: Spread;
    /** All rounds pooled: (1 - on answers per CPU-second / off answers per CPU-second) x 100. */
    overheadPercentPooledCpu: number;
  };
  batch?: { textsPerSecond: number; textsPerCpuSecond: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; ratioTextsVsSingle: number };
  workers2?: { rps200: number; rps5k: number; ratio200Vs1: number; ratio5kVs1: number; rssPerWorkerBytes: number[] };
  metrics?: {
    inference: { idleMs: Quantiles; loadMs: Quantiles; ratio: number };
    exporter: { idleMs: Quantiles; loadMs: Quantiles; ratio: number };
  };
  ingest?: {
    socket: { eventsPerSecond: number; eventsPerCpuSecond: number; cpuSeconds: number };
    pipeline: { eventsPerSecond: number; eventsPerCpuSecond: number };
    /** How many single-text /predict workers one exporter core keeps up with. */
    ratioVsPredictRps?: number;
  };
  rss: { inferenceMaxBytes: number; exporterMaxBytes: number };
  targets: TargetCheck[];
}

export interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, median, min: Math.min(...values), max: Math.max(...values), values };
}

/** Answers per server CPU-second over several runs together (each run weighted by its CPU time). */
function pooledPerCpu(runs: Run[]): number {
  const answers = runs.reduce((a, r) => a + r.requests, 0);
  const cpu = runs.reduce((a, r) => a + (r.requestsPerSecond / r.perServerCpuSecond) * r.seconds, 0);
  return answers / cpu;
}

function quantiles(samples: number[]): Quantiles {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

async function timeScrape(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  await res.text();
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  return performance.now() - t0;
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const env = environment();
  log(`load average ${env.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}; ${o.rounds} round(s) of ${o.duration} s at ${o.connections} connections`);
  const want = (s: ScenarioName): boolean => o.only.length === 0 || o.only.includes(s);
  const texts = benchTexts();
  const body200 = JSON.stringify({ text: texts.text200 });
  const body5k = JSON.stringify({ text: texts.email5k });
  const bodyBatch = JSON.stringify({ texts: texts.short64 });
  const dir = mkdtempSync(join(tmpdir(), 'spam-bench-'));
  const socket = join(dir, 'ch', 'events.sock');
  const services: Service[] = [];
  const runs: Run[] = [];
  const rssInference: number[] = [];
  const rssExporter: number[] = [];
  const res: Partial<BenchResults> = {};
  const self = { name: 'load generator', pid: process.pid };
  const start = async (name: string, script: string, e: Record<string, string>): Promise<Service> => {
    const s = await startService(name, script, e, dir);
    services.push(s);
    return s;
  };
  const inferenceEnv = (extra: Record<string, string>): Record<string, string> => ({
    INFERENCE_PORT: '0',
    EVENTS_SOCKET: socket,
    WORKERS: '1',
    // Defaults otherwise, access log included: the bench measures the service as deployed.
    ...extra,
  });
  const load = async (label: string, url: string, path: string, body: string | undefined, watch: { name: string; pid: number }[], during?: () => Promise<void>): Promise<Run> => {
    const r = await runLoad({ url, path, body, method: body === undefined ? 'GET' : 'POST', connections: o.connections, seconds: o.duration, watch: [...watch, self], during });
    // The server is the first watched process, with its cluster workers ("inference-2w ...").
    const group = r.processes[0]?.name.split(' ')[0];
    const serverCores = r.processes.filter((p) => p.name.split(' ')[0] === group).reduce((a, p) => a + p.cpuCores, 0);
    const run: Run = { label, ...r, perServerCpuSecond: serverCores > 0 ? r.requestsPerSecond / serverCores : NaN };
    runs.push(run);
    for (const p of r.processes) {
      if (p.name.startsWith('inference')) rssInference.push(p.rssMaxBytes);
      if (p.name === 'exporter') rssExporter.push(p.rssMaxBytes);
    }
    log(`${label}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
    if (r.requests === 0) throw new Error(`${label}: no successful answer (non-2xx ${r.non2xx}, errors ${r.errors})`);
    return run;
  };

  try {
    // Start-up to ready: the process's own ready line, timed from spawn().
    // One after the other for comparable start-up times; all at once in the smoke mode.
    let queue: Promise<unknown> = Promise.resolve();
    const seq = <T>(f: () => Promise<T>): Promise<T> => {
      if (o.quick) return f();
      const p = queue.then(f);
      queue = p.catch(() => undefined);
      return p;
    };
    const needOff = want('events');
    const needW2 = want('workers2') || want('startup');
    const [bare, exporter, inf, infOff, inf2] = await Promise.all([
      seq(() => start('bare', SCRIPTS.bare, { PORT: '0' })),
      seq(() => start('exporter', SCRIPTS.exporter, { EXPORTER_PORT: '0', EVENTS_SOCKET: socket })),
      seq(() => start('inference', SCRIPTS.inference, inferenceEnv({}))),
      needOff ? seq(() => start('inference-events-off', SCRIPTS.inference, inferenceEnv({ EVENTS_ENABLED: 'false' }))) : undefined,
      needW2 ? seq(() => start('inference-2w', SCRIPTS.inference, inferenceEnv({ WORKERS: '2' }))) : undefined,
    ]);
    if (want('startup')) {
      res.startup = {
        bareMs: bare.readyMs,
        exporterMs: exporter.readyMs,
        inference1Ms: inf.readyMs,
        inference2Ms: inf2!.readyMs,
        ratioInference1VsBare: inf.readyMs / bare.readyMs,
      };
      log(`start-up: bare ${bare.readyMs.toFixed(0)} ms, exporter ${exporter.readyMs.toFixed(0)} ms, inference ${inf.readyMs.toFixed(0)} ms, 2 workers ${inf2!.readyMs.toFixed(0)} ms`);
    }
    const wInf = [{ name: 'inference', pid: inf.pid }, { name: 'exporter', pid: exporter.pid }];
    // Warm-up: JIT, onnxruntime arenas, keep-alive sockets; not recorded.
    if (!o.quick) {
      await runLoad({ url: inf.url, path: '/predict', body: body200, connections: o.connections, seconds: 2, watch: [] });
      if (infOff) await runLoad({ url: infOff.url, path: '/predict', body: body200, connections: o.connections, seconds: 2, watch: [] });
      await runLoad({ url: bare.url, path: '/predict', body: body200, connections: o.connections, seconds: 1, watch: [] });
    }

    // Interleaved rounds: bare, /predict (events on), /predict (events off). Each round yields
    // its own ratios, so a burst of load from another process skews one round, not the result.
    if (want('bare') || want('predict') || want('events')) {
      const bareR: Run[] = [];
      const onR: Run[] = [];
      const offR: Run[] = [];
      for (let i = 0; i < o.rounds; i++) {
        if (want('bare') || want('predict')) bareR.push(await load(`bare #${i + 1}`, bare.url, '/predict', body200, [{ name: 'bare', pid: bare.pid }]));
        const on = async (): Promise<void> => void onR.push(await load(`predict 200c 1w events on #${i + 1}`, inf.url, '/predict', body200, wInf));
        const off = async (): Promise<void> => {
          if (infOff) offR.push(await load(`predict 200c 1w events off #${i + 1}`, infOff.url, '/predict', body200, [{ name: 'inference-events-off', pid: infOff.pid }]));
        };
        // on/off, then off/on: a drift in the machine's load does not always favour the same side.
        if (i % 2 === 0) await on().then(off);
        else await off().then(on);
      }
      if (bareR.length > 0) {
        res.bareVsPredict = {
          bareRps: spread(bareR.map((r) => r.requestsPerSecond)),
          predictRps: spread(onR.map((r) => r.requestsPerSecond)),
          ratio: spread(onR.map((r, i) => r.requestsPerSecond / bareR[i]!.requestsPerSecond)),
          ratioPerCpuSecond: spread(onR.map((r, i) => r.perServerCpuSecond / bareR[i]!.perServerCpuSecond)),
          predictP50Ms: spread(onR.map((r) => r.latencyMs.p50)),
          predictP99Ms: spread(onR.map((r) => r.latencyMs.p99)),
        };
      }
      if (offR.length > 0) {
        const ratio = spread(onR.map((r, i) => r.requestsPerSecond / offR[i]!.requestsPerSecond));
        res.events = {
          onRps: spread(onR.map((r) => r.requestsPerSecond)),
          offRps: spread(offR.map((r) => r.requestsPerSecond)),
          ratioOnOff: ratio,
          overheadPercent: spread(ratio.values.map((v) => (1 - v) * 100)),
          overheadPercentPerCpuSecond: spread(onR.map((r, i) => (1 - r.perServerCpuSecond / offR[i]!.perServerCpuSecond) * 100)),
          overheadPercentPooledCpu: (1 - pooledPerCpu(onR) / pooledPerCpu(offR)) * 100,
        };
      }
    }
    const single = res.events?.onRps.mean ?? res.bareVsPredict?.predictRps.mean;

    if (want('predict')) {
      const r = await load('predict 5KiB 1w', inf.url, '/predict', body5k, wInf);
      res.predict5k = { rps: r.requestsPerSecond, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, ratioVs200: single ? r.requestsPerSecond / single : NaN };
    }

    if (want('batch')) {
      const r = await load('batch 64 short 1w', inf.url, '/predict', bodyBatch, wInf);
      res.batch = {
        textsPerSecond: r.requestsPerSecond * 64,
        textsPerCpuSecond: r.perServerCpuSecond * 64,
        requestsPerSecond: r.requestsPerSecond,
        p50Ms: r.latencyMs.p50,
        p99Ms: r.latencyMs.p99,
        ratioTextsVsSingle: single ? (r.requestsPerSecond * 64) / single : NaN,
      };
    }

    if (want('workers2') && inf2) {
      const workers = childPids(inf2.pid);
      const w2 = [{ name: 'inference-2w primary', pid: inf2.pid }, ...workers.map((pid, i) => ({ name: `inference-2w worker ${i}`, pid })), { name: 'exporter', pid: exporter.pid }];
      const a = await load('predict 200c 2w', inf2.url, '/predict', body200, w2);
      const b = await load('predict 5KiB 2w', inf2.url, '/predict', body5k, w2);
      res.workers2 = {
        rps200: a.requestsPerSecond,
        rps5k: b.requestsPerSecond,
        ratio200Vs1: single ? a.requestsPerSecond / single : NaN,
        ratio5kVs1: res.predict5k ? b.requestsPerSecond / res.predict5k.rps : NaN,
        rssPerWorkerBytes: [...a.processes, ...b.processes].filter((p) => p.name.includes('worker')).map((p) => p.rssMaxBytes),
      };
    }

    if (want('metrics')) {
      // Baseline: scrapes of idle services; then the same scrapes while /predict runs.
      const idleInf: number[] = [];
      const idleExp: number[] = [];
      for (let i = 0; i < (o.quick ? 3 : 20); i++) {
        idleInf.push(await timeScrape(inf.url));
        idleExp.push(await timeScrape(exporter.url));
      }
      const loadInf: number[] = [];
      const loadExp: number[] = [];
      await load('predict 200c 1w + scrapes', inf.url, '/predict', body200, wInf, async () => {
        loadInf.push(await timeScrape(inf.url));
        loadExp.push(await timeScrape(exporter.url));
      });
      const qi = quantiles(idleInf);
      const qe = quantiles(idleExp);
      const li = quantiles(loadInf);
      const le = quantiles(loadExp);
      res.metrics = { inference: { idleMs: qi, loadMs: li, ratio: li.p50 / qi.p50 }, exporter: { idleMs: qe, loadMs: le, ratio: le.p50 / qe.p50 } };
      log(`/metrics under load p50: inference ${li.p50.toFixed(2)} ms (idle ${qi.p50.toFixed(2)}), exporter ${le.p50.toFixed(2)} ms (idle ${qe.p50.toFixed(2)})`);
    }

    // The load runs are over: stop the services before the ingest bench takes the cores.
    for (const s of services.splice(0)) await s.stop();

    if (want('ingest')) {
      const seconds = o.quick ? 0.5 : Math.min(5, o.duration);
      const pipe = benchPipeline(seconds);
      const sock = await benchSocket(seconds, 2);
      res.ingest = {
        socket: { eventsPerSecond: sock.eventsPerSecond, eventsPerCpuSecond: sock.eventsPerCpuSecond ?? NaN, cpuSeconds: sock.cpuSeconds ?? NaN },
        pipeline: { eventsPerSecond: pipe.eventsPerSecond, eventsPerCpuSecond: pipe.eventsPerCpuSecond ?? NaN },
        ratioVsPredictRps: single ? (sock.eventsPerCpuSecond ?? NaN) / single : undefined,
      };
      log(`ingest: socket ${Math.round(sock.eventsPerSecond)} events/s (${Math.round(sock.eventsPerCpuSecond ?? 0)} per CPU-second), pipeline ${Math.round(pipe.eventsPerCpuSecond ?? 0)} per CPU-second`);
    }
  } finally {
    for (const s of services) await s.stop();
    pidusage.clear();
    rmSync(dir, { recursive: true, force: true });
  }

  const results: BenchResults = {
    schema: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: env,
    loadAverageEnd: environment().loadAverageStart,
    options: { quick: o.quick, duration: o.duration, connections: o.connections, rounds: o.rounds, only: o.only },
    runs,
    ...res,
    rss: { inferenceMaxBytes: Math.max(0, ...rssInference.filter(Number.isFinite)), exporterMaxBytes: Math.max(0, ...rssExporter.filter(Number.isFinite)) },
    targets: [],
  };
  results.targets = evaluateTargets(results);
  return results;
}

function parseOptions(argv: string[]): BenchOptions {
  const cmd = new Command('bench')
    .description('spam-detector benchmark suite')
    .option('--quick', 'smoke mode: short runs, one round (used by the tests)', false)
    .option('--duration <seconds>', 'seconds per load run', Number)
    .option('--connections <n>', 'autocannon connections', Number, 16)
    .option('--rounds <n>', 'interleaved A/B rounds (bare, events on, events off)', Number)
    .addOption(new Option('--only <scenarios>', `comma-separated subset of ${SCENARIOS.join(',')}`).argParser((v) => v.split(',').map((s) => s.trim()).filter(Boolean)))
    .option('--out <dir>', 'where latest.json and latest.md go', join(ROOT, 'bench', 'results'))
    .parse(argv);
  const opts = cmd.opts<{ quick: boolean; duration?: number; connections: number; rounds?: number; only?: string[]; out: string }>();
  const only = (opts.only ?? []) as ScenarioName[];
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) cmd.error(`unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
  const duration = opts.duration ?? (opts.quick ? 0.5 : 8);
  const rounds = opts.rounds ?? (opts.quick ? 1 : 4);
  if (!(duration > 0) || !(opts.connections >= 1) || !(rounds >= 1)) cmd.error('--duration, --connections and --rounds must be positive');
  return { quick: opts.quick, duration, connections: opts.connections, rounds, only, out: opts.out };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv);
  const results = await runBench(o);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(join(o.out, 'latest.md'), md);
  process.stdout.write(md);
}

// Only when run as the bench's entry point, so tests and tools can import runBench.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runToCompletion(main);
}
