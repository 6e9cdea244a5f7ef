/**
 * The retrain path end to end, on a synthetic 3-class Indonesian SMS set (0 normal, 1 fraud,
 * 2 promo; test/helpers/synthetic-sms.ts): `npm run train -- --data F.csv --spam-labels 1,2`
 * through the compiled CLI; the written model loads in the service's loader, agrees with the
 * TypeScript reference, a second run gives the same version, and bad data gets exit code 2
 * with a message naming the row.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../shared/paths.js';
import type { ModelCard } from '../../shared/model-card.js';
import { loadModel } from '../../services/inference/src/model/index.js';
import { dedupe, loadUserData, threeWaySplit } from '../../training/src/corpus.js';
import { ReferenceScorer } from '../../training/src/linear-model.js';
import { readLinearTextModel } from '../../training/src/onnx-read.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../../training/src/train.js';
import { syntheticSms, toCsv } from '../helpers/synthetic-sms.js';

const CLI = join(REPO_ROOT, 'dist', 'training', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'training-pipeline-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

// The user's file: 1,000 labelled messages; a further 300 of the same kind are held back.
const rows = syntheticSms(1300, 7);
const csvPath = join(dir, 'sms-id.csv');
writeFileSync(csvPath, toCsv(rows.slice(0, 1000)));
const heldBack = rows.slice(1000);

t.test('CLI trains on a 3-class CSV with --spam-labels 1,2; the model loads, matches the reference and generalises', async (t) => {
  const out = join(dir, 'a', 'model.onnx');
  const run = await runCli(['--data', csvPath, '--spam-labels', '1,2', '--out', out, '--no-report']);
  t.equal(run.code, 0, `cli exits 0 ${run.code ? run.stderr : ''}`);
  t.match(run.stderr, /de-duplication: \d+ exact duplicate texts removed/, 'reports the duplicates removed');
  t.match(run.stderr, /grid: C [\d.]+ lambda [\d.]+/, 'searches hyper-parameters on the validation split');
  t.ok(existsSync(join(dir, 'a', 'model.card.json')), 'card written next to the model');
  const card = JSON.parse(readFileSync(join(dir, 'a', 'model.card.json'), 'utf8')) as ModelCard;
  const unique = new Set(rows.slice(0, 1000).map((r) => r.text)).size;
  t.match(card, {
    corpus: { source: `file:${csvPath}`, messages: unique, duplicatesRemoved: 1000 - unique },
    split: { seed: 42, testFraction: 0.2, validationFraction: 0.2, refittedOnAll: true },
  });
  t.ok(card.metrics.domains.userText, 'figures of the user domain');
  t.ok(card.hyperParameters.selection.length >= 4 && card.hyperParameters.selection.filter((s) => s.chosen).length === 1, 'one grid point chosen');

  const model = await loadModel(out);
  t.teardown(() => model.release());
  t.same(model.card, card, 'the card in the file metadata equals the card file');
  const { model: params } = readLinearTextModel(readFileSync(out));
  const reference = new ReferenceScorer(params);
  const data = await loadUserData(csvPath, { spamLabels: ['1', '2'] });
  const test = threeWaySplit(dedupe(data.examples).examples, card.split).test;
  t.equal(test.length, card.split.testMessages, 'split reproduced from the card');
  const all = [...test.map((e) => e.text), ...heldBack.map((r) => r.text)];
  const pred = await model.predict(all);
  let maxDiff = 0;
  let sameLabels = 0;
  all.forEach((text, i) => {
    const s = reference.score(text);
    maxDiff = Math.max(maxDiff, Math.abs(s.spamProbability - pred.spamProbabilities[i]!));
    if (reference.label(s.spamProbability) === pred.labels[i]) sameLabels++;
  });
  t.equal(sameLabels, all.length, 'same labels as the reference');
  t.ok(maxDiff < 1e-5, `max |dp| ${maxDiff.toExponential(2)}`);
  const correct = heldBack.filter((r, i) => pred.labels[test.length + i] === (r.label === '0' ? 'ham' : 'spam')).length;
  t.ok(correct / heldBack.length >= 0.97, `held-back messages: accuracy ${(correct / heldBack.length).toFixed(4)} >= 0.97`);
});

t.test('TSV with --delimiter tab, the HTML report, determinism', async (t) => {
  const tsv = join(dir, 'sms-id.txt');
  writeFileSync(tsv, 'text\tlabel\n' + rows.slice(0, 600).map((r) => `${r.text.replaceAll('\t', ' ')}\t${r.label}`).join('\n') + '\n');
  const args = ['--data', tsv, '--format', 'csv', '--delimiter', '\\t', '--spam-labels', '1,2', '--c', '30', '--lambda', '0,100', '--no-refit'];
  const a = join(dir, 'b', 'model.onnx');
  const r1 = await runCli([...args, '--out', a]);
  t.equal(r1.code, 0, `cli exits 0 ${r1.code ? r1.stderr : ''}`);
  const report = readFileSync(join(dir, 'b', 'model.report.html'), 'utf8');
  t.equal(report.match(/<svg /g)?.length, 6, 'report holds the six Vega-Lite charts as inline SVG');
  for (const title of ['ROC curve', 'Precision-recall curve', 'Confusion matrices', 'Spam probability by true class', 'Reliability', 'your texts']) {
    t.ok(report.includes(title), `report shows ${title}`);
  }
  const b = join(dir, 'c', 'model.onnx');
  t.equal((await runCli([...args, '--out', b, '--no-report'])).code, 0);
  const [ca, cb] = [join(dir, 'b', 'model.card.json'), join(dir, 'c', 'model.card.json')].map((p) => JSON.parse(readFileSync(p, 'utf8')) as ModelCard);
  t.equal(cb!.version, ca!.version, 'deterministic: same data and options, same model version');
  t.same(cb!.metrics, ca!.metrics, 'and the same metrics');
  t.equal(ca!.split.refittedOnAll, false, '--no-refit keeps the evaluated model');
});

t.test('CLI rejects bad input with exit code 2 and a message naming the row', async (t) => {
  const cases: [string, string, string[], RegExp][] = [
    ['bad-label.csv', 'text,label\nhello,ham\nwin,maybe\n', [], /bad-label\.csv:3: column "label" must be spam\/ham or 1\/0/],
    ['one-class.csv', 'text,label\nhello,0\nhi,0\n', ['--spam-labels', '1,2'], /all 2 rows are ham; labels found: "0" \(2\)/],
    ['empty.csv', '', [], /empty\.csv: the file is empty/],
    ['columns.csv', 'message,label\nhi,0\n', [], /columns\.csv:1: no column "text"/],
    ['long.csv', `text,label\nok,0\n${'x'.repeat(5000)},1\n`, [], /long\.csv:3: the text is 5000 characters, over the cap of 4000/],
  ];
  for (const [name, content, extra, pattern] of cases) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const r = await runCli(['--data', path, '--out', join(dir, 'bad.onnx'), '--no-report', ...extra]);
    t.equal(r.code, 2, `${name}: exit code 2`);
    t.match(r.stderr, pattern, `${name}: message`);
  }
  const utf = join(dir, 'latin1.csv');
  writeFileSync(utf, Buffer.concat([Buffer.from('text,label\nok,0\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(',1\n')]));
  const r = await runCli(['--data', utf, '--out', join(dir, 'bad.onnx'), '--no-report']);
  t.equal(r.code, 2);
  t.match(r.stderr, /latin1\.csv:3: not valid UTF-8/);
  const r2 = await runCli(['--c', 'many', '--no-report']);
  t.equal(r2.code, 2);
  t.match(r2.stderr, /--c: invalid value/);
  const r3 = await runCli(['--char-ngrams', '1-7', '--no-report']);
  t.equal(r3.code, 2);
  t.match(r3.stderr, /--char-ngrams: must be MIN-MAX within 2-5/);
});

t.test('train() in process: header modes give different training texts for emails', async (t) => {
  const emails = syntheticSms(200, 3).map((r, i) => ({
    id: String(i),
    text: `From: a${i}@example.com\nSubject: msg ${i}\n\n${r.text}`,
    label: r.label === '0' ? ('ham' as const) : ('spam' as const),
    source: 'test:emails',
    kind: 'email' as const,
  }));
  const corpus = { name: 'emails', source: 'test:emails', examples: emails };
  const opts = { ...DEFAULT_TRAIN_OPTIONS, c: [10], lambda: [0], shortExcerptChars: 0 };
  const raw = train([corpus], { ...opts, headers: 'raw' });
  const both = train([corpus], { ...opts, headers: 'raw-and-body' });
  t.equal(raw.card.training.trainTexts, raw.card.split.trainMessages, 'raw: one text per message');
  t.equal(both.card.training.trainTexts, 2 * both.card.split.trainMessages, 'raw-and-body: raw email and its body');
  t.ok(both.card.metrics.domains.rawEmail && both.card.metrics.domains.headerlessEmail, 'both email domains evaluated');
  t.equal(both.card.reference.texts, both.card.training.trainTexts, 'reference distributions over the training texts');
  for (const h of [both.card.reference.textLength, both.card.reference.knownTermRatio, both.card.reference.spamProbability]) {
    t.equal(h.proportions.length, h.edges.length - 1);
    t.ok(Math.abs(h.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'proportions sum to 1');
  }
});
