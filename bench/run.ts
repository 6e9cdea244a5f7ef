/**
 * The benchmark suite (`npm run bench`): starts what it measures on 127.0.0.1 from dist/, drives
 * it with wrk (bench/wrk.ts) and writes bench/results/latest.json and latest.md. Every figure that
 * matters is a ratio against a reference measured in the same run, because the machine is shared
 * and absolute numbers drift by tens of percent from one minute to the next: bare Fastify (the
 * HTTP ceiling), the design limit (bench/design-limit-server.ts: bare Fastify + the same model,
 * coalesced, nothing else) and /predict with events on and off run in alternating rounds, in a
 * rotating order, and every ratio is given with its spread over the rounds.
 *
 *   node dist/bench/run.js [--quick] [--duration 6] [--connections 16] [--rounds 4]
 *                          [--only bare,limit,predict,...] [--reference-model file.onnx]
 *                          [--out bench/results]
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { benchPipeline, benchSocket } from './exporter-ingest.js';
import { environment, type Environment } from './environment.js';
import { runLoad, type LoadResult } from './load.js';
import { renderMarkdown } from './report.js';
import { childPids, runToCompletion, SCRIPTS, startService, type Service } from './spawn.js';
import { REPO_ROOT } from '../shared/paths.js';
import { benchTexts, SINGLE_TEXT_CHARS } from './texts.js';
import { evaluateTargets, type TargetCheck } from './targets.js';
import { parseVariant, type Variant } from './variant.js';

export type { Variant };

export const SCENARIOS = ['startup', 'bare', 'limit', 'predict', 'events', 'batch', 'workers2', 'metrics', 'ingest'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  duration: number;
  connections: number;
  rounds: number;
  only: ScenarioName[];
  /** An older model file: the design limit runs on it too, for "bundled model vs that one". */
  referenceModel?: string;
  /** More /predict servers in the rounds (A/B of a cut): other settings or another build. */
  variants: Variant[];
  out: string;
}

export interface Run extends LoadResult {
  label: string;
  /**
   * 2xx answers per CPU-second of the measured server (the first watched process, with its
   * cluster workers): what one fully available core would serve. Less moved by other processes
   * on a shared machine than req/s, though contention still costs cache and frequency.
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

/** One side of the alternating rounds. */
export interface RoundSeries {
  rps: Spread;
  perCpuSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** Answers with status >= 400 over all rounds: any makes the series no throughput figure. */
  non2xx: number;
  errors: number;
}

export interface BatchFigure {
  workers: 1 | 2;
  batchSize: number;
  requestsPerSecond: number;
  textsPerSecond: number;
  /** Texts per CPU-second of the inference processes (primary and workers). */
  textsPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export interface BenchResults {
  schema: 2;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  loadAverageEnd: number[];
  options: Omit<BenchOptions, 'out'>;
  /** The wrk command of the single-text runs (the same for every server; URL aside). */
  loadCommand?: string;
  /** Every load run, in the order it ran. */
  runs: Run[];
  startup?: { bareMs: number; limitMs: number; exporterMs: number; inference1Ms: number; inference2Ms: number; ratioInference1VsBare: number };
  /** Per round, in the order they ran (the order rotates). */
  rounds?: string[][];
  series?: Partial<Record<'bare' | 'limit' | 'limitReference' | 'predict' | 'predictEventsOff', RoundSeries>> & Record<string, RoundSeries>;
  /** Each --variant over /predict (events on), per round. */
  variants?: Array<{ label: string; env: Record<string, string>; root?: string; ratio: Spread; ratioPerCpuSecond: Spread; p99Ratio: Spread }>;
  /** /predict (events on) over the design limit, per round. */
  designLimit?: { ratio: Spread; ratioPerCpuSecond: Spread; p99Ratio: Spread; non2xx: number };
  /** The design limit with the bundled model over the same with --reference-model, per round. */
  modelCost?: { referenceModel: string; ratio: Spread; ratioPerCpuSecond: Spread };
  /** /predict (events on) over bare Fastify, per round. */
  bareVsPredict?: { ratio: Spread; ratioPerCpuSecond: Spread; limitVsBare?: Spread };
  predict5k?: { rps: number; p50Ms: number; p99Ms: number; ratioVsSingle: number };
  events?: {
    ratioOnOff: Spread;
    overheadPercent: Spread;
    overheadPercentPerCpuSecond: Spread;
    /** All rounds pooled: (1 - on answers per CPU-second / off answers per CPU-second) x 100. */
    overheadPercentPooledCpu: number;
  };
  batches?: BatchFigure[];
  workers2?: { rpsSingle: number; rps5k: number; ratioSingleVs1: number; ratio5kVs1: number; rssPerWorkerBytes: number[] };
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
  /**
   * RSS sampled every 500 ms during the load runs (max), and the kernel's own peak (VmHWM: start-up
   * and the moments between samples included) read after each run.
   */
  rss: { inferenceMaxBytes: number; exporterMaxBytes: number; inferencePeakBytes: number; exporterPeakBytes: number };
  targets: TargetCheck[];
}

export interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, median, min: Math.min(...values), max: Math.max(...values), values };
}

