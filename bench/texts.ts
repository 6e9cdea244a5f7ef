/**
 * Request bodies of the bench, cut from held-out SpamAssassin messages of the bundled model (the
 * same split the traffic generator uses), so token counts and vocabulary hits are realistic and
 * identical from run to run.
 */
import { readFileSync } from 'node:fs';
import type { ModelCard } from '../shared/model-card.js';
import { BUNDLED_MODEL_PATH } from '../shared/paths.js';
import { heldOutSpamAssassin } from '../training/src/corpus.js';
import { stripHeaders } from '../training/src/text.js';

/** Characters of the single text of the /predict runs (the condition: 205). */
export const SINGLE_TEXT_CHARS = 205;

export interface BenchTexts {
  /** SINGLE_TEXT_CHARS characters of one held-out message body. */
  single: string;
  /** A whole raw message (headers and body) cut to 5 KiB. */
  email5k: string;
  /** 64 short texts (60-140 chars) for the batch scenario. */
  short64: string[];
}

export function benchTexts(): BenchTexts {
  const card = JSON.parse(readFileSync(BUNDLED_MODEL_PATH.replace(/\.onnx$/, '.card.json'), 'utf8')) as ModelCard;
  const held = heldOutSpamAssassin(card);
  const bodies = held.map((e) => stripHeaders(e.text).replace(/\s+/g, ' ').trim()).filter((b) => b.length >= 400);
  const raw = held.find((e) => e.text.length >= 5120);
  if (bodies.length < 64 || !raw) throw new Error('held-out corpus too small for the bench texts');
  return {
    single: bodies[0]!.slice(0, SINGLE_TEXT_CHARS),
    email5k: raw.text.slice(0, 5120),
    short64: bodies.slice(0, 64).map((b, i) => b.slice(i % 7, (i % 7) + 60 + (i % 5) * 20)),
  };
}
