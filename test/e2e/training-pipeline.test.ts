/**
 * End to end on a small configuration: a user CSV made from SpamAssassin bodies goes through
 * `npm run train`'s compiled CLI; the written model loads in the service's loader, agrees
 * with the TypeScript reference on its own test split, and a second run with the same seed
 * gives the same model version.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/paths.js';
import type { ModelCard } from '../../shared/model-card.js';
import { loadModel } from '../../services/inference/src/model/index.js';
import { loadSpamAssassin, loadUserData, stratifiedSplit } from '../../training/src/corpus.js';
import { ReferenceScorer } from '../../training/src/linear-model.js';
import { readLinearTextModel } from '../../training/src/onnx-read.js';
import { stripHeaders } from '../../training/src/text.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../../training/src/train.js';

const CLI = join(REPO_ROOT, 'dist', 'training', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'training-pipeline-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const csvField = (s: string) => `"${s.replaceAll('"', '""')}"`;
// A stratified ~9% sample of the corpus (544 messages), bodies only, labels as 1/0 in custom columns.
const sample = stratifiedSplit(loadSpamAssassin().examples, { seed: 3, testFraction: 0.09 }).test;
const csvPath = join(dir, 'mine.csv');
writeFileSync(
  csvPath,
  'message,is_spam\n' + sample.map((e) => `${csvField(stripHeaders(e.text).slice(0, 3000))},${e.label === 'spam' ? 1 : 0}`).join('\n') + '\n',
);
const small = ['--max-features', '3000', '--short-excerpt-chars', '100', '--max-text-chars', '2000', '--seed', '11'];
const common = ['--data', csvPath, '--text-column', 'message', '--label-column', 'is_spam', ...small];

t.test('CLI trains on a user CSV; the model loads and matches the reference', async (t) => {
  const out = join(dir, 'a', 'model.onnx');
  const run = await runCli([...common, '--no-report', '--out', out]);
  t.equal(run.code, 0, `cli exits 0 ${run.code ? run.stderr : ''}`);
  t.ok(existsSync(join(dir, 'a', 'model.card.json')), 'card written next to the model');
  const card = JSON.parse(readFileSync(join(dir, 'a', 'model.card.json'), 'utf8')) as ModelCard;
  t.match(card, {
    corpus: { source: `file:${csvPath}`, messages: sample.length },
    split: { seed: 11, testFraction: 0.2 },
    preprocessing: { maxTextChars: 2000, shortExcerptChars: 100 },
    hyperParameters: { maxFeatures: 3000 },
    vocabularySize: 3000,
  });
  t.ok(card.metrics.test.accuracy > 0.85, `small model still learns: accuracy ${card.metrics.test.accuracy}`);

  const model = await loadModel(out);
  t.teardown(() => model.release());
  t.same(model.card, card, 'the card in the file metadata equals the card file');
  const { model: params } = readLinearTextModel(readFileSync(out));
  const reference = new ReferenceScorer(params);
  const data = await loadUserData(csvPath, { textColumn: 'message', labelColumn: 'is_spam' });
  const test = stratifiedSplit(data.examples, card.split).test;
  t.equal(test.length, card.split.testMessages, 'split reproduced from the card');
  const pred = await model.predict(test.map((e) => e.text));
  let maxDiff = 0;
  let sameLabels = 0;
  let correct = 0;
  test.forEach((e, i) => {
    const p = reference.spamProbability(e.text);
    maxDiff = Math.max(maxDiff, Math.abs(p - pred.spamProbabilities[i]!));
    if (reference.label(p) === pred.labels[i]) sameLabels++;
    if (pred.labels[i] === e.label) correct++;
  });
  t.equal(sameLabels, test.length, 'same labels as the reference');
  t.ok(maxDiff < 1e-5, `max |dp| ${maxDiff.toExponential(2)}`);
  t.ok(Math.abs(correct / test.length - card.metrics.test.accuracy) < 1e-6, 'ORT accuracy equals the card');

  const again = join(dir, 'b', 'model.onnx');
  t.equal((await runCli([...common, '--out', again])).code, 0, 'second run, with the HTML report');
  const report = readFileSync(join(dir, 'b', 'model.report.html'), 'utf8');
  t.equal(report.match(/<svg /g)?.length, 5, 'report holds the five Vega-Lite charts as inline SVG');
  for (const title of ['ROC curve', 'Precision-recall curve', 'Confusion matrices', 'Spam probability by true class', 'header-less body']) {
    t.ok(report.includes(title), `report shows ${title}`);
  }
  const cardB = JSON.parse(readFileSync(join(dir, 'b', 'model.card.json'), 'utf8')) as ModelCard;
  t.equal(cardB.version, card.version, 'deterministic: same seed and data, same model version');
  t.same(cardB.metrics, card.metrics, 'and the same metrics');
});

t.test('CLI rejects bad input with exit code 2 and a message', async (t) => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'text,label\nhello,ham\nwin,maybe\n');
  const r = await runCli(['--data', bad, '--out', join(dir, 'bad.onnx'), '--no-report']);
  t.equal(r.code, 2);
  t.match(r.stderr, /bad\.csv:3: column "label" must be spam\/ham or 1\/0/);
  const r2 = await runCli(['--max-features', 'many', '--no-report']);
  t.equal(r2.code, 2);
  t.match(r2.stderr, /--max-features: invalid value/);
});

t.test('train() on JSONL in process: header modes give different training texts', async (t) => {
  const jsonl = join(dir, 'mine.jsonl');
  const half = stratifiedSplit(sample, { seed: 5, testFraction: 0.5 }).test;
  writeFileSync(jsonl, half.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n'));
  const corpus = await loadUserData(jsonl);
  const opts = { ...DEFAULT_TRAIN_OPTIONS, maxFeatures: 2000, shortExcerptChars: 0, maxTextChars: 2000 };
  const raw = train(corpus, { ...opts, headers: 'raw' });
  const both = train(corpus, { ...opts, headers: 'raw-and-body' });
  t.equal(raw.card.training.trainTexts, raw.card.split.trainMessages, 'raw: one text per message');
  t.ok(both.card.training.trainTexts > 1.9 * both.card.split.trainMessages, 'raw-and-body: raw email and its body');
  t.ok(both.card.metrics.testHeaderless.count === both.card.metrics.test.count, 'header-less metrics on the same messages');
});
