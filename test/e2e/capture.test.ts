/**
 * Capture (CAPTURE_DIR): the writer's sampling, file modes, bounded queue, write errors and
 * retention by age and size; the export's join and its mode; settings validation; and the bar:
 * two workers with CAPTURE_RATE=1, 60+ predictions given /feedback, a restart, then
 * `npm run capture -- export --out F` has every labelled line (mode 0600) and
 * `npm run train -- --data F` trains on it. No text ever reaches the logs.
 */
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter, type CaptureCounters, type CaptureDropReason } from '../../services/inference/src/capture/writer.js';
import { readCaptureSettings, type CaptureSettings } from '../../services/inference/src/capture/settings.js';
import { exportCapture, purgeCapture, type ExportLine } from '../../services/inference/src/capture/export.js';
import { captureFileName, encodeRecord } from '../../services/inference/src/capture/records.js';
import { runToExit, spawnService, type SpawnedService } from '../helpers/spawn.js';
import { TEST_EVENTS_SOCKET } from '../helpers/inference.js';
import { smsTexts } from '../helpers/sms.js';

const MAIN = 'dist/services/inference/src/main.js';
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

t.test('export joins feedback across files and workers, skips broken lines, writes 0600', async (t) => {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  const p = (id: string, text: string) => encodeRecord({ type: 'prediction', id, ts: '2026-12-01T00:00:00.000Z', model_version: 'v1', probability: 0.9, predicted: 'spam', text });
  const f = (id: string, label: 'spam' | 'ham') => encodeRecord({ type: 'feedback', id, ts: '2026-12-01T00:01:00.000Z', label });
  writeFileSync(join(dir, captureFileName('0', 11, 1, 0)), p('0.a.1', 'one') + p('0.a.2', 'two') + '{"type":"predic');
  writeFileSync(join(dir, captureFileName('1', 12, 1, 0)), p('1.a.1', 'three') + f('0.a.1', 'ham') + f('1.a.1', 'spam'));
  writeFileSync(join(dir, 'unrelated.txt'), 'not a capture file');
  const out = join(scratch, 'export.jsonl');
  writeFileSync(out, 'old content', { mode: 0o644 });
  const r = await exportCapture({ dir, out, includeUnlabelled: false });
  t.same(r, { files: 2, predictions: 3, labelled: 2, written: 2, skippedLines: 1 });
  t.equal(mode(out), 0o600, 'mode 0600 even over a 0644 file');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
  t.same(lines.map((l) => [l.id, l.text, l.label]), [['0.a.1', 'one', 'ham'], ['1.a.1', 'three', 'spam']]);
  t.match(lines[0], { model_version: 'v1', probability: 0.9, predicted: 'spam', predicted_at: '2026-12-01T00:00:00.000Z', labelled_at: '2026-12-01T00:01:00.000Z' });
  const all = await exportCapture({ dir, out, includeUnlabelled: true });
  t.equal(all.written, 3, '--include-unlabelled adds the rest');
  t.ok(readFileSync(out, 'utf8').includes('"label":null'), 'unlabelled lines have label null');
  t.equal(await purgeCapture(dir), 2, 'purge deletes the capture files');
  t.same(readdirSync(dir), ['unrelated.txt'], '...and only them');
});

t.test('the CLI: usage errors exit 2', async (t) => {
  const none = await runToExit('dist/scripts/capture.js', { args: ['export', '--out', join(scratch, 'x')], env: { CAPTURE_DIR: undefined } });
  t.equal(none.code, 2);
  t.match(none.stderr.join('\n'), /CAPTURE_DIR/);
  const noOut = await runToExit('dist/scripts/capture.js', { args: ['export', '--dir', scratch] });
  t.equal(noOut.code, 2);
  t.match(noOut.stderr.join('\n'), /--out/);
  const bad = await runToExit('dist/scripts/capture.js', { args: ['frobnicate', '--dir', scratch] });
  t.equal(bad.code, 2);
});

