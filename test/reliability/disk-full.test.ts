/**
 * Disk full on the exporter host (issue 8, "Faults"), simulated honestly with small tmpfs mounts
 * (needs root and CAP_SYS_ADMIN; skipped otherwise):
 * - the monitored path (DISK_PATH) fills up: the disk gauges say so (100 %, 0 bytes available),
 *   the sampler does not fail and the exporter keeps counting events; freeing space shows at the
 *   next sample;
 * - the exporter restarted with its channel directory on a filesystem with no inode left: it
 *   refuses to start with a clear fatal line and exit 1 instead of running without a socket.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EventEncoder } from '../../shared/event-encode.js';
import { channelClient } from '../helpers/fuzz-frames.js';
import { scrape, sum, waitFor } from '../helpers/fuzz-prom.js';
import { runToExit } from '../helpers/spawn.js';
import { EXPORTER_MAIN, makeScratch, startExporter } from '../helpers/fuzz-stack.js';

function tryMount(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}): disk-full tests need root with CAP_SYS_ADMIN`;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

/** Writes until the filesystem refuses (ENOSPC); returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

const scratch = makeScratch('disk-full-');
t.teardown(() => scratch.cleanup());

t.test('the monitored path fills up: gauges at 100 %, the exporter keeps working, freeing space shows', async (t) => {
  const mnt = join(scratch.dir, 'disk');
  const skip = tryMount(mnt, 'size=2m,mode=0700');
  if (skip) {
    t.comment(skip);
    t.pass('skipped');
    return;
  }
  t.teardown(() => unmount(mnt));
  const exporter = await startExporter(scratch, { env: { DISK_PATH: mnt, SAMPLE_INTERVAL_MS: '200' } });
  t.teardown(() => exporter.stop());
  const gauges = async () => {
    const s = (await scrape(exporter.url)).samples;
    return {
      percent: sum(s, 'spam_detector_disk_usage_percent'),
      available: sum(s, 'spam_detector_host_disk_available_bytes', { mountpoint: mnt }),
      size: sum(s, 'spam_detector_host_disk_size_bytes', { mountpoint: mnt }),
      errors: sum(s, 'spam_detector_exporter_collector_errors_total', { collector: 'disk' }),
      requests: sum(s, 'spam_detector_requests_total'),
    };
  };
  t.ok(await waitFor(async () => (await gauges()).size === 2 * 1024 * 1024, 10_000), 'the tmpfs is the monitored filesystem (2 MiB)');

  const written = fill(join(mnt, 'filler'));
  t.ok(written > 0 && written <= 2 * 1024 * 1024, `filled with ${written} bytes until ENOSPC`);
  t.ok(await waitFor(async () => (await gauges()).percent === 100, 10_000), 'spam_detector_disk_usage_percent reaches 100');
  const full = await gauges();
  t.equal(full.available, 0, 'available bytes 0');
  t.equal(full.errors, 0, 'the disk sampler keeps working');

  // The channel is unaffected: events are still counted.
  const pub = await channelClient(scratch.socket);
  const enc = new EventEncoder({ worker: 'disk', pid: 77 }, 'v1');
  await pub.write(enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.001 }));
  t.ok(await pub.waitAck(1), 'an event is acknowledged');
  await pub.end();
  t.ok(await waitFor(async () => (await gauges()).requests === 1, 5000), 'and counted');

  rmSync(join(mnt, 'filler'));
  t.ok(await waitFor(async () => (await gauges()).percent < 1, 10_000), 'freeing the space shows at the next sample');
  t.equal(exporter.child.exitCode, null, 'the exporter is up');
  t.comment(`FIGURE disk full: ${written} bytes filled a 2 MiB tmpfs: disk_usage_percent 100, available 0, collector errors 0, events still counted; freed -> ${(await gauges()).percent.toFixed(1)} %`);
});

t.test('no inode left for the channel socket: the exporter refuses to start, clearly', async (t) => {
  const mnt = join(scratch.dir, 'inodes');
  const skip = tryMount(mnt, 'size=1m,nr_inodes=8,mode=0700');
  if (skip) {
    t.comment(skip);
    t.pass('skipped');
    return;
  }
  t.teardown(() => unmount(mnt));
  const runDir = join(mnt, 'run');
  mkdirSync(runDir, { mode: 0o700 });
  let files = 0;
  try {
    for (;;) writeFileSync(join(mnt, `f${files++}`), '');
  } catch (err) {
    t.equal((err as NodeJS.ErrnoException).code, 'ENOSPC', `inodes exhausted after ${files - 1} files`);
  }
  const r = await runToExit(EXPORTER_MAIN, {
    env: { HOST: '127.0.0.1', EXPORTER_PORT: '0', EVENTS_SOCKET: join(runDir, 'events.sock'), LOG_LEVEL: 'info' },
    timeoutMs: 30_000,
  });
  t.equal(r.code, 1, 'exit 1');
  const fatal = r.stdout.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string } }).find((x) => x.level === 60);
  t.equal(fatal?.msg, 'exporter failed to start', 'a fatal line');
  t.match(fatal?.err?.message, /ENOSPC/, 'that says why (ENOSPC)');
  t.notOk(r.stdout.some((l) => l.includes('"msg":"ready"')), 'never ready');
  t.comment(`FIGURE disk full (inodes): exporter exit 1 with "${fatal?.msg}: ${fatal?.err?.message?.replace(scratch.dir, '<dir>')}"`);
});
