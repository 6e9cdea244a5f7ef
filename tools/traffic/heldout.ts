/**
 * The held-out messages of the model being driven: the test split of its training corpus,
 * reproduced from its model card (split seed and fraction) with the training pipeline's own
 * loader and split, so no text the model was trained on is ever sent and every label is known.
 * The card is read from the target's GET /model when it serves one (the model actually
 * running), else from the bundled models/spam-classifier.card.json.
 */
import { readFile } from 'node:fs/promises';
import type { ModelCard } from '../../shared/model-card.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { heldOutSpamAssassin, loadUserData, SPAM_ASSASSIN_SOURCE } from '../../training/src/corpus.js';
import { stripHeaders } from '../../training/src/text.js';
import { MessageSourceError, type LabelledText } from './messages.js';
import { Target } from './runner.js';

export const BUNDLED_CARD_PATH = BUNDLED_MODEL_PATH.replace(/\.onnx$/i, '') + '.card.json';

export type CardOrigin = 'target' | 'bundled';

type SplitCard = Pick<ModelCard, 'version' | 'corpus' | 'split'> & Partial<Pick<ModelCard, 'metrics'>>;

function asCard(value: unknown): SplitCard | undefined {
  const v = value as Partial<ModelCard> & { card?: unknown } | null | undefined;
  if (v === null || typeof v !== 'object') return undefined;
  if (v.card !== undefined && v.split === undefined) return asCard(v.card);
  const ok =
    typeof v.version === 'string' &&
    typeof v.corpus?.source === 'string' &&
    typeof v.split?.seed === 'number' &&
    typeof v.split?.testFraction === 'number';
  return ok ? (v as SplitCard) : undefined;
}

/** What the target says it accepts (GET /model's request_limits), when it says. */
export interface RequestLimits {
  maxTextChars?: number | undefined;
  maxBatchSize?: number | undefined;
  bodyLimitBytes?: number | undefined;
}

function limitsOf(json: unknown): RequestLimits {
  const l = (json as { request_limits?: Record<string, unknown> } | null)?.request_limits;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  return l === undefined || l === null ? {} : { maxTextChars: num(l.max_text_chars), maxBatchSize: num(l.max_batch_size), bodyLimitBytes: num(l.body_limit_bytes) };
}

/** GET /model of the target: the card of the model it serves and its request limits, if any. */
async function askTarget(url: string, timeoutMs: number): Promise<{ card: SplitCard | undefined; limits: RequestLimits }> {
  const target = new Target(url, 1, timeoutMs);
  try {
    const answer = await target.send('GET', '/model');
    if (answer.status !== 200) return { card: undefined, limits: {} };
    return { card: asCard(answer.json), limits: limitsOf(answer.json) };
  } finally {
    await target.close();
  }
}

/** The card of the model the target serves, or the bundled one when the target has none to give. */
export async function findCard(url: string, timeoutMs: number): Promise<{ card: SplitCard; origin: CardOrigin; limits: RequestLimits }> {
  const served = await askTarget(url, timeoutMs);
  if (served.card) return { card: served.card, origin: 'target', limits: served.limits };
  let text: string;
  try {
    text = await readFile(BUNDLED_CARD_PATH, 'utf8');
  } catch (err) {
    throw new MessageSourceError(
      `the target serves no model card and ${BUNDLED_CARD_PATH} cannot be read (${(err as Error).message}); run npm run train or pass --messages`,
    );
  }
  const card = asCard(JSON.parse(text));
  if (!card) throw new MessageSourceError(`${BUNDLED_CARD_PATH} is not a model card with a split`);
  return { card, origin: 'bundled', limits: served.limits };
}

export type HeaderHandling = 'raw' | 'strip';

function applyHeaders(samples: readonly { text: string; label: LabelledText['label'] }[], headers: HeaderHandling): LabelledText[] {
  return samples.map((s) => ({ text: headers === 'strip' ? stripHeaders(s.text) : s.text, label: s.label }));
}

export interface HeldOut {
  samples: LabelledText[];
  origin: string;
  /** The card's accuracy on the same split (raw or header-less to match), to compare with. */
  cardAccuracy: number | undefined;
  limits: RequestLimits;
}

export async function loadHeldOut(url: string, timeoutMs: number, headers: HeaderHandling): Promise<HeldOut> {
  const { card, origin, limits } = await findCard(url, timeoutMs);
  let samples;
  try {
    samples = heldOutSpamAssassin(card);
  } catch (err) {
    throw new MessageSourceError(`${(err as Error).message}; pass --messages with labelled held-out texts instead`);
  }
  // A different corpus package version would give a different split, and texts the model was
  // trained on would be counted as held out: refuse rather than report a flattering accuracy.
  const expected = card.split.testBySource?.[SPAM_ASSASSIN_SOURCE];
  if (typeof expected === 'number' && samples.length !== expected) {
    throw new MessageSourceError(
      `the card says ${expected} held-out SpamAssassin messages but the split gives ${samples.length}: the corpus differs from the one the model was trained on; pass --messages instead`,
    );
  }
  // The replay is SpamAssassin only: compare with the card's email domains, not the whole split.
  const metrics = headers === 'strip' ? card.metrics?.domains?.headerlessEmail : card.metrics?.domains?.rawEmail;
  return {
    samples: applyHeaders(samples, headers),
    origin:
      `held-out test split of ${SPAM_ASSASSIN_SOURCE.replace(/^npm:/, '')} (seed ${card.split.seed}, ` +
      `${Math.round(card.split.testFraction * 100)}%) of model ${card.version}, card from ${origin === 'target' ? 'the target' : 'models/'}` +
      (headers === 'strip' ? ', headers stripped' : ''),
    cardAccuracy: metrics?.accuracy,
    limits,
  };
}

/** An operator's labelled file (CSV or JSON Lines), read with the training pipeline's loader. */
export async function loadFile(path: string, headers: HeaderHandling, url: string, timeoutMs: number): Promise<HeldOut> {
  const { limits } = await askTarget(url, timeoutMs);
  try {
    const corpus = await loadUserData(path);
    return { samples: applyHeaders(corpus.examples, headers), origin: path, cardAccuracy: undefined, limits };
  } catch (err) {
    throw new MessageSourceError((err as Error).message);
  }
}
