/** The drift reference's validation (shared/drift-reference.ts): the card shape in, malformed ones out. */
import t from 'tap';
import { MAX_REFERENCE_BINS, readDriftReference } from '../../../shared/drift-reference.js';
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

