/**
 * Usage of the filesystem holding DISK_PATH, from node-os-utils (df -B1). The mount point is the
 * longest one containing the path, so DISK_PATH may be any directory (e.g. the model directory).
 * The percentage is df's: used / (used + available), so it reaches 100 when unprivileged writes
 * fail, whatever the reserved blocks.
 */
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { Gauge } from 'prom-client';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { unwrap, type CollectorFactory } from './collector.js';

function contains(mountpoint: string, path: string): boolean {
  return mountpoint === '/' || path === mountpoint || path.startsWith(mountpoint.endsWith(sep) ? mountpoint : mountpoint + sep);
}

export const createDiskCollector: CollectorFactory = ({ registry, os, diskPath }) => {
  const opts = (d: { name: string; help: string }) => ({ name: d.name, help: d.help, labelNames: ['mountpoint'] as const, registers: [registry] });
  const used = new Gauge(opts(M.hostDiskUsedBytes));
  const size = new Gauge(opts(M.hostDiskSizeBytes));
  const available = new Gauge(opts(M.hostDiskAvailableBytes));
  const percent = new Gauge({ name: M.diskUsagePercent.name, help: M.diskUsagePercent.help, registers: [registry] });
  let mountpoint: string | undefined;
  return {
    name: 'disk',
    async sample() {
      const path = await realpath(diskPath);
      const filesystems = unwrap(await os.disk.usage(), 'disk usage');
      let best: (typeof filesystems)[number] | undefined;
      for (const fs of filesystems) {
        if (contains(fs.mountpoint, path) && (!best || fs.mountpoint.length > best.mountpoint.length)) best = fs;
      }
      if (!best) throw new Error(`no mounted filesystem holds ${path}`);
      if (mountpoint !== undefined && mountpoint !== best.mountpoint) {
        // The label set stays one series: forget the old mount point when the path moves.
        used.reset();
        size.reset();
        available.reset();
      }
      mountpoint = best.mountpoint;
      const u = best.used.bytes;
      const a = best.available.bytes;
      used.set({ mountpoint }, u);
      size.set({ mountpoint }, best.total.bytes);
      available.set({ mountpoint }, a);
      percent.set(u + a > 0 ? (100 * u) / (u + a) : 0);
    },
  };
};
