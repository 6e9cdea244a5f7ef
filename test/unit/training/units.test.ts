/** Unit tests of the training pipeline's pieces, on small hand-checked inputs. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, loadUserData, parseLabel, stratifiedSplit } from '../../../training/src/corpus.js';
import { fitLogisticRegression } from '../../../training/src/logreg.js';
import { curves, evaluate, rocAuc } from '../../../training/src/metrics.js';
import { capText, ngrams, stripHeaders, tokenize } from '../../../training/src/text.js';
import { fitVocabulary, TermKeys, termCounts, transform } from '../../../training/src/vectorizer.js';
import type { Label } from '../../../shared/model-io.js';

t.test('tokenizer: ASCII lowercase, \\w\\w+ tokens, bigrams of neighbours', async (t) => {
  t.same(tokenize('WIN $1000 NOW!! a b_c'), ['win', '1000', 'now', 'b_c']);
  t.same(tokenize('Ünïcode KELVIN \u212Aelvin'), ['code', 'kelvin', 'elvin'], 'non-ASCII letters are separators, never folded');
  t.same(ngrams(['a1', 'b2', 'c3']), ['a1', 'b2', 'c3', 'a1 b2', 'b2 c3']);
  t.same(ngrams([]), []);
  t.equal(capText('abcdef', 3), 'abc');
  t.equal(capText('abc', 3), 'abc');
});

t.test('stripHeaders keeps bodies, drops an RFC 822 header block', async (t) => {
  t.equal(stripHeaders('From: a@b.c\nSubject: hi\n\nbody text\n\nmore'), 'body text\n\nmore');
  t.equal(stripHeaders('From a@b  Thu Aug 22 2002\r\nX: y\r\n\r\nbody'), 'body');
  t.equal(stripHeaders('CONGRATULATIONS! You won: $1000000!\n\nClaim now'), 'CONGRATULATIONS! You won: $1000000!\n\nClaim now', 'a bare body is left alone');
  t.equal(stripHeaders('Subject: only headers\n'), '', 'headers without a body give an empty body');
});

t.test('stratified split: seeded, disjoint, per-class fraction, order-preserving', async (t) => {
  const items = Array.from({ length: 103 }, (_, i) => ({ id: i, label: (i % 3 === 0 ? 'spam' : 'ham') as Label }));
  const a = stratifiedSplit(items, { seed: 7, testFraction: 0.2 });
  const b = stratifiedSplit(items, { seed: 7, testFraction: 0.2 });
  const c = stratifiedSplit(items, { seed: 8, testFraction: 0.2 });
  t.same(a, b, 'same seed, same split');
  t.notSame(a.test, c.test, 'another seed, another split');
  t.equal(a.train.length + a.test.length, items.length);
  t.equal(new Set([...a.train, ...a.test].map((x) => x.id)).size, items.length, 'disjoint and complete');
  t.equal(a.test.filter((x) => x.label === 'spam').length, Math.round(35 * 0.2));
  t.equal(a.test.filter((x) => x.label === 'ham').length, Math.round(68 * 0.2));
  t.same(a.test.map((x) => x.id), [...a.test.map((x) => x.id)].sort((p, q) => p - q), 'input order kept');
  t.throws(() => stratifiedSplit(items, { seed: 1, testFraction: 1 }), RangeError);
});

t.test('labels: spam/ham and 1/0 in their usual spellings', async (t) => {
  for (const v of ['spam', ' SPAM ', '1', 1, true]) t.equal(parseLabel(v), 'spam', JSON.stringify(v));
  for (const v of ['ham', 'Ham', '0', 0, false]) t.equal(parseLabel(v), 'ham', JSON.stringify(v));
  for (const v of ['2', 'junk', '', null, undefined, 0.5]) t.equal(parseLabel(v), undefined, JSON.stringify(v));
});

t.test('user data: CSV and JSONL, configurable columns, errors name the line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'training-units-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const csv = join(dir, 'sms.csv');
  writeFileSync(csv, '\uFEFFbody,kind\n"Free entry, win ""cash""\nnow",1\nsee you at 5,0\n');
  const c = await loadUserData(csv, { textColumn: 'body', labelColumn: 'kind' });
  t.same(c.examples.map((e) => [e.text, e.label]), [['Free entry, win "cash"\nnow', 'spam'], ['see you at 5', 'ham']], 'quotes, commas, newlines, BOM');

  const jsonl = join(dir, 'data.jsonl');
  writeFileSync(jsonl, '{"text":"win money","label":"spam"}\n\n{"text":"hello","label":"ham"}\n');
  t.same((await loadUserData(jsonl)).examples.map((e) => e.label), ['spam', 'ham']);

  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text":"a","label":"spam"}\n{"text":"b","label":"maybe"}\n');
  await t.rejects(loadUserData(bad), { name: 'DataError', message: /bad\.jsonl:2: column "label"/ });
  const missing = join(dir, 'missing.csv');
  writeFileSync(missing, 'text,label\nhello,ham\n,spam\nx\n');
  await t.rejects(loadUserData(missing), DataError, 'ragged CSV is an error');
  const oneClass = join(dir, 'one.csv');
  writeFileSync(oneClass, 'text,label\na,ham\nb,ham\n');
  await t.rejects(loadUserData(oneClass), { message: /needs both spam and ham/ });
  await t.rejects(loadUserData(join(dir, 'data.txt')), { message: /cannot tell the format/ });
});

t.test('TF-IDF matches the scikit-learn formulas', async (t) => {
  const texts = ['aa bb aa', 'bb cc', 'aa'];
  const keys = new TermKeys();
  const docs = texts.map((x) => keys.counts(x));
  const { vocabulary: vocab, featureOf } = fitVocabulary(docs, keys, 100, 1);
  t.same(vocab.terms, ['aa', 'aa bb', 'bb', 'bb aa', 'bb cc', 'cc'], 'alphabetical feature order');
  docs.forEach((d, i) => {
    const asStrings = new Map([...d].map(([k, c]) => [keys.term(k), c]));
    t.same(asStrings, termCounts(texts[i]!), `numeric keys count the same n-grams as strings (text ${i})`);
  });
  const idf = (df: number) => Math.log(4 / (1 + df)) + 1;
  t.equal(vocab.idf[0], idf(2));
  const x = transform(docs, featureOf, vocab.idf);
  // Row 0: aa (tf 2), "aa bb", bb, "bb aa" (tf 1).
  const raw = [(1 + Math.log(2)) * idf(2), idf(1), idf(2), idf(1)];
  const norm = Math.hypot(...raw);
  t.same(Array.from(x.indices.subarray(0, 4)), [0, 1, 2, 3]);
  Array.from(x.values.subarray(0, 4)).forEach((v, i) => t.ok(Math.abs(v - raw[i]! / norm) < 1e-12));
  t.same(fitVocabulary(docs, keys, 2, 1).vocabulary.terms, ['aa', 'bb'], 'max features keeps the most frequent');
  t.same(fitVocabulary(docs, keys, 100, 2).vocabulary.terms, ['aa', 'bb'], 'min df');
});

t.test('logistic regression separates a separable toy set and is deterministic', async (t) => {
  const keys = new TermKeys();
  const docs = ['win cash', 'cash prize', 'win prize now', 'lunch today', 'meeting today', 'lunch meeting'].map((s) => keys.counts(s));
  const y = Uint8Array.from([1, 1, 1, 0, 0, 0]);
  const { vocabulary, featureOf } = fitVocabulary(docs, keys, 100, 1);
  const x = transform(docs, featureOf, vocabulary.idf);
  const a = fitLogisticRegression(x, y, { c: 10, maxIterations: 200, tolerance: 1e-8 });
  const b = fitLogisticRegression(x, y, { c: 10, maxIterations: 200, tolerance: 1e-8 });
  t.ok(a.converged, `converged in ${a.iterations} iterations`);
  t.same(Array.from(a.weights), Array.from(b.weights), 'bit-identical refit');
  const z = (r: number) => {
    let s = a.bias;
    for (let k = x.indptr[r]!; k < x.indptr[r + 1]!; k++) s += x.values[k]! * a.weights[x.indices[k]!]!;
    return s;
  };
  for (let r = 0; r < 6; r++) t.equal(z(r) > 0 ? 1 : 0, y[r], `row ${r}`);
});

t.test('metrics', async (t) => {
  const labels: Label[] = ['spam', 'spam', 'ham', 'ham', 'spam'];
  const p = [0.9, 0.4, 0.6, 0.1, 0.8];
  const m = evaluate(labels, p, 0.5);
  t.same(m.confusionMatrix, { truePositive: 2, falsePositive: 1, trueNegative: 1, falseNegative: 1 });
  t.equal(m.accuracy, 3 / 5);
  t.equal(m.precision, 2 / 3);
  t.equal(m.recall, 2 / 3);
  t.ok(Math.abs(m.f1 - 2 / 3) < 1e-12);
  // Pairs (spam, ham) ranked right: (0.9: both), (0.4: over 0.1 only), (0.8: both) = 5 of 6.
  t.equal(rocAuc(labels, p), 5 / 6);
  t.equal(rocAuc(['spam', 'ham'], [0.5, 0.5]), 0.5, 'ties count one half');
  const pts = curves(labels, p);
  t.same(pts.at(-1), { threshold: 0.1, falsePositiveRate: 1, truePositiveRate: 1, precision: 3 / 5 });
});
