/**
 * Load beyond capacity: drive POST /predict on 127.0.0.1 far past what the workers can
 * serve and report how the service degrades: how much @fastify/under-pressure sheds (503
 * OVERLOADED + Retry-After, spam_detector_load_shed_total), the latency of all answers, memory,
 * and whether anything crashed. The load is wrk (bench/wrk.ts, one thread, its Lua script counting
 * the answers by status and reading the 503s' Retry-After and `code`). Bounded: each level runs
 * a fixed time.
 *
 *   node dist/bench/overload.js [--workers 1] [--seconds 10] [--connections 16,128,512]
 *                               [--elu 0.9] [--delay-ms 0] [--out file.json]
 *
 * --elu / --delay-ms set PRESSURE_MAX_EVENT_LOOP_UTILIZATION / PRESSURE_MAX_EVENT_LOOP_DELAY_MS
 * (0 keeps the service default). driveOverload() is also used by test/reliability/overload.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childPids, SCRIPTS, startService, type Service } from './spawn.js';
import { startWrk } from './wrk.js';
import { statusBytes } from './load.js';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface OverloadResult {
  connections: number;
  /** wrk's run time. */
  seconds: number;
  /** Every answer wrk read, by status. */
  statuses: Record<string, number>;
  accepted: number;
  shed: number;
  /** wrk's socket errors: connect, read and write (a crash shows here). */
  errors: number;
  /** wrk's socket timeouts (a hang shows here). */
  timeouts: number;
  acceptedPerSecond: number;
  /** All answers, accepted and shed together: wrk's latency distribution is not split by status. */
  latencyMs: Latency;
  /** The distinct Retry-After headers and `code`s of the 503 answers. */
  retryAfter: string[];
  shedCodes: string[];
  rssMaxBytes: number;
  /** The wrk command line. */
  command: string;
}

export interface OverloadSpec {
  url: string;
  body: string;
  connections: number;
  /** A fixed time; answers still in flight when it ends are not counted. */
  seconds?: number;
  /** A fixed number of requests instead: exactly that many are sent and all are counted (exact comparisons in tests). */
  amount?: number;
  /** Processes whose RSS is sampled (VmRSS from /proc) during the run. */
  pids: number[];
}

/** The bound of an `amount` run (wrk needs a duration): answers that never come end it here, as timeouts. */
const AMOUNT_BOUND_SECONDS = 120;
/** wrk's per-request timeout. */
const TIMEOUT_SECONDS = 30;

/** One bounded wrk run (one thread) whose script tallies the answers, with RSS sampled meanwhile. */
export async function driveOverload(spec: OverloadSpec): Promise<OverloadResult> {
  let rssMax = 0;
  const sample = (): void => {
    // A process that is gone (NaN) counts 0.
    rssMax = Math.max(rssMax, spec.pids.reduce((a, pid) => a + (statusBytes(pid) || 0), 0));
  };
  sample();
  const sampler = setInterval(sample, 200);
  let r;
  try {
    r = await startWrk({
      url: `${spec.url}/predict`,
      method: 'POST',
      body: spec.body,
      connections: spec.connections,
      threads: 1,
      timeoutSeconds: TIMEOUT_SECONDS,
      tally: true,
      ...(spec.amount !== undefined ? { maxRequests: spec.amount, seconds: AMOUNT_BOUND_SECONDS } : { seconds: spec.seconds ?? 10 }),
    }).result;
  } finally {
    clearInterval(sampler);
  }
  sample();
  const statuses = r.tally?.statuses ?? {};
  const accepted = Object.entries(statuses).filter(([s]) => /^2\d\d$/.test(s)).reduce((a, [, n]) => a + n, 0);
  const shedSeen = r.tally?.errors['503'];
  return {
    connections: spec.connections,
    seconds: r.seconds,
    statuses,
    accepted,
    shed: statuses['503'] ?? 0,
    errors: r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write,
    timeouts: r.socketErrors.timeout,
    acceptedPerSecond: accepted / r.seconds,
    latencyMs: { p50: r.latencyMs.p50, p99: r.latencyMs.p99, max: r.latencyMs.max },
    retryAfter: shedSeen?.retryAfter ?? [],
    shedCodes: shedSeen?.codes ?? [],
    rssMaxBytes: rssMax,
    command: r.command,
  };
}

