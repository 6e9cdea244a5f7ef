/**
 * The exported graph for every feature layout the trainer can choose (per-family or joint norm,
 * character n-grams up to 2..5 or none, with and without a short-text calibration): every
 * initializer is used (onnxruntime warns on each load otherwise), and onnxruntime reproduces the
 * TypeScript reference on texts of every length.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { BUNDLED_MODEL_PATH } from '../../../shared/paths.js';
import { loadModel } from '../../../services/inference/src/model/index.js';
import { ReferenceScorer, type LinearTextModel, type TextNorm } from '../../../training/src/linear-model.js';
import { buildOnnxModel } from '../../../training/src/onnx-export.js';
import { readLinearTextModel } from '../../../training/src/onnx-read.js';

const dir = mkdtempSync(join(tmpdir(), 'onnx-export-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const { card } = readLinearTextModel(readFileSync(BUNDLED_MODEL_PATH));

const WORDS = ['call', 'call now', 'free', 'lunch', 'meeting', 'now', 'prize', 'win'];
const CHARS = [' f', 'ee', 'fr', 'ize', 'ow ', 'pri', 'win ', 'n', 'e '].filter((g) => g.length >= 2);
const TEXTS = ['', 'ok', 'hello there', 'FREE prize, call now!', 'are we still meeting for lunch?', 'win win win '.repeat(40), 'Привет free'];

function model(norm: TextNorm, charMaxN: number, charWindow: number, shortTokens: number): LinearTextModel {
  const chars = charWindow > 0 ? CHARS.filter((g) => g.length <= charMaxN) : [];
  const n = WORDS.length + chars.length;
  return {
    words: WORDS, chars, features: { words: true, charWindow, charMinN: 2, charMaxN },
    idfSquared: Float32Array.from({ length: n }, (_, i) => Math.fround((1 + (i % 3) * 0.5) ** 2)),
    weightedIdf: Float32Array.from({ length: n }, (_, i) => Math.fround(((i * 7) % 5) - 2)),
    lambda: 3, norm, scale: 1.5, offset: -0.5, shortTokens, shortScale: 0.8, shortOffset: -1.2,
    noEvidenceProbability: 0.2, threshold: 0.5, maxTextChars: 4000,
  };
}

for (const norm of ['per-family', 'joint'] as const) {
  for (const [charMaxN, charWindow] of [[2, 64], [3, 64], [4, 256], [5, 256], [4, 0]] as const) {
    for (const shortTokens of [-1, 3]) {
      const name = `${norm} norm, char 2-${charMaxN} window ${charWindow}, short calibration ${shortTokens}`;
      t.test(name, async (t) => {
        const m = model(norm, charMaxN, charWindow, shortTokens);
        const features = { ...card.preprocessing.features, words: true, charWindow, charNgramRange: [2, charMaxN] as [number, number] };
        const bytes = buildOnnxModel(m, { card: { ...card, preprocessing: { ...card.preprocessing, features } } });
        const graph = onnxProto.onnx.ModelProto.decode(bytes).graph!;
        const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
        t.same((graph.initializer ?? []).map((i) => i.name).filter((i) => !used.has(i ?? '')), [], 'every initializer is used');
        const path = join(dir, `${norm}-${charMaxN}-${charWindow}-${shortTokens}.onnx`);
        writeFileSync(path, bytes);
        const served = await loadModel(path);
        t.teardown(() => served.release());
        const reference = new ReferenceScorer(readLinearTextModel(bytes).model);
        const out = await served.predict(TEXTS);
        TEXTS.forEach((text, i) => {
          const p = reference.spamProbability(text);
          t.ok(Math.abs(p - out.spamProbabilities[i]!) < 1e-5, `text ${i}: onnxruntime ${out.spamProbabilities[i]!.toFixed(6)} = reference ${p.toFixed(6)}`);
        });
      });
    }
  }
}
