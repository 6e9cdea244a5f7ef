/**
 * The model loader: hostile files fail at load with a ModelLoadError naming the file and the
 * problem, never by crashing the process. The hostile files load in a child process (the
 * compiled loader from dist/), so even an onnxruntime abort cannot take the test runner down;
 * the child reports each file's outcome as a JSON line.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, BUNDLED_MODEL_PATH } from '../../../../shared/paths.js';
import { loadModel, ModelLoadError } from '../../../../services/inference/src/model/index.js';
import * as files from '../../../helpers/model-files.js';

const LOADER = pathToFileURL(join(REPO_ROOT, 'dist', 'services', 'inference', 'src', 'model', 'index.js')).href;

// Loads each path in turn and prints one JSON line per path: "start" before, the outcome after.
// If the process dies, the last "start" without an outcome names the file that killed it.
const CHILD = `
const { loadModel, ModelLoadError } = await import(process.env.LOADER);
for (const path of JSON.parse(process.argv[1])) {
  console.log(JSON.stringify({ path, start: true }));
  try {
    const m = await loadModel(path);
    const out = await m.predict(['win money now', 'see you at lunch']);
    console.log(JSON.stringify({ path, loaded: true, labels: out.labels }));
    await m.release();
  } catch (err) {
    console.log(JSON.stringify({ path, loaded: false, isModelLoadError: err instanceof ModelLoadError, name: err.name, message: err.message }));
  }
}`;

interface Report {
  path: string;
  start?: true;
  loaded?: boolean;
  isModelLoadError?: boolean;
  message?: string;
  labels?: string[];
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Outcome per path; a path that started but has no outcome killed the process. */
  outcomes: Map<string, Report>;
  started: string[];
  stderr: string;
}

function loadInChild(paths: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(paths)], {
      env: { ...process.env, LOADER },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const outcomes = new Map<string, Report>();
      const started: string[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const r = JSON.parse(line) as Report;
        if (r.start) started.push(r.path);
        else outcomes.set(r.path, r);
      }
      resolve({ code, signal, outcomes, started, stderr });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'model-load-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const bundled = files.bundledBytes();
const hostile: [string, string, RegExp][] = [
  ['missing file', join(dir, 'does-not-exist.onnx'), /file not found/],
  ['directory', dir, /not a regular file/],
  ['empty file', write('empty.onnx', new Uint8Array()), /empty/],
  ['garbage', write('garbage.onnx', Buffer.from('this is not a protobuf at all, just text\n'.repeat(20))), /not a valid ONNX protobuf|no graph/],
  ['truncated to 16 bytes', write('trunc16.onnx', bundled.subarray(0, 16)), /not a valid ONNX protobuf|no graph/],
  ['truncated to half', write('trunc-half.onnx', bundled.subarray(0, bundled.length >> 1)), /not a valid ONNX protobuf|no graph/],
  ['truncated by one byte', write('trunc-1.onnx', bundled.subarray(0, bundled.length - 1)), /not a valid ONNX protobuf|no graph|metadata/],
  ['TfIdfVectorizer ngram_indexes shorter than the pool', write('tfidf-short.onnx', files.withTfIdf(4, 2)), /ngram_indexes has 2 entries but the pool holds 4/],
  ['TfIdfVectorizer ngram_indexes longer than the pool', write('tfidf-long.onnx', files.withTfIdf(2, 4)), /ngram_indexes has 4 entries but the pool holds 2/],
  ['LabelEncoder with fewer values than keys', write('labelenc.onnx', files.withLabelEncoderValuesDropped()), /LabelEncoder has \d+ keys but \d+ values/],
  ['input renamed', write('input.onnx', files.withRenamedInput('texts')), /no input named "text" \(found "texts"\)/],
  ['probability output typed string', write('output.onnx', files.withProbabilityAsString()), /spam_probability" must be a FLOAT/],
  ['initializer shorter than its shape', write('init.onnx', files.withShortInitializer('idf_squared')), /initializer "idf_squared" holds/],
  ['character Tokenizer with two separators', write('seps.onnx', files.withCharSeparators(['', ' '])), /single separator ""/],
  ['character Tokenizer with a non-empty separator', write('sep1.onnx', files.withCharSeparators([' '])), /single separator ""/],
  ['character window negative', write('window-neg.onnx', files.withCharWindow(-5n)), /Slice end -5 is outside/],
  ['character window beyond the limit', write('window-big.onnx', files.withCharWindow(10n ** 12n)), /Slice end 1000000000000 is outside/],
  ['vocabulary id beyond the weight tables', write('vocab-id.onnx', files.withVocabularyIdOutOfRange()), /maps a term to id 10000000, outside the weight tables/],
  ['RegexFullMatch without a pattern', write('regex.onnx', files.withRegexPattern('')), /RegexFullMatch needs a pattern/],
  ['card with character 1-9-grams', write('range.onnx', files.withCardCharRange([1, 9])), /character n-gram range \[1,9\] is outside 2..5/],
  ['node reading a missing tensor', write('dangling.onnx', files.withDanglingInput()), /no_such_tensor/],
  ['no model version', write('noversion.onnx', files.withMetadata(files.METADATA_KEYS.modelVersion, undefined)), /model_version/],
  ['text cap not a number', write('cap.onnx', files.withMetadata(files.METADATA_KEYS.maxTextChars, 'lots')), /max_text_chars/],
  ['StringNormalizer without locale', write('locale.onnx', files.withoutLocale()), /locale/],
];

t.test('hostile model files are refused with a ModelLoadError, in a child process', async (t) => {
  const r = await loadInChild(hostile.map(([, path]) => path));
  t.equal(r.signal, null, 'the loading process was not killed');
  t.equal(r.code, 0, `the loading process exited normally ${r.code ? r.stderr : ''}`);
  const killer = r.started.find((p) => !r.outcomes.has(p));
  t.equal(killer, undefined, `no file killed the process${killer ? `: ${killer}` : ''}`);
  for (const [name, path, pattern] of hostile) {
    const report = r.outcomes.get(path);
    t.match(report, { loaded: false, isModelLoadError: true }, `${name}: ModelLoadError`);
    t.match(report?.message ?? '', pattern, `${name}: message names the problem`);
    t.ok((report?.message ?? '').includes(path), `${name}: message names the file`);
  }
});

t.test('why validate: the same hostile file given straight to onnxruntime', async (t) => {
  // Informational: shows what the validation prevents on this onnxruntime version. Not asserted,
  // because a future onnxruntime may reject the file gracefully.
  const path = join(dir, 'tfidf-short.onnx');
  const raw = `
    const ort = (await import('onnxruntime-node')).default;
    const s = await ort.InferenceSession.create(process.argv[1]);
    await s.run({ text: new ort.Tensor('string', ['w0 w1 w2 w3'], [1]) });
    console.log('ran');`;
  const outcome = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', raw, path], { stdio: 'ignore', timeout: 60_000, cwd: REPO_ROOT });
    child.on('close', (code, signal) => resolve(`exit code ${code}, signal ${signal}`));
  });
  t.comment(`unvalidated onnxruntime run of a TfIdfVectorizer with short ngram_indexes: ${outcome}`);
  t.pass('reported');
});

