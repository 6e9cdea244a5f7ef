/**
 * Adaptive concurrency for a latency target (--target-p99). How many connections it takes to
 * push the service's p99 over a threshold depends on the machine: the worker runs one model
 * call at a time on its event loop, so a request waits for every request that arrived with it
 * and its latency is about (connections x time per request). Rather than a fixed count that is
 * too weak on a fast machine and sheds load on a slow one, the runner measures the p99 of each
 * window and scales the active connections toward the target, backing off when the service
 * answers 503 (it sheds load once its event loop lags more than PRESSURE_MAX_EVENT_LOOP_DELAY_MS).
 */

export interface AdaptiveStep {
  /** Seconds since the run started. */
  atS: number;
  /** Active connections chosen for the next window. */
  concurrency: number;
  /** p99 of the window just ended (exact), null when nothing finished in it. */
  windowP99Ms: number | null;
  requests: number;
  /** 503 answers in the window (load shedding). */
  overloaded: number;
}

/** At most this factor up or down per window, so one noisy window cannot swing the load. */
const MAX_STEP = 2;
const BACKOFF = 0.7;

export class LatencyController {
  private current: number;
  private window: number[] = [];
  private overloaded = 0;
  readonly steps: AdaptiveStep[] = [];

  constructor(
    readonly targetMs: number,
    readonly max: number,
    initial = Math.min(4, max),
  ) {
    this.current = Math.max(1, Math.min(initial, max));
  }

  /** Connections that may send right now. */
  get active(): number {
    return this.current;
  }

  observe(latencyMs: number, status: number | undefined): void {
    this.window.push(latencyMs);
    if (status === 503) this.overloaded++;
  }

  /** Ends a window: adjusts the active connections and records why. */
  step(atS: number): AdaptiveStep {
    const sorted = this.window.sort((a, b) => a - b);
    const p99 = sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? null);
    let next = this.current;
    if (this.overloaded > 0) next = Math.floor(this.current * BACKOFF);
    else if (p99 !== null && p99 > 0) {
      const factor = Math.min(MAX_STEP, Math.max(1 / MAX_STEP, this.targetMs / p99));
      next = Math.round(this.current * factor);
      // Below target but rounding kept it still: keep creeping up.
      if (next === this.current && p99 < this.targetMs * 0.9) next++;
    }
    this.current = Math.max(1, Math.min(this.max, next));
    const step: AdaptiveStep = { atS, concurrency: this.current, windowP99Ms: p99, requests: sorted.length, overloaded: this.overloaded };
    this.steps.push(step);
    this.window = [];
    this.overloaded = 0;
    return step;
  }
}