t.test('the bar: two workers, 60+ predictions with feedback, a restart, export, train', async (t) => {
  const dir = join(scratch, 'bar', 'capture');
  const sms = smsTexts();
  const spam = sms.filter((x) => x.label === 'spam').slice(0, 30);
  const ham = sms.filter((x) => x.label === 'ham').slice(0, 45);
  const texts = [...spam.slice(0, 25), ...ham.slice(0, 40)].sort((a, b) => (a.text < b.text ? -1 : 1));
  const later = [...spam.slice(25), ...ham.slice(40)];
  const env = {
    INFERENCE_PORT: '0', HOST: '127.0.0.1', EVENTS_SOCKET: TEST_EVENTS_SOCKET, LOG_LEVEL: 'debug', NODE_ENV: 'production',
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', CAPTURE_DIR: dir, CAPTURE_RATE: '1',
  };
  const post = async (svc: SpawnedService, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const owners = new Set<string>();
  // Five at a time on fresh connections, so both workers take predictions and feedback often
  // lands on the other worker (forwarded to the one that holds the prediction).
  const round = async (svc: SpawnedService, batch: typeof texts): Promise<number> => {
    let accepted = 0;
    for (let i = 0; i < batch.length; i += 5) {
      const chunk = batch.slice(i, i + 5);
      const predictions = await Promise.all(chunk.map((x) => post(svc, '/predict', { text: x.text })));
      for (const p of predictions) {
        t.equal(p.status, 200, 'predict', { diagnostic: false });
        owners.add(String(p.json.id).split('.')[0]!);
      }
      const feedback = await Promise.all(chunk.map((x, j) => post(svc, '/feedback', { id: predictions[j]!.json.id, label: x.label })));
      accepted += feedback.filter((f) => f.status === 200).length;
    }
    return accepted;
  };

  const first = await spawnService(MAIN, { env: { ...env, WORKERS: '2' }, readyTimeoutMs: 60_000 });
  let accepted = 0;
  try {
    t.equal(mode(dir), 0o700, 'the service created the directory 0700');
    accepted += await round(first, texts);
  } finally {
    await first.stop('SIGTERM');
  }
  t.equal(accepted, texts.length, `${accepted} feedbacks accepted across two workers`);
  t.same([...owners].sort(), ['0', '1'], 'both workers made predictions');
  const afterFirst = files(dir);
  t.ok(afterFirst.length >= 2, `one file per worker process: ${afterFirst.join(', ')}`);
  for (const f of afterFirst) t.equal(mode(join(dir, f)), 0o600, `${f} is 0600`);

  // A restart: a new process appends to new files; the old ones stay.
  const second = await spawnService(MAIN, { env: { ...env, WORKERS: '1' }, readyTimeoutMs: 60_000 });
  try {
    accepted += await round(second, later);
  } finally {
    await second.stop('SIGTERM');
  }
  t.ok(afterFirst.every((f) => files(dir).includes(f)) && files(dir).length > afterFirst.length, 'survives a restart: old files kept, new ones added');

  const logs = [...first.stdout, ...first.stderr, ...second.stdout, ...second.stderr].join('\n');
  t.ok(first.records().some((r) => r.msg === 'capturing a sample of texts'), 'the start says capture is on');
  const leaked = [...texts, ...later].filter((x) => x.text.length > 20 && logs.includes(x.text.slice(0, 20)));
  t.same(leaked.map((x) => x.text), [], 'no captured text appears in the logs');

  const out = join(scratch, 'bar', 'F.jsonl');
  const exp = await runToExit('dist/scripts/capture.js', { args: ['export', '--out', out], env: { CAPTURE_DIR: dir } });
  t.equal(exp.code, 0, `export: ${exp.stdout.join(' ')} ${exp.stderr.join(' ')}`);
  t.equal(mode(out), 0o600, 'export is 0600');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
  t.ok(lines.length >= 60, `${lines.length} labelled lines (>= 60)`);
  t.equal(lines.length, accepted, 'one line per accepted feedback');
  const want = new Map([...texts, ...later].map((x) => [x.text, x.label]));
  t.ok(lines.every((l) => want.get(l.text) === l.label), 'each text has the label its feedback gave');
  t.ok(lines.every((l) => typeof l.model_version === 'string' && l.probability >= 0 && l.probability <= 1), 'with model version and probability');

  const model = join(scratch, 'bar', 'm.onnx');
  const train = await runToExit('dist/training/src/cli.js', { args: ['--data', out, '--out', model, '--no-report'], timeoutMs: 120_000 });
  t.equal(train.code, 0, `npm run train -- --data F trains on it\n${train.stderr.slice(-5).join('\n')}`);
  t.ok(existsSync(model), 'model written');
});
