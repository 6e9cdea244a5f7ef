/**
 * The capture writer (services/inference/src/capture/writer.ts) and its settings: sampling, file
 * and directory modes, the bounded queue, write errors, retention by age and size.
 */
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter, type CaptureCounters, type CaptureDropReason } from '../../../../services/inference/src/capture/writer.js';
import { readCaptureSettings, type CaptureSettings } from '../../../../services/inference/src/capture/settings.js';
import { captureFileName, encodeRecord } from '../../../../services/inference/src/capture/records.js';

const scratch = mkdtempSync(join(tmpdir(), 'capture-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(scratch, `d${dirs++}`);

function counters(): CaptureCounters & { w: Record<'prediction' | 'feedback', number>; d: Record<CaptureDropReason, number> } {
  const w: Record<'prediction' | 'feedback', number> = { prediction: 0, feedback: 0 };
  const d: Record<CaptureDropReason, number> = { queue_full: 0, write_error: 0, shutdown: 0 };
  return { w, d, written: (type, n) => (w[type] += n), dropped: (reason, n) => (d[reason] += n) };
}
const quiet = { warn: (): void => undefined };
const settings = (dir: string, o: Partial<CaptureSettings> = {}): CaptureSettings => ({ dir, rate: 1, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000, ...o });
const mode = (path: string): number => statSync(path).mode & 0o777;
const files = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('capture-')).sort();

t.test('settings: off without CAPTURE_DIR, validated always', async (t) => {
  t.equal(readCaptureSettings({}), undefined, 'off by default');
  const s = readCaptureSettings({ CAPTURE_DIR: '/var/lib/x', CAPTURE_RATE: '1', CAPTURE_MAX_BYTES: '2097152', CAPTURE_MAX_AGE_HOURS: '2' })!;
  t.same(s, { dir: '/var/lib/x', rate: 1, maxBytes: 2097152, maxAgeMs: 7_200_000 });
  t.equal(readCaptureSettings({ CAPTURE_DIR: '/x' })!.rate, 0.1, 'default rate');
  for (const [name, bad] of [['CAPTURE_RATE', '1.5'], ['CAPTURE_RATE', 'all'], ['CAPTURE_MAX_BYTES', '10'], ['CAPTURE_MAX_AGE_HOURS', '0']]) {
    t.throws(() => readCaptureSettings({ [name!]: bad }), new RegExp(name!), `${name}=${bad} refused even with capture off`);
  }
});

t.test('the writer: 0700 directory, 0600 files, one line per record, rate honoured', async (t) => {
  const dir = freshDir();
  const c = counters();
  let r = 0;
  const w = new CaptureWriter(settings(dir, { rate: 0.5 }), { worker: '3', counters: c, log: quiet, random: () => [0.2, 0.7][r++ % 2]! });
  t.equal(mode(dir), 0o700, 'directory 0700');
  t.same([w.sample(), w.sample(), w.sample(), w.sample()], [true, false, true, false], 'rate 0.5: random() < rate');
  w.prediction('0.a.1', 'hello "world"\nsecond line', 'v1', 0.25, 'ham');
  w.feedback('0.a.1', 'spam');
  await w.close(2000);
  const [file] = files(dir);
  t.match(file, /^capture-3-\d+-[0-9a-z]+-0\.jsonl$/);
  t.equal(mode(join(dir, file!)), 0o600, 'file 0600');
  const lines = readFileSync(join(dir, file!), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(lines[0], { type: 'prediction', id: '0.a.1', model_version: 'v1', probability: 0.25, predicted: 'ham', text: 'hello "world"\nsecond line' });
  t.match(lines[0]!.ts, /^\d{4}-\d\d-\d\dT/);
  t.match(lines[1], { type: 'feedback', id: '0.a.1', label: 'spam' });
  t.same(c.w, { prediction: 1, feedback: 1 });
  const never = new CaptureWriter(settings(freshDir(), { rate: 0 }), { worker: '0', counters: counters(), log: quiet });
  t.notOk([1, 2, 3].some(() => never.sample()), 'rate 0 captures nothing');
  await never.close(100);
});

t.test('the writer refuses a directory others can read, or not a directory', async (t) => {
  const open = freshDir();
  mkdirSync(open, { mode: 0o755 });
  chmodSync(open, 0o755);
  t.throws(() => new CaptureWriter(settings(open), { worker: '0', counters: counters(), log: quiet }), /readable or writable by others/);
  const file = join(scratch, 'a-file');
  writeFileSync(file, '');
  t.throws(() => new CaptureWriter(settings(file), { worker: '0', counters: counters(), log: quiet }));
});

t.test('a full queue and a failing write drop records and count them, never throw', async (t) => {
  const c = counters();
  const w = new CaptureWriter(settings(freshDir()), { worker: '0', counters: c, log: quiet, queueMaxBytes: 4096 });
  for (let i = 0; i < 50; i++) w.prediction(`0.a.${i}`, 'x'.repeat(200), 'v1', 0.5, 'ham');
  t.ok(c.d.queue_full > 0, `${c.d.queue_full} dropped: queue full (the request path only enqueues)`);
  await w.close(2000);
  t.equal(c.w.prediction + c.d.queue_full, 50, 'every record written or counted');

  const gone = freshDir();
  const c2 = counters();
  const logged: object[] = [];
  const w2 = new CaptureWriter(settings(gone), { worker: '0', counters: c2, log: { warn: (o) => logged.push(o) } });
  rmSync(gone, { recursive: true });
  w2.prediction('0.a.1', 'secret text', 'v1', 0.5, 'ham');
  await w2.close(2000);
  t.equal(c2.d.write_error, 1, 'write error counted');
  t.notOk(JSON.stringify(logged).includes('secret'), 'the log line has no text');
  t.match(logged[0], { code: 'ENOENT' });
  w2.prediction('0.a.2', 'after close', 'v1', 0.5, 'ham');
  t.equal(c2.d.shutdown, 1, 'after close: dropped as shutdown');
});

t.test('retention: closed files older than the age limit, then the oldest over the byte limit', async (t) => {
  const dir = freshDir();
  let now = Date.now();
  const w = new CaptureWriter(settings(dir, { maxAgeMs: 3_600_000, maxBytes: 1024 * 1024 }), { worker: '0', counters: counters(), log: quiet, now: () => now });
  // Closed files of a process that is gone (pid 999999 does not exist).
  const old = join(dir, captureFileName('9', 999999, 1, 0));
  const young = join(dir, captureFileName('9', 999999, 1, 1));
  writeFileSync(old, encodeRecord({ type: 'feedback', id: 'x', ts: 't', label: 'ham' }), { mode: 0o600 });
  writeFileSync(young, encodeRecord({ type: 'feedback', id: 'y', ts: 't', label: 'ham' }), { mode: 0o600 });
  const twoHoursAgo = (now - 2 * 3_600_000) / 1000;
  utimesSync(old, twoHoursAgo, twoHoursAgo);
  w.prediction('0.a.1', 'kept', 'v1', 0.5, 'ham');
  await w.close(2000);
  await w.sweep();
  t.notOk(existsSync(old), 'older than CAPTURE_MAX_AGE_HOURS: deleted');
  t.ok(existsSync(young), 'younger: kept');
  // Over the byte limit: the oldest go first.
  const big = (i: number): string => {
    const f = join(dir, captureFileName('8', 999999, 2, i));
    writeFileSync(f, 'x'.repeat(400 * 1024), { mode: 0o600 });
    const at = (now - (10 - i) * 60_000) / 1000;
    utimesSync(f, at, at);
    return f;
  };
  const bigs = [big(0), big(1), big(2), big(3)];
  now += 1000;
  await w.sweep();
  t.same(bigs.map((f) => existsSync(f)), [false, false, true, true], 'two oldest deleted to fit 1 MiB');
  t.ok(files(dir).length >= 3);
});

