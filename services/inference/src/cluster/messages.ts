/**
 * IPC messages between the cluster primary and its workers. Every message carries `sd` (its
 * kind) so they never collide with prom-client's own cluster messages on the same channel.
 */
import type { Label } from '../../../../shared/model-io.js';
import type { FeedbackLookup } from '../feedback-store.js';

/** Worker -> primary. */
export type WorkerMessage =
  | { sd: 'ready'; url: string }
  | { sd: 'metrics'; rid: number }
  | { sd: 'feedback'; rid: number; owner: string; id: string; label: Label }
  | { sd: 'feedback-result'; rid: number; replyTo: string; result: FeedbackLookup };

/** Primary -> worker. */
export type PrimaryMessage =
  | { sd: 'metrics-result'; rid: number; text?: string; error?: string }
  | { sd: 'feedback'; rid: number; replyTo: string; id: string; label: Label }
  | { sd: 'feedback-result'; rid: number; result: FeedbackLookup | { status: 'unreachable' } };

export function isMessage<T extends { sd: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { sd?: unknown }).sd === 'string';
}
