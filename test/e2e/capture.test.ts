/**
 * The capture bar, with the compiled service: two workers with CAPTURE_DIR and CAPTURE_RATE=1, 60+
 * predictions given /feedback, a restart, then `npm run capture -- export --out F` has every
 * labelled line (mode 0600) and `npm run train -- --data F` trains on it. No text reaches the logs.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExportLine } from '../../services/inference/src/capture/export.js';
import { runToExit, spawnService, type SpawnedService } from '../helpers/spawn.js';
import { TEST_EVENTS_SOCKET } from '../helpers/inference.js';
import { smsTexts } from '../helpers/sms.js';

const MAIN = 'dist/services/inference/src/main.js';
const scratch = mkdtempSync(join(tmpdir(), 'capture-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const mode = (path: string): number => statSync(path).mode & 0o777;
const files = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('capture-')).sort();

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
