/**
 * Recent predictions that may still receive delayed ground truth (POST /feedback). Bounded in
 * entries (LRU) and in age (TTL). Expired entries are kept until evicted, so a late answer for a
 * prediction we still remember gets "expired" (410) rather than "unknown" (404).
 *
 * Memory: at the default 100,000 entries this is the largest live structure of a worker, and at
 * thousands of predictions a second every entry outlives the young generation, so whatever an
 * entry allocates is promoted and later collected from the old generation. An entry is therefore
 * two small integers: the key is the prediction's counter (`keyOf`, from the id source) and the
 * value packs the predicted and the actual label. With a string id and an object per entry the
 * store was the largest part of a worker's live heap and the old generation grew with it under
 * load (docs/benchmarks.md#memory).
 */
import { LRUCache } from 'lru-cache';
import type { Label } from '../../../shared/model-io.js';

export type FeedbackLookup =
  | {
      status: 'accepted';
      predicted: Label;
      /** The prediction's text was captured (CAPTURE_DIR). */
      captured: boolean;
      /** Serial of the model that predicted (model-holder.ts), 12 bits. */
      serial?: number;
      /** The shadow model's label for the same id and its serial, when it scored it. */
      shadowPredicted?: Label;
      shadowSerial?: number;
      /** The versions those serials name, filled in by the worker that owns the store. */
      modelVersion?: string;
      shadowVersion?: string;
    }
  | { status: 'unknown' }
  | { status: 'expired' }
  | { status: 'duplicate'; predicted: Label; actual: Label };

export interface FeedbackStoreOptions {
  maxEntries: number;
  ttlMs: number;
  /**
   * A number that identifies `id` among the ids this store is given (the id source's counter),
   * or undefined; ids without one are kept as strings.
   */
  keyOf?: (id: string) => number | undefined;
  /** Clock for tests; lru-cache's default is performance.now. */
  now?: () => number;
}

/**
 * Bit 0: predicted (0 ham, 1 spam); bits 1-2: actual (0 none, 1 ham, 2 spam); bit 3: captured;
 * bits 4-5: the shadow's label (0 none, 1 ham, 2 spam); bits 6-17: serial of the predicting model;
 * bits 18-29: serial of the shadow model. Still one small integer (30 bits) per entry.
 */
const PREDICTED_SPAM = 1;
const ACTUAL_SHIFT = 1;
const CAPTURED = 8;
const SHADOW_SHIFT = 4;
const SERIAL_SHIFT = 6;
const SHADOW_SERIAL_SHIFT = 18;
const SERIAL_BITS = 0xfff;

const labelBit = (label: Label): number => (label === 'spam' ? 1 : 0);
const predictedOf = (packed: number): Label => (packed & PREDICTED_SPAM ? 'spam' : 'ham');
const actualOf = (packed: number): Label | undefined => {
  const a = (packed >> ACTUAL_SHIFT) & 3;
  return a === 0 ? undefined : a === 2 ? 'spam' : 'ham';
};

export class FeedbackStore {
  private readonly cache: LRUCache<number | string, number>;
  private readonly keyOf: (id: string) => number | string;

  constructor(opts: FeedbackStoreOptions) {
    this.cache = new LRUCache<number | string, number>({
      max: opts.maxEntries,
      ttl: opts.ttlMs,
      allowStale: true,
      noDeleteOnStaleGet: true,
      ...(opts.now ? { perf: { now: opts.now } } : {}),
    });
    const keyOf = opts.keyOf;
    this.keyOf = keyOf ? (id) => keyOf(id) ?? id : (id) => id;
  }

  get size(): number {
    return this.cache.size;
  }

  /** `serial`: the predicting model's (12 bits, model-holder.ts). */
  record(id: string, predicted: Label, captured = false, serial = 0): void {
    this.cache.set(this.keyOf(id), labelBit(predicted) | (captured ? CAPTURED : 0) | ((serial & SERIAL_BITS) << SERIAL_SHIFT));
  }

  /** The shadow model's label for a prediction still remembered (no effect otherwise). */
  recordShadow(id: string, label: Label, serial: number): void {
    const key = this.keyOf(id);
    const packed = this.cache.peek(key, { allowStale: true });
    if (packed === undefined) return;
    const cleared = packed & ~((3 << SHADOW_SHIFT) | (SERIAL_BITS << SHADOW_SERIAL_SHIFT));
    this.cache.set(key, cleared | ((labelBit(label) + 1) << SHADOW_SHIFT) | ((serial & SERIAL_BITS) << SHADOW_SERIAL_SHIFT), { noUpdateTTL: true });
  }

  resolve(id: string, actual: Label): FeedbackLookup {
    const key = this.keyOf(id);
    const status: LRUCache.Status<number | string, number> = {};
    const packed = this.cache.get(key, { status });
    if (packed === undefined) return { status: 'unknown' };
    if (status.get === 'stale') return { status: 'expired' };
    const predicted = predictedOf(packed);
    const previous = actualOf(packed);
    if (previous !== undefined) return { status: 'duplicate', predicted, actual: previous };
    // get() has already made it the most recent entry; noUpdateTTL keeps its age (the TTL still
    // counts from the prediction, not from its feedback).
    this.cache.set(key, packed | ((labelBit(actual) + 1) << ACTUAL_SHIFT), { noUpdateTTL: true });
    const captured = (packed & CAPTURED) !== 0;
    const shadow = (packed >> SHADOW_SHIFT) & 3;
    const serial = (packed >> SERIAL_SHIFT) & SERIAL_BITS;
    // Serial 0: recorded without one (model serials start at 1).
    const base = serial === 0 ? { status: 'accepted' as const, predicted, captured } : { status: 'accepted' as const, predicted, captured, serial };
    if (shadow === 0) return base;
    return { ...base, shadowPredicted: shadow === 2 ? 'spam' : 'ham', shadowSerial: (packed >> SHADOW_SERIAL_SHIFT) & SERIAL_BITS };
  }
}
