/**
 * What POST /admin/reload, /admin/rollback and SIGHUP run: the two-phase coordinator over this
 * process alone, or a request to the node:cluster primary, which coordinates every worker.
 *
 * Scope, said in every answer: "cluster" when our primary coordinated every worker, "process"
 * when this process changed alone (WORKERS=1, systemd instances, and each pm2 instance: pm2's
 * cluster mode has no primary of ours, so a reload reaches every instance only through
 * `pm2 sendSignal SIGHUP <app>`, docs/deploying-a-model.md).
 */
import type { Registry } from 'prom-client';
import { INFERENCE_METRICS } from '../../../../shared/metrics.js';
import { counterFrom } from '../../../../shared/metric-builders.js';
import type { ModelHolder } from '../model-holder.js';
import { LifecycleCoordinator, localParticipant, type LifecycleOutcome, type ModelAction } from './coordinator.js';

export interface ModelAdmin {
  readonly scope: 'cluster' | 'process';
  /** Under pm2: every instance is its own process; set from pm2's environment. */
  readonly pm2: boolean;
  run(action: ModelAction): Promise<LifecycleOutcome>;
}

interface Log {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export function isPm2(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.pm_id !== undefined || env.PM2_HOME !== undefined && env.NODE_APP_INSTANCE !== undefined;
}

export function localAdmin(workerId: string, holder: ModelHolder, opts: { timeoutMs: number; registry?: Registry | undefined; log?: Log | undefined }): ModelAdmin {
  const participant = localParticipant(workerId, holder);
  const coordinator = new LifecycleCoordinator(() => [participant], {
    timeoutMs: opts.timeoutMs,
    ...(opts.registry ? { reloads: counterFrom(INFERENCE_METRICS.modelReloadsTotal, opts.registry) } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return { scope: 'process', pm2: isPm2(), run: (action) => coordinator.run(action) };
}

export function clusterAdmin(request: (action: ModelAction) => Promise<LifecycleOutcome>): ModelAdmin {
  return { scope: 'cluster', pm2: false, run: request };
}
