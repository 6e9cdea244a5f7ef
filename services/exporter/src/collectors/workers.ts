/**
 * CPU and resident memory of the connected inference workers' processes (pidusage reads
 * /proc/PID/stat), one series per worker slot. The pids come from the workers' hello frames,
 * through the worker registry; a series shows only while its process is connected, and a new
 * process in a slot starts without figures until it is sampled.
 */
import pidusage from 'pidusage';
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { EXPORTER_METRICS as M, type MetricDef } from '../../../../shared/metrics.js';
import type { CollectorFactory } from './collector.js';

interface Usage {
  pid: number;
  cpuCores: number;
  rssBytes: number;
}

export const createWorkersCollector: CollectorFactory = ({ registry, workers }) => {
  /** The latest sample of each slot, for the pid sampled. */
  const usage = new Map<string, Usage>();
  const perWorker = (def: MetricDef, pick: (u: Usage) => number): void => {
    gaugeFrom(def, registry, function collect() {
      this.reset();
      for (const p of workers.processes()) {
        const u = usage.get(p.worker);
        if (u !== undefined && u.pid === p.pid) this.set({ worker: p.worker }, pick(u));
      }
    });
  };
  perWorker(M.workerCpuUsageRatio, (u) => u.cpuCores);
  perWorker(M.workerResidentMemoryBytes, (u) => u.rssBytes);
  return {
    name: 'workers',
    async sample() {
      const procs = workers.processes();
      const results = await Promise.allSettled(procs.map((p) => pidusage(p.pid)));
      let failed = 0;
      results.forEach((r, i) => {
        const p = procs[i]!;
        if (r.status === 'fulfilled') {
          usage.set(p.worker, { pid: p.pid, cpuCores: r.value.cpu / 100, rssBytes: r.value.memory });
        } else {
          // Usually a worker that exited between its last frame and this sample.
          usage.delete(p.worker);
          failed++;
        }
      });
      if (failed > 0) throw new Error(`${failed} of ${procs.length} worker processes could not be sampled`);
    },
  };
};

/** pidusage keeps per-pid history (and a timer) for its CPU deltas. */
export function releaseWorkersCollector(): void {
  pidusage.clear();
}
