/**
 * One load run: wrk (bench/wrk.ts) against a URL for a fixed duration, with the CPU time of each
 * measured process read from /proc/<pid>/stat before and after, their RSS sampled from
 * /proc/<pid>/status every 500 ms, and the load generator's own CPU from inside wrk.
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond, startWrk } from './wrk.js';

export interface ProcessUsage {
  name: string;
  pid: number;
  /** Cores used on average over the run (CPU seconds / wall seconds): 1.0 = one core busy. */
  cpuCores: number;
  /** CPU seconds over the run: answers / this = answers per CPU-second. */
  cpuSeconds: number;
  rssMaxBytes: number;
  /** The kernel's own peak RSS of the process since it started (VmHWM), read after the run. */
  rssPeakBytes: number;
}

export interface LoadResult {
  /** 2xx answers only: a 4xx/5xx is not throughput. */
  requests: number;
  seconds: number;
  /** 2xx answers per second. */
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Answers with status >= 400 (wrk's "Non-2xx or 3xx responses"). Any: not a throughput figure. */
  non2xx: number;
  /** Socket errors (connect, read, write). */
  errors: number;
  timeouts: number;
  processes: ProcessUsage[];
  /** wrk's own CPU over the run, in cores (its CPU seconds / the run's seconds). */
  loadGeneratorCores: number;
  loadGeneratorCpuSeconds: number;
  /** The wrk command line. */
  command: string;
}

export interface LoadSpec {
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  body?: string;
  connections: number;
  seconds: number;
  /** Processes whose CPU and RSS are measured during the run. */
  watch: { name: string; pid: number }[];
  /** Called every ~100 ms while the load runs (e.g. to time scrapes under load). */
  during?: () => Promise<void>;
}

/** CPU seconds (user + system) of a process so far, or NaN if it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // stat(5): utime and stime are fields 14 and 15; f[0] is field 3 (state).
    return (Number(f[11]) + Number(f[12])) / clockTicksPerSecond();
  } catch {
    return NaN;
  }
}

/** A `kB` field of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak; RssAnon + RssFile = VmRSS) in bytes, or NaN if the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile' = 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const rssMax = new Map<number, number>();
  const sampleRss = (): void => {
    for (const { pid } of spec.watch) {
      const r = statusBytes(pid);
      if (Number.isFinite(r)) rssMax.set(pid, Math.max(rssMax.get(pid) ?? 0, r));
    }
  };
  const cpu0 = spec.watch.map((w) => cpuSecondsOf(w.pid));
  const t0 = performance.now();
  const wrk = startWrk({ url: `${spec.url}${spec.path}`, method: spec.method ?? 'POST', body: spec.body, connections: spec.connections, seconds: spec.seconds });
  let running = true;
  const sampler = setInterval(sampleRss, 500);
  let side: Promise<void> | undefined;
  if (spec.during) {
    const during = spec.during;
    side = (async () => {
      while (running) {
        await during();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }
  let r;
  try {
    r = await wrk.result;
  } finally {
    running = false;
    clearInterval(sampler);
    await side;
  }
  // wrk's own duration is the load window; the CPU deltas span wrk's whole process (start-up,
  // connecting and the report included, a few ms), so they are divided by the wall time around it.
  const wall = (performance.now() - t0) / 1000;
  sampleRss();
  const processes = spec.watch.map(({ name, pid }, i) => {
    const cpuSeconds = cpuSecondsOf(pid) - cpu0[i]!;
    return { name, pid, cpuCores: cpuSeconds / wall, cpuSeconds, rssMaxBytes: rssMax.get(pid) ?? NaN, rssPeakBytes: statusBytes(pid, 'VmHWM') };
  });
  const ok = r.requests - r.non2xx;
  return {
    requests: ok,
    seconds: r.seconds,
    requestsPerSecond: ok / r.seconds,
    latencyMs: { p50: r.latencyMs.p50, p90: r.latencyMs.p90, p99: r.latencyMs.p99, max: r.latencyMs.max },
    non2xx: r.non2xx,
    errors: r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write,
    timeouts: r.socketErrors.timeout,
    processes,
    loadGeneratorCores: r.cpuSeconds / wall,
    loadGeneratorCpuSeconds: r.cpuSeconds,
    command: r.command,
  };
}
