/**
 * Reload and rollback across every process that serves, in two phases so they all change or
 * none does: each participant first prepares (a reload loads and validates the files while the
 * current model serves; a rollback checks that the previous model is loaded), and only when
 * every one succeeded with the same version are they all told to commit (a reference swap);
 * otherwise every one is told to abort. The answer therefore comes once every worker serves the
 * new version.
 *
 * Participants are the node:cluster workers over IPC (cluster/primary.ts) or this process alone
 * (WORKERS=1, systemd, each pm2 instance). One operation at a time.
 */
import type { Counter } from 'prom-client';
import { ModelLifecycleError, type ModelHolder } from '../model-holder.js';

export type ModelAction = 'reload' | 'rollback';
export type ModelOp = 'prepare-reload' | 'prepare-rollback' | 'commit' | 'abort';
export type LifecycleCode = ModelLifecycleError['code'];

export type OpResult =
  | { ok: true; version: string; previous: string; shadow?: string | undefined; paths?: { model: string; shadow: string | undefined } }
  | { ok: false; code: LifecycleCode; message: string };

export interface Participant {
  readonly id: string;
  run(op: ModelOp): Promise<OpResult>;
}

export interface LifecycleSuccess {
  model_version: string;
  previous: string;
  shadow_model_version?: string | undefined;
  /** Processes now serving model_version. */
  workers: number;
}

export type LifecycleOutcome = { ok: true; result: LifecycleSuccess; paths?: { model: string; shadow: string | undefined } | undefined } | { ok: false; code: LifecycleCode; message: string };

/** A worker's own side: the two phases over its model holder. */
export function localParticipant(id: string, holder: ModelHolder): Participant {
  let pending: ModelAction | undefined;
  const ok = (version: string, previous: string): OpResult => ({ ok: true, version, previous, shadow: holder.shadow?.version, paths: holder.servingPaths });
  return {
    id,
    async run(op) {
      try {
        switch (op) {
          case 'prepare-reload': {
            pending = 'reload';
            const staged = await holder.prepare();
            return { ok: true, version: staged.version, previous: holder.current.version, shadow: staged.shadow };
          }
          case 'prepare-rollback': {
            pending = 'rollback';
            const r = holder.checkRollback();
            return ok(r.version, r.previous);
          }
          case 'commit': {
            const action = pending;
            pending = undefined;
            if (action === undefined) throw new Error('commit without a prepared operation');
            const r = action === 'reload' ? holder.commit() : holder.rollback();
            return ok(r.model_version, r.previous);
          }
          case 'abort':
            if (pending === 'reload') holder.abort();
            pending = undefined;
            return ok(holder.current.version, holder.previous?.version ?? '');
        }
      } catch (err) {
        if (op !== 'commit') pending = undefined;
        if (err instanceof ModelLifecycleError) return { ok: false, code: err.code, message: err.message };
        return { ok: false, code: 'MODEL_REFUSED', message: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

function withTimeout(p: Participant, op: ModelOp, timeoutMs: number): Promise<OpResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, code: 'RELOAD_TIMEOUT', message: `worker ${p.id} did not answer "${op}" within ${timeoutMs} ms` }),
      timeoutMs,
    );
    p.run(op).then(
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, code: 'RELOAD_TIMEOUT', message: `worker ${p.id}: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  });
}

export interface CoordinatorOptions {
  /** Bound of each phase per participant. */
  timeoutMs: number;
  /** spam_detector_model_reloads_total{action, outcome}. */
  reloads?: Counter<'action' | 'outcome'>;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export class LifecycleCoordinator {
  private busy = false;

  constructor(
    private readonly participants: () => Participant[],
    private readonly opts: CoordinatorOptions,
  ) {}

  async run(action: ModelAction): Promise<LifecycleOutcome> {
    if (this.busy) return this.count(action, { ok: false, code: 'RELOAD_IN_PROGRESS', message: 'another reload or rollback is in progress' });
    this.busy = true;
    try {
      return this.count(action, await this.twoPhase(action));
    } finally {
      this.busy = false;
    }
  }

  private async twoPhase(action: ModelAction): Promise<LifecycleOutcome> {
    const parts = this.participants();
    if (parts.length === 0) return { ok: false, code: 'RELOAD_TIMEOUT', message: 'no worker is ready to take part' };
    const t = this.opts.timeoutMs;
    const prepared = await Promise.all(parts.map((p) => withTimeout(p, action === 'reload' ? 'prepare-reload' : 'prepare-rollback', t)));
    const failed = prepared.findIndex((r) => !r.ok);
    const versions = new Set(prepared.map((r) => (r.ok ? r.version : '')));
    if (failed >= 0 || versions.size > 1) {
      await Promise.all(parts.map((p) => withTimeout(p, 'abort', t)));
      if (failed >= 0) {
        const r = prepared[failed] as Extract<OpResult, { ok: false }>;
        return { ok: false, code: r.code, message: parts.length > 1 ? `worker ${parts[failed]!.id}: ${r.message}` : r.message };
      }
      return { ok: false, code: 'MODEL_VERSION_MISMATCH', message: `the workers read different versions (${[...versions].join(', ')}): the file changed during the reload; retry` };
    }
    const committed = await Promise.all(parts.map((p) => withTimeout(p, 'commit', t)));
    const bad = committed.findIndex((r) => !r.ok);
    if (bad >= 0) {
      const r = committed[bad] as Extract<OpResult, { ok: false }>;
      return { ok: false, code: r.code, message: `worker ${parts[bad]!.id} did not commit: ${r.message}` };
    }
    const first = committed[0] as Extract<OpResult, { ok: true }>;
    return {
      ok: true,
      result: { model_version: first.version, previous: first.previous, shadow_model_version: first.shadow, workers: parts.length },
      paths: first.paths,
    };
  }

  private count(action: ModelAction, outcome: LifecycleOutcome): LifecycleOutcome {
    const label = outcome.ok ? 'success' : outcome.code === 'MODEL_REFUSED' || outcome.code === 'NO_PREVIOUS_MODEL' ? 'refused' : 'failed';
    this.opts.reloads?.inc({ action, outcome: label });
    if (outcome.ok) this.opts.log?.info({ action, ...outcome.result }, `model ${action}: serving ${outcome.result.model_version}`);
    else this.opts.log?.warn({ action, code: outcome.code, reason: outcome.message }, `model ${action} refused; the current model keeps serving`);
    return outcome;
  }
}
