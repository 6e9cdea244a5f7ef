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
import { heldOutSpamAssassin, loadUserData } from '../../training/src/corpus.js';
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

/** The card of the model the target serves, or the bundled one when the target has none to give. */
export async function findCard(url: string, timeoutMs: number): Promise<{ card: SplitCard; origin: CardOrigin }> {
  const target = new Target(url, 1, timeoutMs);
  try {
    const answer = await target.send('GET', '/model');
    const card = answer.status === 200 ? asCard(answer.json) : undefined;
    if (card) return { card, origin: 'target' };
  } finally {
    await target.close();
  }
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
  return { card, origin: 'bundled' };
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
}

export async function loadHeldOut(url: string, timeoutMs: number, headers: HeaderHandling): Promise<HeldOut> {
  const { card, origin } = await findCard(url, timeoutMs);
  let samples;
  try {
    samples = heldOutSpamAssassin(card);
  } catch (err) {
    throw new MessageSourceError(`${(err as Error).message}; pass --messages with labelled held-out texts instead`);
  }
  // A different corpus package version would give a different split, and texts the model was
  // trained on would be counted as held out: refuse rather than report a flattering accuracy.
  if (typeof card.split.testMessages === 'number' && samples.length !== card.split.testMessages) {
    throw new MessageSourceError(
      `the card says ${card.split.testMessages} held-out messages but the split gives ${samples.length}: the corpus differs from the one the model was trained on; pass --messages instead`,
    );
  }
  const metrics = headers === 'strip' ? card.metrics?.testHeaderless : card.metrics?.test;
  return {
    samples: applyHeaders(samples, headers),
    origin:
      `held-out test split of ${card.corpus.source.replace(/^npm:/, '')} (seed ${card.split.seed}, ` +
      `${Math.round(card.split.testFraction * 100)}%) of model ${card.version}, card from ${origin === 'target' ? 'the target' : 'models/'}` +
      (headers === 'strip' ? ', headers stripped' : ''),
    cardAccuracy: metrics?.accuracy,
  };
}

/** An operator's labelled file (CSV or JSON Lines), read with the training pipeline's loader. */
export async function loadFile(path: string, headers: HeaderHandling): Promise<HeldOut> {
  try {
    const corpus = await loadUserData(path);
    return { samples: applyHeaders(corpus.examples, headers), origin: path, cardAccuracy: undefined };
  } catch (err) {
    throw new MessageSourceError((err as Error).message);
  }
}
