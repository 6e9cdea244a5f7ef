/**
 * Shadow scoring: the texts the current model answered are scored again by the shadow model
 * (SHADOW_MODEL_PATH), off the response path. The client's answer never waits for it and never
 * fails because of it: texts are queued after the answer is built, scored on a later event-loop
 * turn in batches, and when the queue is full (SHADOW_QUEUE_MAX_TEXTS) or the shadow model fails,
 * they are dropped and counted (spam_detector_shadow_dropped_texts_total{reason}).
 *
 * It does share the process's CPU with the answers: the cost is measured (docs/deploying-a-model.md,
 * "What a shadow costs"), not hidden. Each result is compared with the current model's label
 * (agreement), remembered in the feedback store under the prediction's id (so POST /feedback
 * scores the shadow too) and published to the exporter as one shadow event per batch.
 */
import type { Counter } from 'prom-client';
import type { Label } from '../../../shared/model-io.js';
import type { FeedbackStore } from './feedback-store.js';
import type { ModelHolder } from './model-holder.js';

export interface ShadowResult {
  label: Label;
  confidence: number;
  /** Same label as the current model gave. */
  agree: boolean;
}

export type ShadowSink = (shadowVersion: string, results: ShadowResult[]) => void;

export interface ShadowOptions {
  maxQueueTexts: number;
  /** Texts per shadow model call. */
  batchTexts: number;
  dropped?: Counter<'reason'> | undefined;
  sink?: ShadowSink | undefined;
}

interface Item {
  id: string;
  text: string;
  primary: Label;
}

export class ShadowRunner {
  private queue: Item[] = [];
  private scheduled = false;
  private running = false;

  constructor(
    private readonly holder: ModelHolder,
    private readonly store: FeedbackStore,
    private readonly opts: ShadowOptions,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Called after the answer's predictions are built; O(texts), never throws. */
  submit(ids: readonly string[], texts: readonly string[], primary: readonly Label[]): void {
    if (this.holder.shadow === undefined) return;
    const room = this.opts.maxQueueTexts - this.queue.length;
    const n = Math.min(texts.length, Math.max(0, room));
    for (let i = 0; i < n; i++) this.queue.push({ id: ids[i]!, text: texts[i]!, primary: primary[i]! });
    if (n < texts.length) this.opts.dropped?.inc({ reason: 'queue_full' }, texts.length - n);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate: after the I/O of this turn, so the answers built in it are written first.
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.opts.batchTexts);
    if (batch.length === 0) return;
    this.running = true;
    try {
      const scored = await this.holder.score(
        'shadow',
        batch.map((b) => b.text),
      );
      if (scored === undefined) {
        // The shadow was removed by a reload meanwhile: what is queued has no model to go to.
        this.opts.dropped?.inc({ reason: 'no_model' }, batch.length + this.queue.length);
        this.queue = [];
        return;
      }
      const { prediction, version, serial } = scored;
      const results = new Array<ShadowResult>(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const spam = prediction.spamProbabilities[i]!;
        const label: Label = prediction.labels[i] === 'spam' ? 'spam' : 'ham';
        const item = batch[i]!;
        results[i] = { label, confidence: label === 'spam' ? spam : 1 - spam, agree: label === item.primary };
        this.store.recordShadow(item.id, label, serial);
      }
      this.opts.sink?.(version, results);
    } catch {
      this.opts.dropped?.inc({ reason: 'error' }, batch.length);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
