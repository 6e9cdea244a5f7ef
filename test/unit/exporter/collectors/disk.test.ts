/**
 * The disk collector reads statfs(2) and /proc/self/mountinfo instead of running df: the mount
 * point is picked as df picks it and the bytes are df's (checked against `df -B1` on this host).
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import t from 'tap';
import { Registry } from 'prom-client';
import { createDiskCollector, longestMountpoint, parseMountinfo } from '../../../../services/exporter/src/collectors/disk.js';
import type { CollectorContext } from '../../../../services/exporter/src/collectors/collector.js';

t.test('mountinfo: escaped paths, longest containing mount point', async (t) => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '30 22 0:25 / /mnt/my\\040disk rw - tmpfs tmpfs rw',
    '31 22 0:26 / /mnt/my rw - tmpfs tmpfs rw',
    '32 22 0:27 / /var/lib rw - ext4 /dev/sdb1 rw',
    '',
  ].join('\n');
  const mounts = parseMountinfo(text);
  t.same(mounts, ['/', '/mnt/my disk', '/mnt/my', '/var/lib']);
  t.equal(longestMountpoint(mounts, '/mnt/my disk/models'), '/mnt/my disk');
  t.equal(longestMountpoint(mounts, '/mnt/myother'), '/', 'a name prefix is not a parent directory');
  t.equal(longestMountpoint(mounts, '/var/lib'), '/var/lib');
  t.equal(longestMountpoint(mounts, '/var/library'), '/');
  t.equal(longestMountpoint([], '/x'), undefined);
});

t.test('the gauges agree with df -B1 on this host', async (t) => {
  const path = tmpdir();
  const registry = new Registry();
  const collector = createDiskCollector({ registry, diskPath: path } as unknown as CollectorContext);
  await collector.sample();
  const [target, size, used, avail] = execFileSync('df', ['-B1', '--output=target,size,used,avail', path], { encoding: 'utf8' }).trim().split('\n')[1]!.trim().split(/\s+/);
  const value = async (name: string): Promise<{ value: number; labels: Record<string, string | number> }> => {
    const v = (await registry.getSingleMetric(name)!.get()).values[0]!;
    return { value: v.value, labels: v.labels as Record<string, string | number> };
  };
  const s = await value('spam_detector_host_disk_size_bytes');
  t.equal(s.labels.mountpoint, target, `mount point ${target}`);
  t.equal(s.value, Number(size), 'size');
  // Used and available move while other processes write: within 64 MiB of df's reading.
  t.ok(Math.abs((await value('spam_detector_host_disk_used_bytes')).value - Number(used)) < 64 * 2 ** 20, 'used');
  t.ok(Math.abs((await value('spam_detector_host_disk_available_bytes')).value - Number(avail)) < 64 * 2 ** 20, 'available');
  const pct = (await value('spam_detector_disk_usage_percent')).value;
  t.ok(Math.abs(pct - (100 * Number(used)) / (Number(used) + Number(avail))) < 1, `percent ${pct.toFixed(2)}`);
});
