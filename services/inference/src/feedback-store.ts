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
 * store held ~15 MB more at 100k entries and the old generation grew by tens of MB under load
 * (docs/benchmarks.md, "Inference RSS").
 */
import { LRUCache } from 'lru-cache';
import type { Label } from '../../../shared/model-io.js';

export type FeedbackLookup =
  | { status: 'accepted'; predicted: Label; /** The prediction's text was captured (CAPTURE_DIR). */ captured: boolean }
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

/** Bit 0: predicted (0 ham, 1 spam); bits 1-2: actual (0 none, 1 ham, 2 spam); bit 3: captured. */
const PREDICTED_SPAM = 1;
const ACTUAL_SHIFT = 1;
const CAPTURED = 8;

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

  record(id: string, predicted: Label, captured = false): void {
    this.cache.set(this.keyOf(id), labelBit(predicted) | (captured ? CAPTURED : 0));
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
    return { status: 'accepted', predicted, captured: (packed & CAPTURED) !== 0 };
  }
}
