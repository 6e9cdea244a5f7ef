/**
 * The most recent `capacity` observations of one signal, kept as bin indices in a ring buffer
 * with a count per bin updated on every push: O(1) per text, memory `capacity` bytes x 2 plus
 * the counts, whatever the traffic. The counts are exactly the histogram PSI needs.
 */
export class BinnedWindow {
  private readonly ring: Uint16Array;
  readonly counts: Uint32Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly capacity: number,
    bins: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(bins) || bins < 1 || bins > 0xffff) throw new RangeError(`bins must be 1..65535, got ${bins}`);
    this.ring = new Uint16Array(capacity);
    this.counts = new Uint32Array(bins);
  }

  /** Observations in the window: grows to `capacity`, then stays there. */
  get size(): number {
    return this.filled;
  }

  push(bin: number): void {
    if (this.filled === this.capacity) this.counts[this.ring[this.next]!]!--;
    else this.filled++;
    this.ring[this.next] = bin;
    this.counts[bin]!++;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }
}
