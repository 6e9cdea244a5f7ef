/**
 * The model card's drift reference (training/src/reference.ts): over all training texts, and per
 * kind of message (`byKind`, same edges) only when the training data has more than one kind.
 */
import t from 'tap';
import { driftReference, REFERENCE_KIND, type ReferenceText } from '../../../training/src/reference.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../../../training/src/train.js';
import type { Corpus, Example, TextKind } from '../../../training/src/corpus.js';
import { syntheticSms } from '../../helpers/synthetic-sms.js';

const text = (kind: TextKind, length: number, label: 'spam' | 'ham', known: number, p: number): ReferenceText => ({
  text: 'x'.repeat(length),
  label,
  kind,
  knownTermRatio: known,
  spamProbability: p,
});

t.test('byKind: the same histograms and class mix over each kind\'s texts', async (t) => {
  const texts = [
    text('email', 3000, 'spam', 0.95, 0.9),
    text('email', 700, 'ham', 0.85, 0.1),
    text('email', 500, 'ham', 0.85, 0.1),
    text('sms', 10, 'spam', 0.15, 0.95),
    text('sms', 30, 'ham', 0.55, 0.05),
  ];
  const ref = driftReference(texts, 4000);
  t.equal(ref.texts, 5);
  t.same(ref.classMix, { spam: 0.4, ham: 0.6 }, 'all texts: 2 spam of 5');
  t.same(ref.textLength.proportions, [0.2, 0.2, 0, 0, 0, 0.2, 0.2, 0, 0.2], 'lengths 10, 30, 500, 700, 3000');
  t.ok(ref.byKind, 'two kinds: byKind present');
  t.same(Object.keys(ref.byKind!), ['email', 'sms'], 'only the kinds present, in a fixed order');
  const email = ref.byKind!.email!;
  const sms = ref.byKind!.sms!;
  t.equal(email.texts, 3);
  t.same(email.classMix, { spam: 0.333333, ham: 0.666667 });
  t.same(email.textLength.edges, ref.textLength.edges, 'same edges as the whole reference');
  t.same(email.textLength.proportions, [0, 0, 0, 0, 0, 0.333333, 0.333333, 0, 0.333333]);
  t.same(email.knownTermRatio.proportions, [0, 0, 0, 0, 0, 0, 0, 0, 0.666667, 0.333333]);
  t.equal(sms.texts, 2);
  t.same(sms.classMix, { spam: 0.5, ham: 0.5 });
  t.same(sms.textLength.proportions, [0.5, 0.5, 0, 0, 0, 0, 0, 0, 0], 'only the SMS lengths');
  t.same(sms.spamProbability.proportions, [0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0.5]);
  t.same(sms.knownTermRatio.edges, ref.knownTermRatio.edges);

  const one = driftReference(texts.filter((x) => x.kind === 'sms'), 4000);
  t.notOk('byKind' in one, 'one kind: no byKind (it would repeat the whole reference)');
  t.same(one.textLength.proportions, sms.textLength.proportions, 'and the whole reference is that kind\'s');
  t.equal(REFERENCE_KIND.text, 'user', 'a --data file\'s texts are the "user" kind');
  const user = driftReference([text('text', 10, 'ham', 0.5, 0.1), text('sms', 10, 'spam', 0.5, 0.9)], 4000);
  t.same(Object.keys(user.byKind!), ['sms', 'user']);
});

t.test('train(): byKind over the training texts of each corpus kind, absent with one kind', async (t) => {
  const rows = syntheticSms(240, 11);
  const example = (kind: TextKind, i: number, r: { text: string; label: string }): Example => ({
    id: `${kind}${i}`,
    text: kind === 'email' ? `From: a${i}@example.com\nSubject: note ${i}\n\n${r.text}\n\n${r.text} ${r.text}` : r.text,
    label: r.label === '0' ? 'ham' : 'spam',
    source: `test:${kind}`,
    kind,
  });
  const corpus = (kind: TextKind, from: number, to: number): Corpus => ({
    name: kind,
    source: `test:${kind}`,
    examples: rows.slice(from, to).map((r, i) => example(kind, i, r)),
  });
  const opts = { ...DEFAULT_TRAIN_OPTIONS, c: [10], lambda: [0], shortExcerptChars: 0 };
  const mixed = train([corpus('email', 0, 120), corpus('sms', 120, 240)], opts);
  const ref = mixed.card.reference;
  t.ok(ref.byKind?.email && ref.byKind.sms, 'email and sms parts');
  t.notOk(ref.byKind?.user, 'no user part without --data texts');
  const { email, sms } = ref.byKind as Required<NonNullable<typeof ref.byKind>>;
  t.equal(email.texts + sms.texts, ref.texts, 'the parts partition the training texts');
  // raw-and-body: every training email gives two texts (raw and body), every SMS one.
  t.equal(email.texts % 2, 0, 'two texts per training email');
  t.equal(email.texts / 2 + sms.texts, mixed.card.split.trainMessages, 'and one per training SMS');
  const spamShare = (p: { texts: number; classMix: { spam: number } }) => p.classMix.spam * p.texts;
  t.ok(Math.abs(spamShare(email) + spamShare(sms) - spamShare(ref)) < 1e-3, 'class mix: the parts add up to the whole');
  // Every SMS body is at most a few dozen characters; every email (headers, body twice) is longer.
  const shortBins = (h: { proportions: number[] }) => h.proportions.slice(0, 3).reduce((a, b) => a + b, 0);
  t.ok(shortBins(sms.textLength) > 0.9, `SMS: ${shortBins(sms.textLength)} of texts under 80 characters`);
  t.ok(shortBins(email.textLength) < shortBins(ref.textLength), 'emails: fewer short texts than the whole');
  for (const part of [email, sms]) {
    for (const h of [part.textLength, part.knownTermRatio, part.spamProbability]) {
      t.ok(Math.abs(h.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'proportions sum to 1');
    }
  }
  const single = train([corpus('sms', 0, 240)], opts);
  t.notOk('byKind' in single.card.reference, 'one kind of training text: no byKind');
});