/** Sum of the samples of one metric in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export const OVERLOAD_TEXT =
  'Dear friend, you have been selected to receive a guaranteed cash prize. Click the link below to claim your reward before midnight. '.repeat(40);

interface CliOptions {
  workers: number;
  seconds: number;
  connections: number[];
  elu: number;
  delayMs: number;
  out: string | undefined;
}

function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { workers: 1, seconds: 10, connections: [16, 128, 512], elu: 0.9, delayMs: 0, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--workers': o.workers = Number(v); i++; break;
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--connections': o.connections = String(v).split(',').map(Number); i++; break;
      case '--elu': o.elu = Number(v); i++; break;
      case '--delay-ms': o.delayMs = Number(v); i++; break;
      case '--out': o.out = v; i++; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!(o.seconds > 0 && o.seconds <= 120)) throw new Error('--seconds must be 1-120');
  if (o.connections.some((c) => !(c >= 1 && c <= 4096))) throw new Error('--connections must be 1-4096 each');
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'overload-'));
  const socket = join(dir, 'run', 'events.sock');
  // Default log level, as in production: the access log is part of the cost (stdout goes to a file).
  const env = { EVENTS_SOCKET: socket, LOG_LEVEL: 'info' };
  const services: Service[] = [];
  try {
    const exporter = await startService('exporter', SCRIPTS.exporter, { ...env, EXPORTER_PORT: '0' }, dir);
    services.push(exporter);
    const inference = await startService(
      'inference',
      SCRIPTS.inference,
      {
        ...env,
        INFERENCE_PORT: '0',
        WORKERS: String(o.workers),
        PRESSURE_SAMPLE_INTERVAL_MS: '100',
        // Steady state: the first level starts right after the start, inside the start-up grace.
        PRESSURE_WARMUP_MS: '0',
        PRESSURE_RETRY_AFTER_SECONDS: '2',
        ...(o.elu > 0 ? { PRESSURE_MAX_EVENT_LOOP_UTILIZATION: String(o.elu) } : {}),
        ...(o.delayMs > 0 ? { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: String(o.delayMs) } : {}),
      },
      dir,
      [],
      60_000,
    );
    services.push(inference);
    const pids = [inference.pid, ...childPids(inference.pid)];
    const loadText = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
    const loadBefore = loadText();
    process.stdout.write(`load average ${loadBefore}; ${o.workers} worker(s), ${o.seconds} s per level, wrk -t1 (Lua tally of every answer)\n`);
    const body = JSON.stringify({ text: OVERLOAD_TEXT });
    const rows: Array<OverloadResult & { shedMetric: number; exporterRequests: number; alive: boolean }> = [];
    for (const connections of o.connections) {
      const shed0 = metricSum(await (await fetch(`${inference.url}/metrics`)).text(), 'spam_detector_load_shed_total');
      const req0 = metricSum(await (await fetch(`${exporter.url}/metrics`)).text(), 'spam_detector_requests_total');
      const r = await driveOverload({ url: inference.url, body, connections, seconds: o.seconds, pids });
      // Let the pressure clear and the events arrive before reading the counters.
      await new Promise((res) => setTimeout(res, 2000));
      const health = await fetch(`${inference.url}/health`).then((x) => x.status, () => 0);
      const shedMetric = metricSum(await (await fetch(`${inference.url}/metrics`)).text(), 'spam_detector_load_shed_total') - shed0;
      const exporterRequests = metricSum(await (await fetch(`${exporter.url}/metrics`)).text(), 'spam_detector_requests_total') - req0;
      rows.push({ ...r, shedMetric, exporterRequests, alive: health === 200 && inference.child.exitCode === null });
      const l = r.latencyMs;
      process.stdout.write(
        `${String(connections).padStart(5)} conns: ${r.accepted} accepted (${r.acceptedPerSecond.toFixed(0)}/s), ` +
          `${r.shed} shed (metric +${shedMetric}, Retry-After ${r.retryAfter.join('/') || '-'}), ` +
          `all answers p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms, errors ${r.errors}, timeouts ${r.timeouts}, ` +
          `exporter requests +${exporterRequests}, RSS max ${(r.rssMaxBytes / 1048576).toFixed(0)} MB, alive ${health === 200}\n`,
      );
    }
    const loadAfter = loadText();
    process.stdout.write(`load average ${loadAfter}\n`);
    const report = { workers: o.workers, seconds: o.seconds, elu: o.elu, delayMs: o.delayMs, loadAverage: { before: loadBefore, after: loadAfter }, rows };
    if (o.out) writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`overload: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
