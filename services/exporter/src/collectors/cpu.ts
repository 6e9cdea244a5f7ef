/** Host CPU usage from node-os-utils (two /proc/stat readings 200 ms apart). */
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { unwrap, type CollectorFactory } from './collector.js';

export const createCpuCollector: CollectorFactory = ({ registry, os }) => {
  const ratio = gaugeFrom(M.hostCpuUsageRatio, registry);
  const percent = gaugeFrom(M.cpuUsagePercent, registry);
  return {
    name: 'cpu',
    async sample() {
      const usage = unwrap(await os.cpu.usage(), 'cpu usage'); // 0-100
      const clamped = Math.min(100, Math.max(0, usage));
      percent.set(clamped);
      ratio.set(clamped / 100);
    },
  };
};
