/**
 * Usage of the filesystem holding DISK_PATH, from statfs(2) (Node's fs.statfs): the numbers df
 * prints, without df. Before, node-os-utils ran `df -B1` through a shell on every sample (a fork
 * and exec of sh and df from the exporter every 5 s, and a parse of every mount on the host).
 * The mount point label is the longest mount point in /proc/self/mountinfo containing the path,
 * so DISK_PATH may be any directory (e.g. the model directory), as before.
 *
 * The figures are df's: size = blocks, used = blocks - bfree, available = bavail (times the block
 * size), and the percentage is used / (used + available), so it reaches 100 when unprivileged
 * writes fail, whatever the reserved blocks.
 */
import { readFile, realpath, statfs } from 'node:fs/promises';
import { sep } from 'node:path';
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import type { CollectorFactory } from './collector.js';

function contains(mountpoint: string, path: string): boolean {
  return mountpoint === '/' || path === mountpoint || path.startsWith(mountpoint.endsWith(sep) ? mountpoint : mountpoint + sep);
}

/** mountinfo escapes space, tab, newline and backslash in paths as \ooo octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount points of this process's mount namespace (field 5 of /proc/self/mountinfo). */
export function parseMountinfo(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined && field !== '') out.push(unescapeMountPath(field));
  }
  return out;
}

export function longestMountpoint(mountpoints: readonly string[], path: string): string | undefined {
  let best: string | undefined;
  for (const m of mountpoints) if (contains(m, path) && (best === undefined || m.length > best.length)) best = m;
  return best;
}

export const createDiskCollector: CollectorFactory = ({ registry, diskPath }) => {
  const used = gaugeFrom(M.hostDiskUsedBytes, registry);
  const size = gaugeFrom(M.hostDiskSizeBytes, registry);
  const available = gaugeFrom(M.hostDiskAvailableBytes, registry);
  const percent = gaugeFrom(M.diskUsagePercent, registry);
  let mountpoint: string | undefined;
  return {
    name: 'disk',
    async sample() {
      const path = await realpath(diskPath);
      const [st, mountinfo] = await Promise.all([statfs(path), readFile('/proc/self/mountinfo', 'utf8')]);
      const best = longestMountpoint(parseMountinfo(mountinfo), path);
      if (best === undefined) throw new Error(`no mounted filesystem holds ${path}`);
      if (mountpoint !== undefined && mountpoint !== best) {
        // The label set stays one series: forget the old mount point when the path moves.
        used.reset();
        size.reset();
        available.reset();
      }
      mountpoint = best;
      const u = (st.blocks - st.bfree) * st.bsize;
      const a = st.bavail * st.bsize;
      used.set({ mountpoint }, u);
      size.set({ mountpoint }, st.blocks * st.bsize);
      available.set({ mountpoint }, a);
      percent.set(u + a > 0 ? (100 * u) / (u + a) : 0);
    },
  };
};
