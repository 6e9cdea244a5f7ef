/**
 * Sends the requests: `concurrency` virtual clients share one undici keep-alive pool (one
 * connection each) and claim request slots in order. A rate caps slot start times on one
 * global schedule (slot i starts no earlier than i / rate seconds after the start), a delay
 * is each client's pause after every answer, like the seed's sleep between requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { isLabel, type Label } from '../../shared/model-io.js';
import type { PredictSpec, RequestSpec } from './mix.js';
import { LatencyController, type AdaptiveStep } from './adaptive.js';
import { RunStats } from './stats.js';

export interface RunPlan {
  /** Base URL of the inference service; a path prefix (behind a proxy) is kept. */
  url: string;
  /** Requests to send (feedback not counted); with durationMs, whichever ends first. */
  count?: number | undefined;
  durationMs?: number | undefined;
  /** Requests started per second, all clients together. */
  rate?: number | undefined;
  /** Pause of each client after each answer, in ms. */
  delayMs?: number | undefined;
  concurrency: number;
  /** Per-request limit for headers and for the body, in ms. */
  timeoutMs: number;
  /**
   * Adapt the active connections (up to `concurrency`) so the p99 of each window nears this,
   * in ms; see adaptive.ts.
   */
  targetP99Ms?: number | undefined;
  /** Length of an adaptation window, in ms (5000 by default). */
  adaptEveryMs?: number | undefined;
}

export interface RunHooks {
  /** Called after each request (not feedback) finishes. */
  onRequestDone?: (stats: RunStats) => void;
  /** Aborting stops new requests; those in flight finish (each is bounded by the timeout). */
  signal?: AbortSignal;
}

export interface RunResult {
  stats: RunStats;
  elapsedMs: number;
  /** True when the run was stopped by the signal before its count or duration was reached. */
  interrupted: boolean;
  /** With targetP99Ms: each window's p99 and the connections chosen after it. */
  adaptive?: { targetP99Ms: number; maxConcurrency: number; steps: AdaptiveStep[] } | undefined;
}

interface Answer {
  status: number | undefined;
  code: string | undefined;
  json: unknown;
}

