/**
 * CPU and resident memory of the connected inference workers' processes (pidusage reads
 * /proc/PID/stat). The pids come from the workers' hello frames; the gauges are rendered by
 * Publishers, which owns the per-slot series.
 */
import pidusage from 'pidusage';
import type { CollectorFactory } from './collector.js';

export const createWorkersCollector: CollectorFactory = ({ publishers }) => ({
  name: 'workers',
  async sample() {
    const procs = publishers.processes();
    const results = await Promise.allSettled(procs.map((p) => pidusage(p.pid)));
    let failed = 0;
    results.forEach((r, i) => {
      const p = procs[i]!;
      if (r.status === 'fulfilled') {
        publishers.setProcessUsage(p.worker, p.pid, { cpuCores: r.value.cpu / 100, rssBytes: r.value.memory });
      } else {
        // Usually a worker that exited between its last frame and this sample.
        publishers.setProcessUsage(p.worker, p.pid, undefined);
        failed++;
      }
    });
    if (failed > 0) throw new Error(`${failed} of ${procs.length} worker processes could not be sampled`);
  },
});

/** pidusage keeps per-pid history (and a timer) for its CPU deltas. */
export function releaseWorkersCollector(): void {
  pidusage.clear();
}
