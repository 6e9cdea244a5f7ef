/**
 * The TypeScript twins of the graph's Unicode-dependent operators, over every code point:
 * StringNormalizer(LOWER, "C.UTF-8") against graphLower, and the graph's RE2 classes (word
 * characters for tokens, whitespace for the character window) against isWordCodePoint and
 * isSpaceCodePoint. A failure means Node, ICU or onnxruntime changed: rerun
 * `node dist/training/src/unicode-gen.js` and retrain.
 */
import t from 'tap';
import { graphLower, isSpaceCodePoint, isWordCodePoint, wordTokens } from '../../../../shared/model-text.js';
import { measureGraphUnicode } from '../../../../training/src/unicode-gen.js';

t.test('lowering and character classes match the graph on every code point', async (t) => {
  const { cps, lowered, word, space } = await measureGraphUnicode();
  t.equal(cps.length, 0x10ffff - 0x800, 'every code point but NUL and the surrogates');
  let lowerDiffs = 0, wordDiffs = 0, spaceDiffs = 0;
  const examples: string[] = [];
  cps.forEach((cp, i) => {
    const ch = String.fromCodePoint(cp);
    if (graphLower(ch) !== lowered[i]) {
      lowerDiffs++;
      if (examples.length < 5) examples.push(`lower U+${cp.toString(16)}`);
    }
    if (isWordCodePoint(cp) !== word[i]) {
      wordDiffs++;
      if (examples.length < 5) examples.push(`word U+${cp.toString(16)}`);
    }
    if (isSpaceCodePoint(cp) !== space[i]) spaceDiffs++;
  });
  t.equal(lowerDiffs, 0, `lowering: ${examples.join(', ')}`);
  t.equal(wordDiffs, 0, 'word characters');
  t.equal(spaceDiffs, 0, 'whitespace');
});

t.test('lowering is per code point, as glibc towlower', async (t) => {
  t.equal(graphLower('\u0130stanbul'), 'istanbul', 'dotted capital I lowers to one code point, i');
  t.equal(graphLower('\u03A3\u039F\u03A6\u0399\u0391\u03A3'), '\u03C3\u03BF\u03C6\u03B9\u03B1\u03C3', 'no final-sigma context rule');
  t.equal(graphLower('ÀÉÎÕÜ ÇA VA'), 'àéîõü ça va');
  t.equal(graphLower('ПРИВЕТ'), 'привет');
  t.equal(graphLower('\u212A'), 'k', 'Kelvin sign');
});

t.test('word tokens: letters, marks, digits and _ of any script, two or more', async (t) => {
  t.same(wordTokens(graphLower('Selamat! Anda memenangkan hadiah 10 juta, hubungi 0812xxxx')), ['selamat', 'anda', 'memenangkan', 'hadiah', '10', 'juta', 'hubungi', '0812xxxx']);
  t.same(wordTokens('cafe\u0301 na\u00efve a b'), ['cafe\u0301', 'na\u00efve'], 'combining marks stay in the word; one-letter words are dropped');
  t.same(wordTokens('привет мир'), ['привет', 'мир']);
  t.same(wordTokens('你好世界，恭喜'), ['你好世界', '恭喜'], 'CJK runs are tokens');
  t.same(wordTokens('free\u{1F4B0}money'), ['free', 'money'], 'emoji separate words');
});
