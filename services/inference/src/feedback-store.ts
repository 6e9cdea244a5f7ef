/**
 * Recent predictions that may still receive delayed ground truth (POST /feedback): the worker's
 * last `maxEntries` predictions, each kept for `ttlMs` of age. Expired entries are kept until a
 * newer prediction takes their slot, so a late answer for a prediction we still remember gets
 * "expired" (410) rather than "unknown" (404).
 *
 * Memory: a ring of typed arrays indexed by the prediction's counter (`keyOf`, from the id
 * source; counters are issued in sequence, so counter % maxEntries is the slot the prediction
 * maxEntries earlier had). Allocated once, outside the JS heap, and nothing is allocated per
 * prediction: at thousands of predictions a second an entry would otherwise outlive the young
 * generation and be promoted. The lru-cache this replaced held a Map entry and four array slots
 * per prediction, about 10 MB of live heap at the default 100,000, and cost 6% of a batch of 64's
 * profile (docs/benchmarks.md#memory).
 */
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
   * The prediction's counter (a positive integer, issued in sequence by the id source), or
   * undefined for an id this worker did not issue.
   */
  keyOf: (id: string) => number | undefined;
  /** Clock in milliseconds, for tests; performance.now by default. */
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
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly keyOf: (id: string) => number | undefined;
  private readonly now: () => number;
  /** Per slot: the counter held there (0: empty), its packed labels, when it was recorded. */
  private readonly keys: Float64Array;
  private readonly packed: Uint32Array;
  private readonly recordedAt: Float64Array;
  private count = 0;

  constructor(opts: FeedbackStoreOptions) {
    if (!(Number.isInteger(opts.maxEntries) && opts.maxEntries >= 1)) throw new RangeError(`maxEntries must be a positive integer, got ${opts.maxEntries}`);
    this.capacity = opts.maxEntries;
    this.ttlMs = opts.ttlMs;
    this.keyOf = opts.keyOf;
    this.now = opts.now ?? (() => performance.now());
    this.keys = new Float64Array(this.capacity);
    this.packed = new Uint32Array(this.capacity);
    this.recordedAt = new Float64Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The slot holding `id`'s prediction, or -1 if it is not (or no longer) remembered. */
  private slotOf(id: string): number {
    const key = this.keyOf(id);
    if (key === undefined) return -1;
    const slot = key % this.capacity;
    return this.keys[slot] === key ? slot : -1;
  }

  /** `serial`: the predicting model's (12 bits, model-holder.ts). An id this worker did not issue is ignored. */
  record(id: string, predicted: Label, captured = false, serial = 0): void {
    const key = this.keyOf(id);
    if (key === undefined) return;
    const slot = key % this.capacity;
    if (this.keys[slot] === 0) this.count++;
    this.keys[slot] = key;
    this.packed[slot] = labelBit(predicted) | (captured ? CAPTURED : 0) | ((serial & SERIAL_BITS) << SERIAL_SHIFT);
    this.recordedAt[slot] = this.now();
  }

  /** The shadow model's label for a prediction still remembered (no effect otherwise). */
  recordShadow(id: string, label: Label, serial: number): void {
    const slot = this.slotOf(id);
    if (slot < 0) return;
    const cleared = this.packed[slot]! & ~((3 << SHADOW_SHIFT) | (SERIAL_BITS << SHADOW_SERIAL_SHIFT));
    this.packed[slot] = cleared | ((labelBit(label) + 1) << SHADOW_SHIFT) | ((serial & SERIAL_BITS) << SHADOW_SERIAL_SHIFT);
  }

  resolve(id: string, actual: Label): FeedbackLookup {
    const slot = this.slotOf(id);
    if (slot < 0) return { status: 'unknown' };
    // The age counts from the prediction, not from its feedback.
    if (this.now() - this.recordedAt[slot]! > this.ttlMs) return { status: 'expired' };
    const packed = this.packed[slot]!;
    const predicted = predictedOf(packed);
    const previous = actualOf(packed);
    if (previous !== undefined) return { status: 'duplicate', predicted, actual: previous };
    this.packed[slot] = packed | ((labelBit(actual) + 1) << ACTUAL_SHIFT);
    const captured = (packed & CAPTURED) !== 0;
    const shadow = (packed >> SHADOW_SHIFT) & 3;
    const serial = (packed >> SERIAL_SHIFT) & SERIAL_BITS;
    // Serial 0: recorded without one (model serials start at 1).
    const base = serial === 0 ? { status: 'accepted' as const, predicted, captured } : { status: 'accepted' as const, predicted, captured, serial };
    if (shadow === 0) return base;
    return { ...base, shadowPredicted: shadow === 2 ? 'spam' : 'ham', shadowSerial: (packed >> SHADOW_SERIAL_SHIFT) & SERIAL_BITS };
  }
}
