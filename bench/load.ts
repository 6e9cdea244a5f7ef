/**
 * One load run: autocannon (programmatic) against a URL for a fixed duration, with latencies kept
 * at microsecond resolution (autocannon's own histogram is whole milliseconds, too coarse for a
 * 2 ms p99 target) and the CPU and RSS of each measured process sampled with pidusage.
 */
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import pidusage from 'pidusage';

export interface ProcessUsage {
  name: string;
  pid: number;
  /** Cores used on average over the run (CPU seconds / wall seconds): 1.0 = one core busy. */
  cpuCores: number;
  rssMaxBytes: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  processes: ProcessUsage[];
}

export interface LoadSpec {
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  body?: string;
  connections: number;
  seconds: number;
  /** Processes whose CPU and RSS are sampled during the run. */
  watch: { name: string; pid: number }[];
  /** Called every ~100 ms while the load runs (e.g. to time scrapes under load). */
  during?: () => Promise<void>;
}

async function usage(pids: number[]): Promise<Map<number, { ctime: number; memory: number }>> {
  const out = new Map<number, { ctime: number; memory: number }>();
  if (pids.length === 0) return out;
  const stats = await pidusage(pids);
  for (const pid of pids) {
    const s = stats[String(pid)];
    if (s) out.set(pid, { ctime: s.ctime, memory: s.memory });
  }
  return out;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const pids = spec.watch.map((w) => w.pid);
  const rssMax = new Map<number, number>();
  const u0 = await usage(pids);
  const t0 = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, 500));
      for (const [pid, s] of await usage(pids)) rssMax.set(pid, Math.max(rssMax.get(pid) ?? 0, s.memory));
    }
  })();
  let side: Promise<void> | undefined;
  if (spec.during) {
    const during = spec.during;
    side = (async () => {
      while (sampling) {
        await during();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((res, rej) => {
    instance = autocannon({
    url: `${spec.url}${spec.path}`,
    method: spec.method ?? 'POST',
    headers: spec.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: spec.body,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
  }, (err, result) => (err ? rej(err instanceof Error ? err : new Error(String(err))) : res(result)));
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300) hist.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  const r = await done;
  const seconds = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  await side;
  const u1 = await usage(pids);
  for (const [pid, s] of u1) rssMax.set(pid, Math.max(rssMax.get(pid) ?? 0, s.memory));
  const processes = spec.watch.map(({ name, pid }) => {
    const a = u0.get(pid);
    const b = u1.get(pid);
    return { name, pid, cpuCores: a && b ? (b.ctime - a.ctime) / 1000 / seconds : NaN, rssMaxBytes: rssMax.get(pid) ?? NaN };
  });
  const ok = r.requests.total - r.non2xx;
  const q = (p: number): number => hist.getValueAtPercentile(p) / 1000;
  const result: LoadResult = {
    requests: ok,
    seconds: r.duration,
    // Successful answers only: a 4xx/5xx is not throughput.
    requestsPerSecond: ok / r.duration,
    latencyMs: { p50: q(50), p90: q(90), p99: q(99), max: hist.maxValue / 1000 },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    processes,
  };
  hist.destroy();
  return result;
}