/** An HTTP client bound to one service, keeping connections alive between requests. */
export class Target {
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(url: string, connections: number, private readonly timeoutMs: number) {
    const base = new URL(url);
    this.prefix = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, { connections, pipelining: 1, connectTimeout: timeoutMs });
  }

  async send(method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
    try {
      const res = await this.pool.request({
        method,
        path: this.prefix + path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { status: res.statusCode, code: ok ? undefined : errorCodeOf(json, res.statusCode), json };
    } catch (err) {
      return { status: undefined, code: networkCodeOf(err), json: undefined };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The contract's stable `code` of an error body, or HTTP_<status> when the body has none. */
function errorCodeOf(json: unknown, status: number): string {
  const code = (json as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : `HTTP_${status}`;
}

function networkCodeOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return code ?? 'NETWORK_ERROR';
}

export interface Probe {
  reachable: boolean;
  status?: number;
  error?: string;
}

/** GET /health once: any HTTP answer, even 503, means the target can be reached. */
export async function probe(url: string, timeoutMs: number): Promise<Probe> {
  const target = new Target(url, 1, timeoutMs);
  try {
    const answer = await target.send('GET', '/health');
    return answer.status === undefined ? { reachable: false, error: answer.code ?? 'NETWORK_ERROR' } : { reachable: true, status: answer.status };
  } finally {
    await target.close();
  }
}

interface Prediction {
  id: string | undefined;
  label: Label;
}

/** The predictions of a 2xx /predict answer, or undefined when the body breaks the contract. */
function predictionsOf(spec: PredictSpec, json: unknown): Prediction[] | undefined {
  const one = (p: unknown): Prediction | undefined => {
    const rec = p as { id?: unknown; prediction?: unknown } | null;
    if (rec === null || typeof rec !== 'object' || !isLabel(rec.prediction)) return undefined;
    return { id: typeof rec.id === 'string' ? rec.id : undefined, label: rec.prediction };
  };
  if (!spec.batch) {
    const p = one(json);
    return p === undefined ? undefined : [p];
  }
  const list = (json as { predictions?: unknown } | null)?.predictions;
  if (!Array.isArray(list) || list.length !== spec.labels.length) return undefined;
  const out = list.map(one);
  return out.every((p): p is Prediction => p !== undefined) ? out : undefined;
}

export async function run(plan: RunPlan, next: () => RequestSpec, hooks: RunHooks = {}): Promise<RunResult> {
  if (plan.count === undefined && plan.durationMs === undefined) throw new Error('a run needs a count or a duration');
  const stats = new RunStats();
  const target = new Target(plan.url, plan.concurrency, plan.timeoutMs);
  const start = performance.now();
  const deadline = plan.durationMs === undefined ? Number.POSITIVE_INFINITY : start + plan.durationMs;
  const interval = plan.rate === undefined || plan.rate <= 0 ? 0 : 1000 / plan.rate;
  let claimed = 0;

  const stopped = (): boolean => hooks.signal?.aborted === true;
  const over = (): boolean =>
    stopped() || (plan.count !== undefined && claimed >= plan.count) || performance.now() >= deadline || start + claimed * interval >= deadline;
  const controller = plan.targetP99Ms === undefined ? undefined : new LatencyController(plan.targetP99Ms, plan.concurrency);
  const adaptTimer =
    controller === undefined ? undefined : setInterval(() => controller.step((performance.now() - start) / 1000), plan.adaptEveryMs ?? 5000);

  /** The next slot's index, or undefined when the run is over. Synchronous, so slots are claimed in order. */
  const claim = (): number | undefined => (over() ? undefined : claimed++);

  const pause = async (ms: number): Promise<boolean> => {
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
      return true;
    } catch {
      return false; // aborted
    }
  };

  const sendFeedback = async (spec: PredictSpec, predictions: Prediction[]): Promise<void> => {
    for (let i = 0; i < predictions.length; i++) {
      const id = predictions[i]?.id;
      const actual = spec.labels[i];
      if (!spec.feedback[i] || id === undefined || actual === undefined) continue;
      const answer = await target.send('POST', '/feedback', JSON.stringify({ id, label: actual }));
      stats.recordFeedback(answer.status, answer.code);
    }
  };

  const client = async (_: unknown, index: number): Promise<void> => {
    for (;;) {
      // Connections above the controller's current choice wait their turn.
      while (controller !== undefined && index >= controller.active) {
        if (over() || !(await pause(50))) return;
      }
      const slot = claim();
      if (slot === undefined) return;
      // The spec is drawn at claim time, in slot order, so a seed replays the same sequence.
      const spec = next();
      if (interval > 0 && !(await pause(start + slot * interval - performance.now()))) return;
      const t0 = performance.now();
      const answer = await target.send('POST', spec.path, spec.body);
      const latencyMs = performance.now() - t0;
      stats.recordRequest(spec, latencyMs * 1000, answer.status, answer.code);
      controller?.observe(latencyMs, answer.status);
      if (spec.kind === 'predict' && answer.code === undefined && answer.status !== undefined) {
        const predictions = predictionsOf(spec, answer.json);
        if (predictions === undefined) stats.recordInvalidResponse();
        else {
          stats.recordPredictions(
            spec.labels,
            predictions.map((p) => p.label),
          );
          await sendFeedback(spec, predictions);
        }
      }
      hooks.onRequestDone?.(stats);
      if (plan.delayMs !== undefined && !(await pause(plan.delayMs))) return;
    }
  };

  try {
    await Promise.all(Array.from({ length: plan.concurrency }, client));
  } finally {
    if (adaptTimer) clearInterval(adaptTimer);
    await target.close();
  }
  return {
    stats,
    elapsedMs: performance.now() - start,
    interrupted: stopped(),
    adaptive: controller && { targetP99Ms: controller.targetMs, maxConcurrency: controller.max, steps: controller.steps },
  };
}
