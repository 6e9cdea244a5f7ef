/**
 * Load beyond capacity: drive POST /predict on 127.0.0.1 far past what the workers can
 * serve and report how the service degrades: how much @fastify/under-pressure sheds (503
 * OVERLOADED + Retry-After, spam_detector_load_shed_total), the latency of the requests it
 * accepted, memory, and whether anything crashed. Bounded: each level runs a fixed time.
 *
 *   node dist/bench/overload.js [--workers 1] [--seconds 10] [--connections 16,128,512]
 *                               [--elu 0.9] [--delay-ms 0] [--out file.json]
 *
 * --elu / --delay-ms set PRESSURE_MAX_EVENT_LOOP_UTILIZATION / PRESSURE_MAX_EVENT_LOOP_DELAY_MS
 * (0 keeps the service default). driveOverload() is also used by test/reliability/overload.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { childPids, SCRIPTS, startService, type Service } from './spawn.js';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface OverloadResult {
  connections: number;
  seconds: number;
  /** Answers by status, load generator and probes together. */
  statuses: Record<string, number>;
  accepted: number;
  shed: number;
  /** Connection errors and timeouts of the load generator (a crash or a hang shows here). */
  errors: number;
  timeouts: number;
  acceptedPerSecond: number;
  latencyAcceptedMs: Latency;
  latencyShedMs: Latency;
  /** What the probes saw on 503 answers. */
  retryAfter: string[];
  shedCodes: string[];
  rssMaxBytes: number;
}

export interface OverloadSpec {
  url: string;
  body: string;
  connections: number;
  /** A fixed time; answers still in flight when it ends are not counted by autocannon. */
  seconds?: number;
  /** A fixed number of requests instead: every answer is counted (exact comparisons in tests). */
  amount?: number;
  /** Processes whose RSS is sampled (VmRSS from /proc) during the run. */
  pids: number[];
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function latency(h: hdr.Histogram): Latency {
  if (h.totalCount === 0) return { p50: 0, p99: 0, max: 0 };
  return { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 };
}

/** One bounded run of autocannon plus a probe that reads the 503s' headers and bodies. */
export async function driveOverload(spec: OverloadSpec): Promise<OverloadResult> {
  const build = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const okHist = build();
  const shedHist = build();
  const statuses: Record<string, number> = {};
  const retryAfter = new Set<string>();
  const shedCodes = new Set<string>();
  let rssMax = 0;
  let running = true;

  const sampler = (async () => {
    while (running) {
      rssMax = Math.max(rssMax, spec.pids.reduce((a, pid) => a + rssOf(pid), 0));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  // autocannon does not expose headers: a slow probe on its own connection does.
  const probe = (async () => {
    while (running) {
      try {
        const res = await fetch(`${spec.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec.body, signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 503) {
          retryAfter.add(res.headers.get('retry-after') ?? '(none)');
          shedCodes.add(String((JSON.parse(text) as { code?: unknown }).code));
        }
      } catch {
        statuses.probe_error = (statuses.probe_error ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${spec.url}/predict`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: spec.body,
        connections: spec.connections,
        ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.seconds ?? 10 }),
        timeout: 30,
      },
      (err, r) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(r)),
    );
    instance.on('response', (_c: unknown, status: number, _bytes: number, ms: number) => {
      const us = Math.max(1, Math.round(ms * 1000));
      if (status >= 200 && status < 300) okHist.recordValue(us);
      else if (status === 503) shedHist.recordValue(us);
    });
  });
  running = false;
  await Promise.all([sampler, probe]);

  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (statuses[code] ?? 0) + (s.count ?? 0);
  const accepted = Object.entries(statuses).filter(([s]) => /^2\d\d$/.test(s)).reduce((a, [, n]) => a + n, 0);
  const out: OverloadResult = {
    connections: spec.connections,
    seconds: result.duration,
    statuses,
    accepted,
    shed: statuses['503'] ?? 0,
    errors: result.errors,
    timeouts: result.timeouts,
    acceptedPerSecond: accepted / result.duration,
    latencyAcceptedMs: latency(okHist),
    latencyShedMs: latency(shedHist),
    retryAfter: [...retryAfter],
    shedCodes: [...shedCodes],
    rssMaxBytes: rssMax,
  };
  okHist.destroy();
  shedHist.destroy();
  return out;
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
      const l = r.latencyAcceptedMs;
      process.stdout.write(
        `${String(connections).padStart(5)} conns: ${r.accepted} accepted (${r.acceptedPerSecond.toFixed(0)}/s, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms), ` +
          `${r.shed} shed (metric +${shedMetric}, Retry-After ${r.retryAfter.join('/') || '-'}), errors ${r.errors}, timeouts ${r.timeouts}, ` +
          `exporter requests +${exporterRequests}, RSS max ${(r.rssMaxBytes / 1048576).toFixed(0)} MB, alive ${health === 200}\n`,
      );
    }
    const report = { workers: o.workers, seconds: o.seconds, elu: o.elu, delayMs: o.delayMs, rows };
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