t.test('control: a consistent TfIdfVectorizer on the same path loads and predicts', async (t) => {
  const path = write('tfidf-ok.onnx', files.withTfIdf(3, 3));
  const r = await loadInChild([path]);
  t.equal(r.code, 0);
  t.match(r.outcomes.get(path), { loaded: true }, 'loads');
  t.equal(r.outcomes.get(path)?.labels?.length, 2, 'predicts one label per text');
});

t.test('loaded model: metadata, cap and batch checks', async (t) => {
  const model = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => model.release());
  t.match(model.version, /^tfidf-lr-[0-9a-f]{12}$/);
  t.equal(model.card.version, model.version, 'card from the file metadata');
  t.equal(model.maxTextChars, model.card.preprocessing.maxTextChars);

  await t.rejects(model.predict([]), RangeError, 'empty batch rejected in JS');
  await t.rejects(model.predict([42 as unknown as string]), TypeError, 'non-string rejected in JS');

  const head = 'Dear friend, claim your free prize now! '.repeat(10);
  const long = head.padEnd(model.maxTextChars, '.') + ' meeting agenda notes kernel patch '.repeat(200);
  const [a, b] = await Promise.all([model.predict([long]), model.predict([long.slice(0, model.maxTextChars)])]);
  t.equal(a.spamProbabilities[0], b.spamProbabilities[0], 'text beyond the cap is ignored, as in training');

  const out = await model.predict(['', 'CONGRATULATIONS! You won $1000000!', 'Hi Bob, are we still on for lunch tomorrow?']);
  t.equal(out.labels.length, 3);
  t.equal(out.spamProbabilities.length, 3);
  t.ok(out.inferenceSeconds >= 0);
  for (const p of out.spamProbabilities) t.ok(p >= 0 && p <= 1, 'probability in [0, 1]');
  t.equal(out.spamProbabilities[0], Math.fround(model.card.noEvidenceProbability), 'a text with no known term gets the training spam share');
  t.equal(out.labels[0], 'ham', 'and is ham (spam is the minority)');
  // Glagolitic: a script neither corpus contains, so no word and no character n-gram is known.
  const noKnown = await model.predict(['\u2C00\u2C01\u2C02', '\u2C03\u2C04 \u2C05\u2C06\u2C07']);
  t.same(Array.from(noKnown.spamProbabilities), [out.spamProbabilities[0], out.spamProbabilities[0]], 'only unknown words and n-grams: the same');
  t.same(Array.from(noKnown.knownTermRatios ?? []), [0, 0], 'known-term ratio 0');
  t.equal(model.thresholdSource, 'model');
  t.equal(model.threshold, Math.fround(model.card.threshold), 'the threshold in force is the card\'s');
});

t.test('threshold override: labels follow it; a value outside (0, 1) is refused', async (t) => {
  const texts = ['', 'CONGRATULATIONS! You won $1000000! Call now to claim', 'Hi Bob, are we still on for lunch tomorrow?', 'free entry win cash'];
  const base = await loadModel(BUNDLED_MODEL_PATH);
  t.teardown(() => base.release());
  const p = (await base.predict(texts)).spamProbabilities;
  for (const threshold of [0.05, 0.5, 0.95]) {
    const m = await loadModel(BUNDLED_MODEL_PATH, { threshold });
    const out = await m.predict(texts);
    t.equal(m.thresholdSource, 'SPAM_THRESHOLD');
    t.equal(m.threshold, Math.fround(threshold));
    t.same(Array.from(out.spamProbabilities), Array.from(p), `threshold ${threshold}: probabilities unchanged`);
    t.same(out.labels, Array.from(p, (v) => (v >= Math.fround(threshold) ? 'spam' : 'ham')), `threshold ${threshold}: labels follow it`);
    await m.release();
  }
  for (const bad of [0, 1, -0.1, Number.NaN]) {
    await t.rejects(loadModel(BUNDLED_MODEL_PATH, { threshold: bad }), ModelLoadError, `threshold ${bad} refused`);
  }
});

t.test('ModelLoadError in process for a missing file', async (t) => {
  await t.rejects(loadModel(join(dir, 'nope.onnx')), ModelLoadError);
});