/** Answers per server CPU-second over several runs together (each run weighted by its CPU time). */
function pooledPerCpu(runs: Run[]): number {
  const answers = runs.reduce((a, r) => a + r.requests, 0);
  const cpu = runs.reduce((a, r) => a + r.requests / r.perServerCpuSecond, 0);
  return answers / cpu;
}

function series(runs: Run[]): RoundSeries {
  return {
    rps: spread(runs.map((r) => r.requestsPerSecond)),
    perCpuSecond: spread(runs.map((r) => r.perServerCpuSecond)),
    p50Ms: spread(runs.map((r) => r.latencyMs.p50)),
    p99Ms: spread(runs.map((r) => r.latencyMs.p99)),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
  };
}

/** a[i] / b[i] per round. */
function ratios(a: Run[], b: Run[], f: (r: Run) => number): Spread {
  return spread(a.map((r, i) => f(r) / f(b[i]!)));
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

export const BATCH_SIZES = [1, 8, 64] as const;

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const env = environment();
  log(`load average ${env.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}; ${o.rounds} round(s) of ${o.duration} s at ${o.connections} connections`);
  const want = (s: ScenarioName): boolean => o.only.length === 0 || o.only.includes(s);
  const texts = benchTexts();
  const body200 = JSON.stringify({ text: texts.single });
  const c = `${SINGLE_TEXT_CHARS}c`;
  const body5k = JSON.stringify({ text: texts.email5k });
  const dir = mkdtempSync(join(tmpdir(), 'spam-bench-'));
  const socket = join(dir, 'ch', 'events.sock');
  const services: Service[] = [];
  const runs: Run[] = [];
  const rssInference: number[] = [];
  const rssExporter: number[] = [];
  const peakInference: number[] = [];
  const peakExporter: number[] = [];
  const res: Partial<BenchResults> = {};
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
  const load = async (label: string, url: string, body: string | undefined, watch: { name: string; pid: number }[], during?: () => Promise<void>): Promise<Run> => {
    const r = await runLoad({ url, path: '/predict', body, method: body === undefined ? 'GET' : 'POST', connections: o.connections, seconds: o.duration, watch, during });
    // The server is the first watched process, with its cluster workers ("inference-2w ...").
    const group = r.processes[0]?.name.split(' ')[0];
    const serverCpu = r.processes.filter((p) => p.name.split(' ')[0] === group).reduce((a, p) => a + p.cpuSeconds, 0);
    const run: Run = { label, ...r, perServerCpuSecond: serverCpu > 0 ? r.requests / serverCpu : NaN };
    runs.push(run);
    for (const p of r.processes) {
      if (p.name.startsWith('inference')) {
        rssInference.push(p.rssMaxBytes);
        peakInference.push(p.rssPeakBytes);
      }
      if (p.name === 'exporter') {
        rssExporter.push(p.rssMaxBytes);
        peakExporter.push(p.rssPeakBytes);
      }
    }
    log(`${label}: ${Math.round(r.requestsPerSecond)} req/s (${Math.round(run.perServerCpuSecond)} per server CPU-s), p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors + r.timeouts}, wrk ${r.loadGeneratorCores.toFixed(2)} cores`);
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
    const needBare = want('bare') || want('startup');
    const needLimit = want('limit') || want('startup');
    const needOff = want('events');
    const needW2 = want('workers2') || want('startup');
    const [bare, limit, limitRef, exporter, inf, infOff, inf2] = await Promise.all([
      needBare ? seq(() => start('bare', SCRIPTS.bare, { PORT: '0' })) : undefined,
      needLimit ? seq(() => start('limit', SCRIPTS.designLimit, { PORT: '0' })) : undefined,
      needLimit && o.referenceModel ? seq(() => start('limit-reference', SCRIPTS.designLimit, { PORT: '0', MODEL_PATH: o.referenceModel! })) : undefined,
      seq(() => start('exporter', SCRIPTS.exporter, { EXPORTER_PORT: '0', EVENTS_SOCKET: socket })),
      seq(() => start('inference', SCRIPTS.inference, inferenceEnv({}))),
      needOff ? seq(() => start('inference-events-off', SCRIPTS.inference, inferenceEnv({ EVENTS_ENABLED: 'false' }))) : undefined,
      needW2 ? seq(() => start('inference-2w', SCRIPTS.inference, inferenceEnv({ WORKERS: '2' }))) : undefined,
    ]);
    if (want('startup')) {
      res.startup = {
        bareMs: bare!.readyMs,
        limitMs: limit!.readyMs,
        exporterMs: exporter.readyMs,
        inference1Ms: inf.readyMs,
        inference2Ms: inf2!.readyMs,
        ratioInference1VsBare: inf.readyMs / bare!.readyMs,
      };
      log(`start-up: bare ${bare!.readyMs.toFixed(0)} ms, design limit ${limit!.readyMs.toFixed(0)} ms, exporter ${exporter.readyMs.toFixed(0)} ms, inference ${inf.readyMs.toFixed(0)} ms, 2 workers ${inf2!.readyMs.toFixed(0)} ms`);
    }
    const wInf = [{ name: 'inference', pid: inf.pid }, { name: 'exporter', pid: exporter.pid }];
    const variantSvcs: Service[] = [];
    for (const [i, v] of o.variants.entries()) {
      const script = v.root ? join(v.root, 'dist', 'services', 'inference', 'src', 'main.js') : SCRIPTS.inference;
      variantSvcs.push(await seq(() => start(`inference-variant-${i + 1}`, script, inferenceEnv(v.env))));
    }

    // The alternating rounds: every server of the single-text comparison once per round, the order
    // rotated from round to round, so a burst of load from another process, or a slow drift,
    // skews one round's ratio and not always the same side.
    type Side = { key: string; label: string; svc: Service; watch: { name: string; pid: number }[] };
    const sides: Side[] = [];
    if (bare && (want('bare') || want('predict'))) sides.push({ key: 'bare', label: 'bare', svc: bare, watch: [{ name: 'bare', pid: bare.pid }] });
    if (limit && (want('limit') || want('predict'))) sides.push({ key: 'limit', label: 'design limit', svc: limit, watch: [{ name: 'limit', pid: limit.pid }] });
    if (limitRef) sides.push({ key: 'limitReference', label: 'design limit, reference model', svc: limitRef, watch: [{ name: 'limit-reference', pid: limitRef.pid }] });
    if (want('predict') || want('events')) sides.push({ key: 'predict', label: `predict ${c} 1w events on`, svc: inf, watch: wInf });
    if (infOff) sides.push({ key: 'predictEventsOff', label: `predict ${c} 1w events off`, svc: infOff, watch: [{ name: 'inference-events-off', pid: infOff.pid }] });
    // Variants share the exporter with /predict, as the deployed service does.
    o.variants.forEach((v, i) => {
      const svc = variantSvcs[i]!;
      sides.push({ key: `variant:${v.label}`, label: `predict ${c} 1w variant ${v.label}`, svc, watch: [{ name: `inference-variant-${i + 1}`, pid: svc.pid }, { name: 'exporter', pid: exporter.pid }] });
    });

    // Warm-up: JIT, onnxruntime arenas, keep-alive sockets; not recorded.
    if (!o.quick) for (const s of sides) await runLoad({ url: s.svc.url, path: '/predict', body: body200, connections: o.connections, seconds: 2, watch: [] });

    const byKey = new Map<string, Run[]>(sides.map((s) => [s.key, []]));
    res.rounds = [];
    for (let i = 0; i < o.rounds; i++) {
      const order = sides.map((_, k) => sides[(k + i) % sides.length]!);
      res.rounds.push(order.map((s) => s.label));
      for (const s of order) byKey.get(s.key)!.push(await load(`${s.label} #${i + 1}`, s.svc.url, body200, s.watch));
    }
    const got = (k: string): Run[] => byKey.get(k) ?? [];
    if (sides.length > 0) {
      res.loadCommand = runs[runs.length - 1]!.command.replace(/http:\/\/\S+/, 'http://127.0.0.1:PORT/predict');
      res.series = Object.fromEntries(sides.map((s) => [s.key, series(got(s.key))]));
    }
    const perCpu = (r: Run): number => r.perServerCpuSecond;
    const rps = (r: Run): number => r.requestsPerSecond;
    const on = got('predict');
    if (on.length > 0 && got('limit').length > 0) {
      res.designLimit = {
        ratio: ratios(on, got('limit'), rps),
        ratioPerCpuSecond: ratios(on, got('limit'), perCpu),
        p99Ratio: ratios(on, got('limit'), (r) => r.latencyMs.p99),
        non2xx: [...on, ...got('limit')].reduce((a, r) => a + r.non2xx, 0),
      };
    }
    if (got('limitReference').length > 0) {
      res.modelCost = { referenceModel: o.referenceModel!, ratio: ratios(got('limit'), got('limitReference'), rps), ratioPerCpuSecond: ratios(got('limit'), got('limitReference'), perCpu) };
    }
    if (on.length > 0 && got('bare').length > 0) {
      res.bareVsPredict = {
        ratio: ratios(on, got('bare'), rps),
        ratioPerCpuSecond: ratios(on, got('bare'), perCpu),
        ...(got('limit').length > 0 ? { limitVsBare: ratios(got('limit'), got('bare'), rps) } : {}),
      };
    }
    if (o.variants.length > 0 && on.length > 0) {
      res.variants = o.variants.map((v) => {
        const vr = got(`variant:${v.label}`);
        return { ...v, ratio: ratios(vr, on, rps), ratioPerCpuSecond: ratios(vr, on, perCpu), p99Ratio: ratios(vr, on, (r) => r.latencyMs.p99) };
      });
    }
    const off = got('predictEventsOff');
    if (on.length > 0 && off.length > 0) {
      const ratio = ratios(on, off, rps);
      res.events = {
        ratioOnOff: ratio,
        overheadPercent: spread(ratio.values.map((v) => (1 - v) * 100)),
        overheadPercentPerCpuSecond: spread(on.map((r, i) => (1 - r.perServerCpuSecond / off[i]!.perServerCpuSecond) * 100)),
        overheadPercentPooledCpu: (1 - pooledPerCpu(on) / pooledPerCpu(off)) * 100,
      };
    }
    const single = res.series?.predict?.rps.median;

    if (want('predict')) {
      const r = await load('predict 5KiB 1w', inf.url, body5k, wInf);
      res.predict5k = { rps: r.requestsPerSecond, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, ratioVsSingle: single ? r.requestsPerSecond / single : NaN };
    }

    const w2 = (): { name: string; pid: number }[] => [
      { name: 'inference-2w primary', pid: inf2!.pid },
      ...childPids(inf2!.pid).map((pid, i) => ({ name: `inference-2w worker ${i}`, pid })),
      { name: 'exporter', pid: exporter.pid },
    ];

    if (want('batch')) {
      res.batches = [];
      const targets: Array<{ workers: 1 | 2; svc: Service; watch: () => { name: string; pid: number }[] }> = [{ workers: 1, svc: inf, watch: () => wInf }];
      if (inf2) targets.push({ workers: 2, svc: inf2, watch: w2 });
      for (const t of targets) {
        for (const size of BATCH_SIZES) {
          const r = await load(`batch ${size} short ${t.workers}w`, t.svc.url, JSON.stringify({ texts: texts.short64.slice(0, size) }), t.watch());
          res.batches.push({
            workers: t.workers,
            batchSize: size,
            requestsPerSecond: r.requestsPerSecond,
            textsPerSecond: r.requestsPerSecond * size,
            textsPerCpuSecond: r.perServerCpuSecond * size,
            p50Ms: r.latencyMs.p50,
            p99Ms: r.latencyMs.p99,
            non2xx: r.non2xx,
          });
        }
      }
    }

    if (want('workers2') && inf2) {
      const a = await load(`predict ${c} 2w`, inf2.url, body200, w2());
      const b = await load('predict 5KiB 2w', inf2.url, body5k, w2());
      res.workers2 = {
        rpsSingle: a.requestsPerSecond,
        rps5k: b.requestsPerSecond,
        ratioSingleVs1: single ? a.requestsPerSecond / single : NaN,
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
      await load(`predict ${c} 1w + scrapes`, inf.url, body200, wInf, async () => {
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
    rmSync(dir, { recursive: true, force: true });
  }

  const results: BenchResults = {
    schema: 2,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: env,
    loadAverageEnd: environment().loadAverageStart,
    options: { quick: o.quick, duration: o.duration, connections: o.connections, rounds: o.rounds, only: o.only, ...(o.referenceModel ? { referenceModel: o.referenceModel } : {}), variants: o.variants },
    runs,
    ...res,
    rss: {
      inferenceMaxBytes: Math.max(0, ...rssInference.filter(Number.isFinite)),
      exporterMaxBytes: Math.max(0, ...rssExporter.filter(Number.isFinite)),
      inferencePeakBytes: Math.max(0, ...peakInference.filter(Number.isFinite)),
      exporterPeakBytes: Math.max(0, ...peakExporter.filter(Number.isFinite)),
    },
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
    .option('--connections <n>', 'wrk connections', Number, 16)
    .option('--rounds <n>', 'alternating rounds (bare, design limit, /predict events on and off)', Number)
    .option('--reference-model <file>', 'also run the design limit on this model file (the model-cost target)')
    .option('--variant <label:K=V,...|label@root>', 'another /predict in the rounds (repeatable): other env, or the build under root/dist', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--only <scenarios>', `comma-separated subset of ${SCENARIOS.join(',')}`).argParser((v) => v.split(',').map((s) => s.trim()).filter(Boolean)))
    .option('--out <dir>', 'where latest.json and latest.md go', join(REPO_ROOT, 'bench', 'results'))
    .parse(argv);
  const opts = cmd.opts<{ quick: boolean; duration?: number; connections: number; rounds?: number; only?: string[]; referenceModel?: string; variant: string[]; out: string }>();
  const variants = opts.variant.map((spec) => parseVariant(spec, (m) => cmd.error(m)));
  const only = (opts.only ?? []) as ScenarioName[];
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) cmd.error(`unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
  // wrk runs whole seconds: the smoke mode's runs take 1 s each.
  const duration = opts.duration ?? (opts.quick ? 1 : 6);
  const rounds = opts.rounds ?? (opts.quick ? 1 : 4);
  if (!(duration > 0) || !(opts.connections >= 1) || !(rounds >= 1)) cmd.error('--duration, --connections and --rounds must be positive');
  if (opts.referenceModel !== undefined && !existsSync(opts.referenceModel)) cmd.error(`--reference-model: no file ${opts.referenceModel}`);
  return { quick: opts.quick, duration, connections: opts.connections, rounds, only, ...(opts.referenceModel ? { referenceModel: resolve(opts.referenceModel) } : {}), variants, out: opts.out };
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
