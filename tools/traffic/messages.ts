/**
 * Where the generator's texts come from. Every valid request carries real messages whose true
 * label is known, so the summary can report live accuracy and /feedback can send ground truth.
 */
import type { Label } from '../../shared/model-io.js';

export interface LabelledText {
  readonly text: string;
  readonly label: Label;
}

export interface MessagePool {
  readonly spam: readonly LabelledText[];
  readonly ham: readonly LabelledText[];
  /** One line for the summary: where the texts come from. */
  readonly origin: string;
}

export class MessageSourceError extends Error {
  override name = 'MessageSourceError';
}

export interface PoolFilter {
  /** Keep only texts at least this many characters long (the latency demo wants the long ones). */
  minLength?: number;
  /** Drop texts longer than this (the service refuses them with TEXT_TOO_LONG). */
  maxLength?: number;
}

export function buildPool(samples: readonly LabelledText[], origin: string, filter: PoolFilter = {}): MessagePool {
  const min = filter.minLength ?? 0;
  const max = filter.maxLength ?? Number.POSITIVE_INFINITY;
  const kept = samples.filter((s) => s.text.length >= min && s.text.length <= max);
  if (kept.length === 0) {
    throw new MessageSourceError(
      `no message of ${origin} is between ${min} and ${max} characters long (${samples.length} before filtering)`,
    );
  }
  const filtered = kept.length < samples.length ? ` of ${samples.length}, ${min}..${Number.isFinite(max) ? max : '∞'} chars` : '';
  return {
    spam: kept.filter((s) => s.label === 'spam'),
    ham: kept.filter((s) => s.label === 'ham'),
    origin: `${origin} (${kept.length} messages${filtered})`,
  };
}
