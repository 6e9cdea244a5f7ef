/**
 * The progress bar (cli-progress) for long runs on a terminal. Count-bounded runs show
 * requests done of the count; duration-bounded runs show seconds elapsed of the duration.
 */
import cliProgress from 'cli-progress';
import { performance } from 'node:perf_hooks';
import type { RunStats } from './stats.js';

/** Runs shorter than this are over before a bar would tell anything. */
const LONG_RUN_REQUESTS = 200;
const LONG_RUN_SECONDS = 10;

export interface Progress {
  update(stats: RunStats): void;
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

export function isLongRun(count: number | undefined, durationS: number | undefined): boolean {
  return (durationS !== undefined && durationS >= LONG_RUN_SECONDS) || (durationS === undefined && (count ?? 0) >= LONG_RUN_REQUESTS);
}

export function createProgress(opts: {
  enabled: boolean;
  stream: NodeJS.WriteStream;
  count: number | undefined;
  durationS: number | undefined;
}): Progress {
  if (!opts.enabled || !opts.stream.isTTY || !isLongRun(opts.count, opts.durationS)) return NONE;
  const byTime = opts.durationS !== undefined;
  const total = byTime ? Math.round(opts.durationS ?? 0) : (opts.count ?? 0);
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream,
      format: byTime
        ? 'traffic {bar} {value}/{total} s | {sent} sent | {rps} req/s | {failed} failed'
        : 'traffic {bar} {value}/{total} | {rps} req/s | {failed} failed | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  bar.start(total, 0, { sent: 0, rps: 0, failed: 0 });
  let last: RunStats | undefined;
  let stopped = false;
  const payload = (stats: RunStats | undefined) => {
    const elapsed = (performance.now() - start) / 1000;
    const sent = stats?.completed ?? 0;
    return { sent, rps: elapsed > 0 ? Math.round(sent / elapsed) : 0, failed: stats?.failures ?? 0 };
  };
  // A time-bounded bar must move even while no answer comes back (a stalled service).
  const timer = byTime
    ? setInterval(() => bar.update(Math.min(total, Math.floor((performance.now() - start) / 1000)), payload(last)), 250)
    : undefined;
  timer?.unref();
  return {
    update(stats) {
      last = stats;
      if (!byTime && !stopped) bar.update(stats.completed, payload(stats));
    },
    // Idempotent: Ctrl+C stops the bar before saying so, then the run's end stops it again.
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      if (byTime) bar.update(Math.min(total, Math.round((performance.now() - start) / 1000)), payload(last));
      bar.stop();
    },
  };
}
