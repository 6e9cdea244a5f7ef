/** Host memory from node-os-utils (/proc/meminfo): used = total - available, as free(1) counts it. */
import { Gauge } from 'prom-client';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { unwrap, type CollectorFactory } from './collector.js';

export const createMemoryCollector: CollectorFactory = ({ registry, os }) => {
  const used = new Gauge({ name: M.hostMemoryUsedBytes.name, help: M.hostMemoryUsedBytes.help, registers: [registry] });
  const total = new Gauge({ name: M.hostMemoryTotalBytes.name, help: M.hostMemoryTotalBytes.help, registers: [registry] });
  const percent = new Gauge({ name: M.memoryUsagePercent.name, help: M.memoryUsagePercent.help, registers: [registry] });
  return {
    name: 'memory',
    async sample() {
      const info = unwrap(await os.memory.info(), 'memory info');
      const t = info.total.bytes;
      const u = Math.max(0, t - info.available.bytes);
      total.set(t);
      used.set(u);
      percent.set(t > 0 ? (100 * u) / t : 0);
    },
  };
};
