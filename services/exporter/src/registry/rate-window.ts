/**
 * Requests and errors of the last 60 s, for the two windowed gauges of the Python predecessor
 * (request_rate_per_minute, error_rate_percent). Prometheus users should use rate() on the
 * counters instead; these exist so the predecessor's dashboards keep working.
 *
 * Sixty one-second slots; the clock is passed in (once per received chunk and at scrape), so
 * the hot path costs two array increments and no timer runs.
 */
const SLOTS = 60;

export class RateWindow {
  private readonly requests = new Float64Array(SLOTS);
  private readonly errors = new Float64Array(SLOTS);
  private second = 0;
  private slot = 0;

  constructor(nowMs: number = Date.now()) {
    this.second = Math.floor(nowMs / 1000);
  }

  /** Moves the window to `nowMs`, clearing the slots of the seconds that passed. */
  advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second <= this.second) return;
    const steps = Math.min(second - this.second, SLOTS);
    for (let i = 0; i < steps; i++) {
      this.slot = (this.slot + 1) % SLOTS;
      this.requests[this.slot] = 0;
      this.errors[this.slot] = 0;
    }
    this.second = second;
  }

  add(failed: boolean): void {
    this.requests[this.slot]! += 1;
    if (failed) this.errors[this.slot]! += 1;
  }

  /** Requests in the last 60 s (the current second included). */
  requestCount(): number {
    let n = 0;
    for (const v of this.requests) n += v;
    return n;
  }

  /** Failed share of the last 60 s in percent, 0 when there were no requests. */
  errorPercent(): number {
    const total = this.requestCount();
    if (total === 0) return 0;
    let failed = 0;
    for (const v of this.errors) failed += v;
    return (100 * failed) / total;
  }
}
