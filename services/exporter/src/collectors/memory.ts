/** Host memory from node-os-utils (/proc/meminfo): used = total - available, as free(1) counts it. */
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { unwrap, type CollectorFactory } from './collector.js';

export const createMemoryCollector: CollectorFactory = ({ registry, os }) => {
  const used = gaugeFrom(M.hostMemoryUsedBytes, registry);
  const total = gaugeFrom(M.hostMemoryTotalBytes, registry);
  const percent = gaugeFrom(M.memoryUsagePercent, registry);
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
