/**
 * Recent predictions that may still receive delayed ground truth (POST /feedback). Bounded in
 * entries (LRU) and in age (TTL). Expired entries are kept until evicted, so a late answer for a
 * prediction we still remember gets "expired" (410) rather than "unknown" (404).
 */
import { LRUCache } from 'lru-cache';
import type { Label } from '../../../shared/model-io.js';

interface Entry {
  predicted: Label;
  actual: Label | undefined;
}

export type FeedbackLookup =
  | { status: 'accepted'; predicted: Label }
  | { status: 'unknown' }
  | { status: 'expired' }
  | { status: 'duplicate'; predicted: Label; actual: Label };

export interface FeedbackStoreOptions {
  maxEntries: number;
  ttlMs: number;
  /** Clock for tests; lru-cache's default is performance.now. */
  now?: () => number;
}

export class FeedbackStore {
  private readonly cache: LRUCache<string, Entry>;

  constructor(opts: FeedbackStoreOptions) {
    this.cache = new LRUCache<string, Entry>({
      max: opts.maxEntries,
      ttl: opts.ttlMs,
      allowStale: true,
      noDeleteOnStaleGet: true,
      ...(opts.now ? { perf: { now: opts.now } } : {}),
    });
  }

  get size(): number {
    return this.cache.size;
  }

  record(id: string, predicted: Label): void {
    this.cache.set(id, { predicted, actual: undefined });
  }

  resolve(id: string, actual: Label): FeedbackLookup {
    const status: LRUCache.Status<string, Entry> = {};
    const entry = this.cache.get(id, { status });
    if (entry === undefined) return { status: 'unknown' };
    if (status.get === 'stale') return { status: 'expired' };
    if (entry.actual !== undefined) return { status: 'duplicate', predicted: entry.predicted, actual: entry.actual };
    entry.actual = actual;
    return { status: 'accepted', predicted: entry.predicted };
  }
}
