/**
 * IPC messages between the cluster primary and its workers. Every message carries `sd` (its
 * kind) so they never collide with prom-client's own cluster messages on the same channel.
 */
import type { Label } from '../../../../shared/model-io.js';
import type { FeedbackLookup } from '../feedback-store.js';
import type { LifecycleOutcome, ModelAction, ModelOp, OpResult } from '../lifecycle/coordinator.js';

/** Worker -> primary. */
export type WorkerMessage =
  | { sd: 'ready'; url: string }
  | { sd: 'metrics'; rid: number }
  | { sd: 'feedback'; rid: number; owner: string; id: string; label: Label }
  | { sd: 'feedback-result'; rid: number; replyTo: string; result: FeedbackLookup }
  /** POST /admin/* or nothing else: the primary coordinates every worker. */
  | { sd: 'model-action'; rid: number; action: ModelAction }
  | { sd: 'model-op-result'; rid: number; result: OpResult };

/** Primary -> worker. */
export type PrimaryMessage =
  | { sd: 'metrics-result'; rid: number; text?: string; error?: string }
  | { sd: 'feedback'; rid: number; replyTo: string; id: string; label: Label }
  | { sd: 'feedback-result'; rid: number; result: FeedbackLookup | { status: 'unreachable' } }
  | { sd: 'model-action-result'; rid: number; outcome: LifecycleOutcome }
  /** One phase of a reload or rollback in this worker. */
  | { sd: 'model-op'; rid: number; op: ModelOp };

export function isMessage<T extends { sd: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { sd?: unknown }).sd === 'string';
}

/** A re-forked worker's first model files, after a reload or rollback changed them (primary.ts). */
export const PINNED_MODEL_ENV = 'SPAM_DETECTOR_PINNED_MODEL_PATH';
export const PINNED_SHADOW_ENV = 'SPAM_DETECTOR_PINNED_SHADOW_MODEL_PATH';
