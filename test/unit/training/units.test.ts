/** Unit tests of the training pipeline's pieces, on small hand-checked inputs. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, dedupe, loadUserData, parseLabel, stratifiedSplit, threeWaySplit, type Example } from '../../../training/src/corpus.js';
import { budgetResolves, fitPlatt, policyThreshold } from '../../../training/src/calibration.js';
import { fitLogisticRegression, sigmoid } from '../../../training/src/logreg.js';
import { curves, evaluate, evaluateDomain, rocAuc } from '../../../training/src/metrics.js';
import { capText, ngrams, stripHeaders, textTerms, tokenize, type FeatureSpec } from '../../../training/src/text.js';
import { balancedWeights, fitCalibration, MIN_SEGMENT_TEXTS } from '../../../training/src/train.js';
import { histogram } from '../../../training/src/reference.js';
import { fitVocabulary, TermKeys, transform } from '../../../training/src/vectorizer.js';
import type { Label } from '../../../shared/model-io.js';

const WORDS: FeatureSpec = { words: true, charWindow: 0, charMinN: 2, charMaxN: 5 };
const BOTH: FeatureSpec = { words: true, charWindow: 256, charMinN: 2, charMaxN: 5 };

t.test('tokenizer: Unicode lowercase, word-character runs, bigrams of neighbours', async (t) => {
  t.same(tokenize('WIN $1000 NOW!! a b_c'), ['win', '1000', 'now', 'b_c']);
  t.same(tokenize('Ünïcode KELVIN \u212Aelvin'), ['ünïcode', 'kelvin', 'kelvin'], 'non-ASCII letters are letters, lowered as the graph does');
  t.same(ngrams(['a1', 'b2', 'c3']), ['a1', 'b2', 'c3', 'a1 b2', 'b2 c3']);
  t.same(ngrams([]), []);
  t.equal(capText('abcdef', 3), 'abc');
  t.equal(capText('abc', 3), 'abc');
  t.equal(capText('a\u0000b', 9), 'a b', 'NUL becomes a space');
  t.equal(capText('\u{1F4B0}x', 1), '\uFFFD', 'a cap splitting a surrogate pair leaves U+FFFD, as onnxruntime would');
});

t.test('character n-grams: within whitespace-separated words, padded, first K characters', async (t) => {
  const grams = (text: string, spec: FeatureSpec) => textTerms(text, spec).chars;
  t.same(grams('Hi!', { ...BOTH, charMaxN: 3 }), [' h', ' hi', 'hi', 'hi!', 'i!', 'i! ', '! '], 'punctuation stays, the word is padded');
  t.same(grams('a b', { ...BOTH, charMaxN: 3 }), [' a', ' a ', 'a ', ' b', ' b ', 'b '], 'no n-gram crosses a space');
  t.same(grams('abcdef', { ...BOTH, charWindow: 4, charMinN: 3, charMaxN: 3 }), [' ab', 'abc'], 'only the first K code points (padding included)');
  t.same(grams('x\u00a0y', { ...BOTH, charMaxN: 2 }), [' x', 'x ', ' y', 'y '], 'Unicode spaces separate too');
  t.same(grams('\u{1F4B0}!', { ...BOTH, charMinN: 2, charMaxN: 2 }), [' \u{1F4B0}', '\u{1F4B0}!', '! '], 'one n-gram position per code point');
  t.same(textTerms('a b', WORDS).chars, [], 'no window, no character n-grams');
});

t.test('stripHeaders keeps bodies, drops an RFC 822 header block', async (t) => {
  t.equal(stripHeaders('From: a@b.c\nSubject: hi\n\nbody text\n\nmore'), 'body text\n\nmore');
  t.equal(stripHeaders('From a@b  Thu Aug 22 2002\r\nX: y\r\n\r\nbody'), 'body');
  t.equal(stripHeaders('Subject: folded\n  continuation\n\nbody'), 'body', 'folded header lines');
  t.equal(stripHeaders('CONGRATULATIONS! You won: $1000000!\n\nClaim now'), 'CONGRATULATIONS! You won: $1000000!\n\nClaim now', 'a bare body is left alone');
  t.equal(stripHeaders('URGENT: call now'), 'URGENT: call now', 'a message starting "Word:" is not a header block');
  t.equal(stripHeaders('Sorry: late\nsee you soon\n\nbye'), 'Sorry: late\nsee you soon\n\nbye', 'a non-header line before the blank line: not an email');
});

t.test('de-duplication and the three-way split stratified by corpus and class', async (t) => {
  const ex = (id: number, source: string, label: Label, text = `text ${id}`): Example => ({ id: String(id), text, label, source, kind: 'text' });
  const items = [
    ...Array.from({ length: 60 }, (_, i) => ex(i, 'a', i % 4 === 0 ? 'spam' : 'ham')),
    ...Array.from({ length: 40 }, (_, i) => ex(100 + i, 'b', i % 2 === 0 ? 'spam' : 'ham')),
  ];
  const { examples, removedBySource } = dedupe([...items, ex(999, 'b', 'spam', 'text 3'), ex(998, 'a', 'ham', 'text 3')]);
  t.equal(examples.length, items.length, 'exact duplicates removed');
  t.same([...removedBySource], [['b', 1], ['a', 1]], 'counted per corpus');
  const s = threeWaySplit(examples, { seed: 3, testFraction: 0.2, validationFraction: 0.2 });
  t.equal(s.train.length + s.validation.length + s.test.length, 100);
  t.equal(new Set([...s.train, ...s.validation, ...s.test].map((e) => e.id)).size, 100, 'disjoint and complete');
  for (const [source, label, n] of [['a', 'spam', 15], ['a', 'ham', 45], ['b', 'spam', 20], ['b', 'ham', 20]] as const) {
    t.equal(s.test.filter((e) => e.source === source && e.label === label).length, Math.round(n * 0.2), `test holds 20% of ${source}/${label}`);
    t.equal(s.validation.filter((e) => e.source === source && e.label === label).length, Math.round((n - Math.round(n * 0.2)) * 0.25), `validation holds 20% of ${source}/${label}`);
  }
  t.same(threeWaySplit(examples, { seed: 3, testFraction: 0.2, validationFraction: 0.2 }), s, 'seeded');
  t.same(balancedWeights(['a', 'a', 'a', 'b']), Float64Array.from([4 / 6, 4 / 6, 4 / 6, 2]), 'every corpus weighs the same in the loss');
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

  // TSV: by extension, or --delimiter with a tab; a quote is part of the text.
  const tsv = join(dir, 'sms.tsv');
  writeFileSync(tsv, 'label\ttext\n2\t"Promo" 50% off!\n0\tsee you\n1\tverify your account\n');
  const three = await loadUserData(tsv, { spamLabels: ['1', '2'] });
  t.same(three.examples.map((e) => [e.text, e.label]), [['"Promo" 50% off!', 'spam'], ['see you', 'ham'], ['verify your account', 'spam']], 'TSV by extension; labels 1,2 are spam');
  const tabCsv = join(dir, 'tab.csv');
  writeFileSync(tabCsv, 'text\tlabel\nhi\t0\nwin\t1\n');
  for (const delimiter of ['\\t', 'tab', '\t']) {
    t.same((await loadUserData(tabCsv, { delimiter })).examples.map((e) => e.label), ['ham', 'spam'], `--delimiter ${JSON.stringify(delimiter)}`);
  }
  await t.rejects(loadUserData(tabCsv, { delimiter: ';;' }), { message: /--delimiter must be one character/ });
  await t.rejects(loadUserData(tsv, { spamLabels: ['7'] }), { message: /all 3 rows are ham; labels found: "2" \(1\), "0" \(1\), "1" \(1\)/ }, 'an empty class lists the labels found');
  await t.rejects(loadUserData(tsv), { message: /sms\.tsv:2: column "label" must be spam\/ham or 1\/0, got "2".*--spam-labels/ });
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, '');
  await t.rejects(loadUserData(empty), { message: /empty\.csv: the file is empty/ });
  const headerOnly = join(dir, 'header.csv');
  writeFileSync(headerOnly, 'text,label\n');
  await t.rejects(loadUserData(headerOnly), { message: /no data rows/ });
  const noColumn = join(dir, 'nocol.csv');
  writeFileSync(noColumn, 'message,label\nhi,0\n');
  await t.rejects(loadUserData(noColumn), { message: /nocol\.csv:1: no column "text" in the header \(columns: "message", "label"\)/ });
  const latin1 = join(dir, 'latin1.csv');
  writeFileSync(latin1, Buffer.concat([Buffer.from('text,label\nok,0\nok2,1\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(',0\n')]));
  await t.rejects(loadUserData(latin1), { message: /latin1\.csv:4: not valid UTF-8/ });
  const long = join(dir, 'long.csv');
  writeFileSync(long, `text,label\nshort,0\n${'x'.repeat(50)},1\n`);
  await t.rejects(loadUserData(long, { maxTextChars: 10 }), { message: /long\.csv:3: the text is 50 characters, over the cap of 10/ });
  const emptyLabel = join(dir, 'nolabel.csv');
  writeFileSync(emptyLabel, 'text,label\nhi,\n');
  await t.rejects(loadUserData(emptyLabel, { spamLabels: ['1'] }), { message: /nolabel\.csv:2: column "label" is missing or empty/ });
});

t.test('TF-IDF: smooth idf, occurrence norm with evidence shrinkage, two families', async (t) => {
  const texts = ['aa bb aa', 'bb cc', 'aa'];
  const keys = new TermKeys(WORDS);
  const docs = texts.map((x) => keys.counts(x));
  const opts = (maxWordFeatures: number, minDf: number) => ({ maxWordFeatures, maxCharFeatures: 0, minDf });
  const { vocabulary: vocab, featureOf } = fitVocabulary(docs, keys, opts(100, 1));
  t.same(vocab.words, ['aa', 'aa bb', 'bb', 'bb aa', 'bb cc', 'cc'], 'alphabetical feature order');
  docs.forEach((d, i) => {
    const asStrings = new Map([...d].map(([k, c]) => [keys.term(k), c]));
    const expected = new Map<string, number>();
    for (const w of textTerms(texts[i]!, WORDS).words) expected.set(w, (expected.get(w) ?? 0) + 1);
    t.same(asStrings, expected, `numeric keys count the same n-grams as strings (text ${i})`);
  });
  const idf = (df: number) => Math.log(4 / (1 + df)) + 1;
  t.equal(vocab.idf[0], idf(2));
  for (const lambda of [0, 5]) {
    const x = transform(docs, featureOf, vocab.idf, lambda);
    // Row 0: aa (tf 2), "aa bb", bb, "bb aa" (tf 1); the norm counts every occurrence.
    const raw = [2 * idf(2), idf(1), idf(2), idf(1)];
    const norm = Math.sqrt(2 * idf(2) ** 2 + idf(1) ** 2 + idf(2) ** 2 + idf(1) ** 2 + lambda);
    t.same(Array.from(x.indices.subarray(0, 4)), [0, 1, 2, 3]);
    Array.from(x.values.subarray(0, 4)).forEach((v, i) => t.ok(Math.abs(v - raw[i]! / norm) < 1e-12, `lambda ${lambda}, feature ${i}`));
  }
  t.same(fitVocabulary(docs, keys, opts(2, 1)).vocabulary.words, ['aa', 'bb'], 'max features keeps the most frequent');
  t.same(fitVocabulary(docs, keys, opts(100, 2)).vocabulary.words, ['aa', 'bb'], 'min df');
  const both = new TermKeys({ ...BOTH, charMinN: 2, charMaxN: 2 });
  const bdocs = ['ab ab', 'ab'].map((x) => both.counts(x));
  const v2 = fitVocabulary(bdocs, both, { maxWordFeatures: 10, maxCharFeatures: 10, minDf: 1 }).vocabulary;
  t.same([v2.words, v2.chars], [['ab', 'ab ab'], [' a', 'ab', 'b ']], 'words first, then character n-grams, each its own budget');

  // Per-family norm: row 0 ("ab ab") has words ab x2, "ab ab" x1 and n-grams " a" x2, ab x2, "b " x2.
  const { featureOf: f2, vocabulary: v3 } = fitVocabulary(bdocs, both, { maxWordFeatures: 10, maxCharFeatures: 10, minDf: 1 });
  for (const lambda of [0, 7]) {
    const x = transform(bdocs, f2, v3.idf, lambda, v3.words.length);
    const occ = [2, 1, 2, 2, 2];
    const sq = (from: number, to: number) => occ.slice(from, to).reduce((s, c, i) => s + c * v3.idf[from + i]! ** 2, 0);
    const wordNorm = Math.sqrt(sq(0, 2) + lambda);
    const charNorm = Math.sqrt(sq(2, 5) + lambda);
    Array.from(x.values.subarray(0, 5)).forEach((v, j) =>
      t.ok(Math.abs(v - (occ[j]! * v3.idf[j]!) / (j < 2 ? wordNorm : charNorm)) < 1e-12, `per-family norm, lambda ${lambda}, feature ${j}`));
    const joint = transform(bdocs, f2, v3.idf, lambda);
    t.ok(Math.abs(joint.values[0]! - (2 * v3.idf[0]!) / Math.sqrt(sq(0, 5) + lambda)) < 1e-12, `joint norm, lambda ${lambda}`);
  }
  const unknown = transform([new Map([[123_456_789, 1]])], f2, v3.idf, 0, v3.words.length);
  t.same(Array.from(unknown.values), [], 'a text with no known term stays all zeros');
});

t.test('Platt calibration and the threshold policy', async (t) => {
  // Scores with a known logistic relation: p(spam | z) = sigmoid(2z - 1).
  const z: number[] = [];
  const labels: Label[] = [];
  for (let i = 0; i < 4000; i++) {
    const v = (i % 200) / 20 - 5;
    z.push(v);
    labels.push(((i * 7919) % 1000) / 1000 < sigmoid(2 * v - 1) ? 'spam' : 'ham');
  }
  const { a, b } = fitPlatt(z, labels);
  t.ok(Math.abs(a - 2) < 0.3 && Math.abs(b + 1) < 0.3, `recovers a ~ 2, b ~ -1 (got ${a.toFixed(3)}, ${b.toFixed(3)})`);
  const sep = fitPlatt([-3, -2, 2, 3], ['ham', 'ham', 'spam', 'spam']);
  t.ok(Number.isFinite(sep.a) && Number.isFinite(sep.b), 'separable scores keep finite parameters (smoothed targets)');

  const ham = Array.from({ length: 1000 }, (_, i) => i / 1000);
  const group = { labels: ham.map((): Label => 'ham'), probabilities: ham };
  const th = policyThreshold([group], 0.005, 0.5);
  const blocked = ham.filter((p) => p >= th).length;
  t.ok(blocked <= 5 && blocked >= 4, `blocks at most 0.5% of 1000 ham (${blocked}) at ${th}`);
  t.equal(policyThreshold([{ labels: ['ham', 'spam'], probabilities: [0.1, 0.9] }], 0.005, 0.5), 0.5, 'never below the floor');
  // Six ham at 0.999 of 1000: at most five may be blocked, so the threshold must pass 0.999.
  const strict = { labels: ham.map((): Label => 'ham'), probabilities: ham.map((p, i) => (i < 6 ? 0.999 : p / 2)) };
  t.ok(policyThreshold([group], 0.005, 0.5) < 0.999, 'the uniform domain alone stays under 0.999');
  t.ok(policyThreshold([group, strict], 0.005, 0.5) > 0.999, 'the strictest domain decides');
  const few = { labels: ['ham', 'ham', 'spam'] as Label[], probabilities: [0.97, 0.2, 0.99] };
  t.equal(policyThreshold([few], 0.005, 0.5), 0.5, 'a domain with fewer than 200 ham cannot resolve 0.5%: the floor holds');
  t.ok(policyThreshold([few], 0, 0.5) > 0.97, 'a budget of 0 binds whatever the count');
  t.same([budgetResolves(199, 0.005), budgetResolves(200, 0.005), budgetResolves(3, 0)], [false, true, true], 'budgetResolves: 1 / budget ham, or a zero budget');

  // Two segments with different odds for the same score: short texts sigmoid(z + 1), long sigmoid(2z - 1).
  const segZ: number[] = [];
  const segLabels: Label[] = [];
  const isShort: boolean[] = [];
  for (let i = 0; i < 4000; i++) {
    const v = (i % 200) / 20 - 5;
    const short = i % 2 === 0;
    segZ.push(v);
    isShort.push(short);
    segLabels.push(((i * 7919) % 1000) / 1000 < sigmoid(short ? v + 1 : 2 * v - 1) ? 'spam' : 'ham');
  }
  const seg = fitCalibration(segZ, segLabels, isShort, 50);
  t.equal(seg.shortTokens, 50, 'both segments have enough texts of each class: two fits');
  t.ok(Math.abs(seg.short.a - 1) < 0.3 && Math.abs(seg.short.b - 1) < 0.3, `short texts: a ~ 1, b ~ 1 (got ${seg.short.a.toFixed(3)}, ${seg.short.b.toFixed(3)})`);
  t.ok(Math.abs(seg.long.a - 2) < 0.4 && Math.abs(seg.long.b + 1) < 0.4, `long texts: a ~ 2, b ~ -1 (got ${seg.long.a.toFixed(3)}, ${seg.long.b.toFixed(3)})`);
  t.equal(seg.shortTexts, 2000, 'validation texts in the short segment');
  const fewShort = isShort.map((s, i) => s && i < 10);
  const pooled = fitCalibration(segZ, segLabels, fewShort, 50);
  t.same([pooled.shortTokens, pooled.short, pooled.long], [-1, fitPlatt(segZ, segLabels), fitPlatt(segZ, segLabels)], `fewer than ${MIN_SEGMENT_TEXTS} texts of a class on one side: one pooled fit, no segment`);
  t.equal(fitCalibration(segZ, segLabels, isShort, -1).shortTokens, -1, 'segments switched off (-1)');
});

t.test('histograms and per-domain figures', async (t) => {
  t.same(histogram([0, 0.05, 0.1, 0.95, 1], [0, 0.1, 0.5, 1]), { edges: [0, 0.1, 0.5, 1], proportions: [0.4, 0.2, 0.4] }, 'half-open bins, the last closed');
  t.same(histogram([5000], [0, 10, 4000]).proportions, [0, 1], 'above the last edge counts in the last bin');
  const m = evaluateDomain(['spam', 'ham', 'ham', 'ham'], [0.95, 0.85, 0.05, 0.15], 0.5);
  t.equal(m.blockedHamRate, 1 / 3);
  t.equal(m.reliability.length, 10);
  t.same(m.reliability[8], { lower: 0.8, upper: 0.9, count: 1, meanPredicted: 0.85, fractionSpam: 0 });
  // |0.95-1|*1 + |0.85-0|*1 + |0.05-0| + |0.15-0|, over 4 texts
  t.ok(Math.abs(m.ece - (0.05 + 0.85 + 0.05 + 0.15) / 4) < 1e-12, `ECE ${m.ece}`);
});

t.test('logistic regression separates a separable toy set and is deterministic', async (t) => {
  const keys = new TermKeys(WORDS);
  const docs = ['win cash', 'cash prize', 'win prize now', 'lunch today', 'meeting today', 'lunch meeting'].map((s) => keys.counts(s));
  const y = Uint8Array.from([1, 1, 1, 0, 0, 0]);
  const { vocabulary, featureOf } = fitVocabulary(docs, keys, { maxWordFeatures: 100, maxCharFeatures: 0, minDf: 1 });
  const x = transform(docs, featureOf, vocabulary.idf, 0);
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
