/**
 * The bundled ONNX graph, run by onnxruntime-node through the service's loader, against the
 * TypeScript reference built from the parameters inside the same file: on every message of
 * the held-out SpamAssassin split (as stored, and with headers stripped) the labels must be
 * equal and the spam probabilities within 1e-5.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { BUNDLED_MODEL_PATH } from '../../../../shared/paths.js';
import { loadModel } from '../../../../services/inference/src/model/index.js';
import { heldOutSpamAssassin } from '../../../../training/src/corpus.js';
import { ReferenceScorer } from '../../../../training/src/linear-model.js';
import { readLinearTextModel } from '../../../../training/src/onnx-read.js';
import { stripHeaders } from '../../../../training/src/text.js';

const BATCH = 64;

t.test('ONNX graph and TypeScript reference agree on every test-split message', async (t) => {
  const { model: params, card } = readLinearTextModel(readFileSync(BUNDLED_MODEL_PATH));
  const reference = new ReferenceScorer(params);
  const model = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => model.release());
  t.equal(model.version, card.version, 'loader and file agree on the version');
  t.equal(model.maxTextChars, params.maxTextChars, 'loader applies the trained text cap');

  const test = heldOutSpamAssassin(card);
  t.equal(test.length, card.split.testMessages, 'the split is reproduced from the card');

  for (const [form, texts] of [
    ['as stored', test.map((e) => e.text)],
    ['header-less', test.map((e) => stripHeaders(e.text))],
  ] as const) {
    let maxDiff = 0;
    let labelMismatches = 0;
    let correct = 0;
    for (let i = 0; i < texts.length; i += BATCH) {
      const batch = texts.slice(i, i + BATCH);
      const out = await model.predict(batch);
      batch.forEach((text, k) => {
        const p = reference.spamProbability(text);
        maxDiff = Math.max(maxDiff, Math.abs(p - out.spamProbabilities[k]!));
        if (reference.label(p) !== out.labels[k]) labelMismatches++;
        if (out.labels[k] === test[i + k]!.label) correct++;
      });
    }
    t.equal(labelMismatches, 0, `${form}: same label on all ${texts.length} messages`);
    t.ok(maxDiff < 1e-5, `${form}: max |dp| ${maxDiff.toExponential(2)} < 1e-5`);
    const accuracy = correct / texts.length;
    const expected = form === 'as stored' ? card.metrics.test.accuracy : card.metrics.testHeaderless.accuracy;
    t.ok(Math.abs(accuracy - expected) < 1e-6, `${form}: ORT accuracy ${accuracy.toFixed(4)} equals the card's ${expected}`);
  }
});

t.test('ONNX graph and TypeScript reference agree on awkward texts', async (t) => {
  const { model: params } = readLinearTextModel(readFileSync(BUNDLED_MODEL_PATH));
  const reference = new ReferenceScorer(params);
  const model = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => model.release());
  const texts = [
    '',
    ' ',
    'a',
    'CONGRATULATIONS! You won $1000000!',
    'KELVIN \u212A sign, Turkish \u0130stanbul, German STRASSE \u00DF, Greek \u03A3\u039F\u03A3',
    'emoji \u{1F4B0}\u{1F4B0} free money \u{1F911}',
    'lone surrogate \uD83D here and \uDC00 there',
    'nul\u0000byte and\ttabs\r\nand CRLF',
    'x'.repeat(5000),
    'click_here_now __init__ foo_bar 123 4567 a1 b2',
    'Ünïcödé wörds ÀÉÎÕÜ mixed with ASCII FREE OFFER',
    'free '.repeat(900),
  ];
  const out = await model.predict(texts);
  texts.forEach((text, i) => {
    const p = reference.spamProbability(text);
    t.ok(Math.abs(p - out.spamProbabilities[i]!) < 1e-5, `text ${i}: |dp| ${Math.abs(p - out.spamProbabilities[i]!).toExponential(2)}`);
    t.equal(out.labels[i], reference.label(p), `text ${i}: same label`);
  });
});
