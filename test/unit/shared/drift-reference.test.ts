/** The drift reference's validation (shared/drift-reference.ts): the card shape in, malformed ones out. */
import t from 'tap';
import { MAX_REFERENCE_BINS, readDriftReference, selectReference } from '../../../shared/drift-reference.js';
import { reference, uniform } from '../../helpers/drift-reference.js';


t.test('readDriftReference accepts the card shape and refuses malformed ones', async (t) => {
  t.same(readDriftReference(reference()), reference());
  const withExtra = { ...reference(), extra: 'x', textLength: { ...uniform([0, 1]), note: 'y' } };
  t.same(Object.keys(readDriftReference(withExtra)!).sort(), ['classMix', 'knownTermRatio', 'spamProbability', 'textLength', 'texts'], 'extra fields dropped');
  const bad: [string, unknown][] = [
    ['not an object', 'x'],
    ['edges not increasing', { ...reference(), textLength: { edges: [0, 2, 1], proportions: [0.5, 0.5] } }],
    ['proportions of the wrong length', { ...reference(), textLength: { edges: [0, 1, 2], proportions: [1] } }],
    ['proportions not summing to 1', { ...reference(), textLength: { edges: [0, 1, 2], proportions: [0.5, 0.4] } }],
    ['a negative proportion', { ...reference(), textLength: { edges: [0, 1, 2], proportions: [1.5, -0.5] } }],
    ['a non-finite edge', { ...reference(), textLength: { edges: [0, 1, null], proportions: [0.5, 0.5] } }],
    ['too many bins', { ...reference(), textLength: uniform(Array.from({ length: MAX_REFERENCE_BINS + 2 }, (_, i) => i)) }],
    ['no class mix', { ...reference(), classMix: undefined }],
    ['a missing signal', { ...reference(), knownTermRatio: undefined }],
  ];
  for (const [why, x] of bad) t.equal(readDriftReference(x), undefined, why);
});


t.test('byKind: well-formed kinds kept, malformed or unknown ones left out; selectReference falls back to all', async (t) => {
  const sms = { ...reference(), texts: 10, textLength: uniform([0, 20, 40]) };
  const card = { ...reference(), byKind: { sms, email: { ...reference(), texts: 'x' }, chat: reference() } };
  const read = readDriftReference(card)!;
  t.same(Object.keys(read.byKind!), ['sms'], 'the malformed email part and the unknown chat part dropped');
  t.same(read.byKind!.sms, sms);
  t.notOk('byKind' in readDriftReference({ ...reference(), byKind: { email: null } })!, 'no valid kind: no byKind');
  t.notOk('byKind' in readDriftReference({ ...reference(), byKind: 'sms' })!, 'byKind not an object: ignored');
  t.notOk('byKind' in readDriftReference({ ...reference(), byKind: { sms: { ...sms, byKind: { sms } } } })!.byKind!.sms!, 'no nesting');
  t.equal(readDriftReference({ ...reference(), textLength: undefined, byKind: { sms } }), undefined, 'a malformed whole reference is refused, parts or not');
  t.same(selectReference(read, 'sms'), { distributions: sms, used: 'sms' });
  t.same(selectReference(read, 'all'), { distributions: read, used: 'all' });
  t.same(selectReference(read, 'email'), { distributions: read, used: 'all' }, 'missing kind: the whole reference');
  t.same(selectReference(reference(), 'user'), { distributions: reference(), used: 'all' }, 'an older card without byKind');
});
