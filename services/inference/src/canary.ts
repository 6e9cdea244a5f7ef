/**
 * Canary: CANARY_PERCENT of the /predict requests are answered by the candidate model (the one
 * SHADOW_MODEL_PATH loads) instead of the current one, so a candidate meets real clients on a
 * bounded share of traffic before a reload promotes it.
 *
 * The choice is deterministic and even, per process: request i goes to the candidate when
 * floor((i + 1) * p / 100) > floor(i * p / 100), so any 100 consecutive requests hold exactly p
 * canary requests for a whole p (no randomness to argue with on a dashboard). A request is the
 * unit, never a text: a batch is answered by one model.
 *
 * With no candidate loaded (a holder built without one) the share in force is 0, said once in the
 * log until a candidate is loaded again.
 */
import type { ModelHolder } from './model-holder.js';

export class CanarySplit {
  private requests = 0;
  private warned = false;

  constructor(
    /** CANARY_PERCENT, 0..100. */
    readonly percent: number,
    private readonly holder: ModelHolder,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** The share of requests the candidate answers now: CANARY_PERCENT, or 0 without a candidate. */
  get percentInForce(): number {
    return this.percent > 0 && this.holder.shadow !== undefined ? this.percent : 0;
  }

  /** The candidate's version, when one is loaded. */
  get candidateVersion(): string | undefined {
    return this.holder.shadow?.version;
  }

  /** Whether the next request goes to the candidate; call once per request. */
  next(): boolean {
    if (this.percent === 0) return false;
    if (this.holder.shadow === undefined) {
      if (!this.warned) this.warn(`CANARY_PERCENT=${this.percent} but no candidate model (SHADOW_MODEL_PATH) is loaded: the canary share is 0`);
      this.warned = true;
      return false;
    }
    this.warned = false;
    const i = this.requests++;
    return Math.floor(((i + 1) * this.percent) / 100) > Math.floor((i * this.percent) / 100);
  }
}
