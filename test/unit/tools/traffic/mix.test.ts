/**
 * The request mix: seeded reproducibility, the error ratio and kinds, the spam/ham mix, batch
 * bodies, feedback choices, and malformed bodies that really are malformed.
 */
import t from 'tap';
import { buildPool, MessageSourceError, type LabelledText } from '../../../../tools/traffic/messages.js';
import { createMix, malformed, MALFORMED_KINDS, MixError, type MixOptions, type RequestSpec } from '../../../../tools/traffic/mix.js';
import { createRng } from '../../../../tools/traffic/rng.js';

const samples: LabelledText[] = [
  ...Array.from({ length: 20 }, (_, i) => ({ text: `buy cheap pills now, offer ${i}`, label: 'spam' as const })),
  ...Array.from({ length: 80 }, (_, i) => ({ text: `minutes of the monday meeting, item ${i}`, label: 'ham' as const })),
];
const pool = buildPool(samples, 'test messages');
const base: MixOptions = { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 };

function draw(n: number, seed: number, opts = base): RequestSpec[] {
  const next = createMix(pool, opts, createRng(seed));
  return Array.from({ length: n }, next);
}

t.test('the same seed replays the same sequence; another seed does not', async (t) => {
  const opts = { ...base, errorRatio: 0.3, feedbackRatio: 0.5, batchSize: 3 };
  t.same(draw(200, 42, opts), draw(200, 42, opts));
  t.notSame(draw(200, 42, opts), draw(200, 43, opts));
});

t.test('valid single-text requests carry a real text and its true label', async (t) => {
  const byText = new Map(samples.map((s) => [s.text, s.label]));
  for (const spec of draw(300, 1)) {
    if (spec.kind !== 'predict') return t.fail('no malformed request at error ratio 0');
    const body = JSON.parse(spec.body) as { text: string };
    t.equal(spec.batch, false);
    t.same(spec.labels, [byText.get(body.text)]);
  }
});

t.test('without a spam ratio the pool mix is kept; with one it is followed', async (t) => {
  const share = (specs: RequestSpec[]) =>
    specs.flatMap((s) => (s.kind === 'predict' ? s.labels : [])).filter((l) => l === 'spam').length / specs.length;
  const natural = share(draw(4000, 2));
  t.ok(Math.abs(natural - 0.2) < 0.03, `natural spam share ${natural} near the pool's 0.2`);
  const half = share(draw(4000, 2, { ...base, spamRatio: 0.5 }));
  t.ok(Math.abs(half - 0.5) < 0.03, `spam share ${half} near 0.5`);
  t.equal(share(draw(200, 2, { ...base, spamRatio: 1 })), 1);
  t.equal(share(draw(200, 2, { ...base, spamRatio: 0 })), 0);
});

t.test('error ratio and kinds', async (t) => {
  const specs = draw(5000, 3, { ...base, errorRatio: 0.2 });
  const bad = specs.filter((s) => s.kind !== 'predict');
  t.ok(Math.abs(bad.length / specs.length - 0.2) < 0.02, `malformed share ${bad.length / specs.length}`);
  t.same(new Set(bad.map((s) => s.kind)), new Set(MALFORMED_KINDS), 'every kind is drawn');
  const only = draw(500, 3, { ...base, errorRatio: 1, errorKinds: ['empty_text'] });
  t.ok(only.every((s) => s.kind === 'empty_text'));
  t.throws(() => createMix(pool, { ...base, errorRatio: 0.1, errorKinds: [] }, createRng(1)), MixError);
});

t.test('malformed bodies are malformed in the intended way', async (t) => {
  const text = 'a real message "with quotes"';
  const badJson = malformed('bad_json', text);
  t.throws(() => JSON.parse(badJson.body), 'bad_json does not parse');
  t.equal(badJson.path, '/predict');
  t.same(JSON.parse(malformed('missing_text', text).body), { message: text });
  t.same(JSON.parse(malformed('empty_text', text).body), { text: '' });
  t.type((JSON.parse(malformed('wrong_type', text).body) as { text: unknown }).text, 'number');
  const route = malformed('unknown_route', text);
  t.not(route.path, '/predict');
  t.same(JSON.parse(route.body), { text });
});

t.test('batches send {"texts"} with one label and one feedback choice per text', async (t) => {
  const specs = draw(100, 4, { ...base, batchSize: 5, feedbackRatio: 0.5 });
  let fed = 0;
  for (const spec of specs) {
    if (spec.kind !== 'predict') return t.fail('no malformed request');
    const body = JSON.parse(spec.body) as { texts: string[] };
    t.equal(body.texts.length, 5);
    t.equal(spec.labels.length, 5);
    t.equal(spec.feedback.length, 5);
    fed += spec.feedback.filter(Boolean).length;
  }
  t.ok(fed > 150 && fed < 350, `about half of 500 predictions get feedback (${fed})`);
});

t.test('the pool filters by length and refuses an impossible mix', async (t) => {
  const long = buildPool(samples, 'x', { minLength: 36 });
  t.ok([...long.spam, ...long.ham].every((s) => s.text.length >= 36));
  t.match(long.origin, /of 100/);
  t.throws(() => buildPool(samples, 'x', { minLength: 10_000 }), MessageSourceError);
  const hamOnly = buildPool(samples.filter((s) => s.label === 'ham'), 'ham only');
  t.throws(() => createMix(hamOnly, { ...base, spamRatio: 0.5 }, createRng(1)), MixError);
  t.doesNotThrow(() => createMix(hamOnly, { ...base, spamRatio: 0 }, createRng(1)));
});
