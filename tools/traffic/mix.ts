/**
 * The request mix: turns the seeded generator and the message pool into the next request to
 * send. All choices for a request (valid or malformed, which texts, which get feedback) are
 * made here, in send order, so one seed always yields the same sequence whatever the timing.
 */
import type { Label } from '../../shared/model-io.js';
import type { LabelledText, MessagePool } from './messages.js';
import type { Rng } from './rng.js';

/**
 * Malformed requests the generator can send, each a mistake real clients make. All but
 * unknown_route hit POST /predict and so count as failed prediction requests in
 * spam_detector_errors_total (what the HighErrorRate alert watches); unknown_route is answered
 * 404 on an unmatched route and does not.
 */
export const MALFORMED_KINDS = ['bad_json', 'missing_text', 'empty_text', 'wrong_type', 'unknown_route'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** The kinds that count against the prediction error rate. */
export const PREDICTION_ERROR_KINDS: readonly MalformedKind[] = ['bad_json', 'missing_text', 'empty_text', 'wrong_type'];

export function isMalformedKind(value: string): value is MalformedKind {
  return (MALFORMED_KINDS as readonly string[]).includes(value);
}

export interface PredictSpec {
  readonly kind: 'predict';
  readonly path: '/predict';
  readonly body: string;
  /** Whether the body used the batch form {"texts": [...]}. */
  readonly batch: boolean;
  /** True label of each text, in order. */
  readonly labels: readonly Label[];
  /** Whether to send the true label to /feedback for each prediction, in order. */
  readonly feedback: readonly boolean[];
}

export interface MalformedSpec {
  readonly kind: MalformedKind;
  readonly path: string;
  readonly body: string;
}

export type RequestSpec = PredictSpec | MalformedSpec;

export interface MixOptions {
  /** Share (0..1) of requests that are malformed. */
  errorRatio: number;
  /** Malformed kinds to draw from, uniformly. */
  errorKinds: readonly MalformedKind[];
  /** Share (0..1) of spam texts; undefined keeps the pool's own mix. */
  spamRatio?: number | undefined;
  /** Texts per request: 1 sends {"text"}, more sends {"texts": [...]}. */
  batchSize: number;
  /** Share (0..1) of predictions whose true label is sent to /feedback. */
  feedbackRatio: number;
}

export class MixError extends Error {
  override name = 'MixError';
}

export function createMix(pool: MessagePool, options: MixOptions, rng: Rng): () => RequestSpec {
  const all: readonly LabelledText[] = [...pool.spam, ...pool.ham];
  if (options.spamRatio !== undefined) {
    if (options.spamRatio > 0 && pool.spam.length === 0) throw new MixError(`spam ratio ${options.spamRatio} but ${pool.origin} holds no spam`);
    if (options.spamRatio < 1 && pool.ham.length === 0) throw new MixError(`spam ratio ${options.spamRatio} but ${pool.origin} holds no ham`);
  }
  if (options.errorRatio > 0 && options.errorKinds.length === 0) throw new MixError('an error ratio above 0 needs at least one error kind');

  const sample = (): LabelledText => {
    if (options.spamRatio === undefined) return rng.pick(all);
    return rng.chance(options.spamRatio) ? rng.pick(pool.spam) : rng.pick(pool.ham);
  };

  return () => {
    if (rng.chance(options.errorRatio)) return malformed(rng.pick(options.errorKinds), sample().text);
    const texts: LabelledText[] = [];
    const feedback: boolean[] = [];
    for (let i = 0; i < options.batchSize; i++) {
      texts.push(sample());
      feedback.push(rng.chance(options.feedbackRatio));
    }
    const batch = options.batchSize > 1;
    const body = batch ? JSON.stringify({ texts: texts.map((t) => t.text) }) : JSON.stringify({ text: texts[0]?.text });
    return { kind: 'predict', path: '/predict', body, batch, labels: texts.map((t) => t.label), feedback };
  };
}

/** A malformed request built around a real text, so its size looks like real traffic. */
export function malformed(kind: MalformedKind, text: string): MalformedSpec {
  switch (kind) {
    case 'bad_json': {
      // A body cut short, as a client that dies mid-write or builds JSON by hand would send.
      const full = JSON.stringify({ text });
      return { kind, path: '/predict', body: full.slice(0, Math.max(1, full.length - 2)) };
    }
    case 'missing_text':
      // The field under a wrong name: valid JSON, no "text" nor "texts".
      return { kind, path: '/predict', body: JSON.stringify({ message: text }) };
    case 'empty_text':
      return { kind, path: '/predict', body: JSON.stringify({ text: '' }) };
    case 'wrong_type':
      return { kind, path: '/predict', body: JSON.stringify({ text: text.length }) };
    case 'unknown_route':
      return { kind, path: '/predictions', body: JSON.stringify({ text }) };
  }
}
