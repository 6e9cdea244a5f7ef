/**
 * Runs the collectors on a fixed interval, all in parallel, one round at a time: a slow source
 * (df on a hung NFS mount) delays the next round instead of piling up samples.
 */
import type { Collector } from './collector.js';

export interface SamplerHooks {
  onError(collector: string, err: unknown): void;
}

export class Sampler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly collectors: readonly Collector[],
    private readonly intervalMs: number,
    private readonly hooks: SamplerHooks,
  ) {}

  /** Takes a first sample right away (so gauges exist from the first scrape), then one per interval. */
  start(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (!this.stopped) {
        this.timer = setTimeout(() => this.tick(), this.intervalMs);
        this.timer.unref();
      }
    });
  }

  private async round(): Promise<void> {
    const results = await Promise.allSettled(this.collectors.map((c) => c.sample()));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.hooks.onError(this.collectors[i]!.name, r.reason);
    });
  }

  /** Waits for a round in progress, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
