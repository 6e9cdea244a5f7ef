/**
 * A cluster worker's line to the primary (process.send IPC): cluster-wide /metrics and
 * feedback for predictions another worker made. Only the cold paths use it; predictions
 * never touch IPC.
 */
import type { Label } from '../../../../shared/model-io.js';
import type { FeedbackLookup } from '../feedback-store.js';
import type { LifecycleOutcome, ModelAction, ModelOp, OpResult } from '../lifecycle/coordinator.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

export type ForwardedLookup = FeedbackLookup | { status: 'unreachable' } | { status: 'timeout' };

export interface ClusterLink {
  notifyReady(url: string): void;
  /** Metrics of every worker, aggregated by the primary (prom-client AggregatorRegistry). */
  aggregatedMetrics(timeoutMs: number): Promise<string>;
  /** Ask the worker that made prediction `id` to record the feedback. */
  forwardFeedback(owner: string, id: string, label: Label, timeoutMs: number): Promise<ForwardedLookup>;
  /** How this worker answers feedback forwarded from other workers. */
  serveFeedback(handler: (id: string, label: Label) => FeedbackLookup): void;
  /** Ask the primary to reload or roll back every worker; resolves once they all did (or did not). */
  modelAction(action: ModelAction, timeoutMs: number): Promise<LifecycleOutcome>;
  /** How this worker runs one phase of a reload or rollback the primary coordinates. */
  serveModelOps(handler: (op: ModelOp) => Promise<OpResult>): void;
  close(): void;
}

interface Pending {
  resolve(msg: PrimaryMessage | undefined): void;
  timer: NodeJS.Timeout;
}

export function createClusterLink(): ClusterLink {
  if (typeof process.send !== 'function') throw new Error('createClusterLink: not running as a cluster worker');
  const send = (msg: WorkerMessage): void => {
    // The channel can close while the primary is shutting down; the caller's timeout covers it.
    if (process.connected) process.send!(msg);
  };
  let nextRid = 1;
  const pending = new Map<number, Pending>();
  let feedbackHandler: ((id: string, label: Label) => FeedbackLookup) | undefined;
  let modelOpHandler: ((op: ModelOp) => Promise<OpResult>) | undefined;

  const onMessage = (raw: unknown): void => {
    if (!isMessage<PrimaryMessage>(raw)) return;
    if (raw.sd === 'feedback') {
      const result: FeedbackLookup = feedbackHandler ? feedbackHandler(raw.id, raw.label) : { status: 'unknown' };
      send({ sd: 'feedback-result', rid: raw.rid, replyTo: raw.replyTo, result });
      return;
    }
    if (raw.sd === 'model-op') {
      const rid = raw.rid;
      const run = modelOpHandler ? modelOpHandler(raw.op) : Promise.resolve<OpResult>({ ok: false, code: 'RELOAD_TIMEOUT', message: 'this worker is not serving yet' });
      void run.then((result) => send({ sd: 'model-op-result', rid, result }));
      return;
    }
    const p = pending.get(raw.rid);
    if (!p) return; // answered after its timeout
    pending.delete(raw.rid);
    clearTimeout(p.timer);
    p.resolve(raw);
  };
  process.on('message', onMessage);

  function request(build: (rid: number) => WorkerMessage, timeoutMs: number): Promise<PrimaryMessage | undefined> {
    const rid = nextRid++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(rid);
        resolve(undefined);
      }, timeoutMs);
      pending.set(rid, { resolve, timer });
      send(build(rid));
    });
  }

  return {
    notifyReady(url) {
      send({ sd: 'ready', url });
    },
    async aggregatedMetrics(timeoutMs) {
      const res = await request((rid) => ({ sd: 'metrics', rid }), timeoutMs);
      if (!res) throw new Error('the cluster primary did not answer in time');
      if (res.sd !== 'metrics-result' || typeof res.text !== 'string') {
        throw new Error(`the cluster primary could not aggregate metrics: ${res.sd === 'metrics-result' ? res.error : res.sd}`);
      }
      return res.text;
    },
    async forwardFeedback(owner, id, label, timeoutMs) {
      const res = await request((rid) => ({ sd: 'feedback', rid, owner, id, label }), timeoutMs);
      if (!res) return { status: 'timeout' };
      return res.sd === 'feedback-result' ? res.result : { status: 'unreachable' };
    },
    serveFeedback(handler) {
      feedbackHandler = handler;
    },
    async modelAction(action, timeoutMs) {
      const res = await request((rid) => ({ sd: 'model-action', rid, action }), timeoutMs);
      if (!res) return { ok: false, code: 'RELOAD_TIMEOUT', message: `the cluster primary did not answer within ${timeoutMs} ms` };
      if (res.sd !== 'model-action-result') return { ok: false, code: 'RELOAD_TIMEOUT', message: `unexpected answer from the primary: ${res.sd}` };
      return res.outcome;
    },
    serveModelOps(handler) {
      modelOpHandler = handler;
    },
    close() {
      process.off('message', onMessage);
      for (const [rid, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(rid);
        p.resolve(undefined);
      }
    },
  };
}
