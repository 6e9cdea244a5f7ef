/**
 * The node:cluster primary for WORKERS > 1: forks one worker per slot (WORKER_ID 0..N-1) on the
 * shared port, re-forks a worker that dies into the same slot (with backoff), routes the
 * workers' IPC (cluster-wide /metrics, cross-worker feedback) and, on SIGTERM/SIGINT, forwards
 * the signal and exits once every worker has drained.
 *
 * A worker that dies before it ever became ready means the service cannot start (bad model,
 * port taken): the primary stops the others and exits non-zero instead of looping.
 *
 * Model lifecycle: SIGHUP, or POST /admin/reload|rollback on any worker, makes the primary run
 * the two phases (lifecycle/coordinator.ts) over every ready worker. After a change, a worker
 * re-forked into a slot first loads the files the others serve (their resolved paths, passed as
 * PINNED_*_ENV), so a restart never brings back the model a rollback removed; MODEL_PATH itself
 * is unchanged, so its next reload reads the symlink anew like the others.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry, type Counter } from 'prom-client';
import { INFERENCE_METRICS } from '../../../../shared/metrics.js';
import { missingNodeFlags, NODE_FLAGS, withServiceEnv } from '../../../../shared/node-flags.js';
import type { InferenceConfig } from '../config.js';
import { createLogger, flushLogger } from '../logger.js';
import { counterFrom } from '../../../../shared/metric-builders.js';
import { isMessage, PINNED_MODEL_ENV, PINNED_SHADOW_ENV, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { LifecycleCoordinator, type ModelAction, type ModelOp, type OpResult, type Participant } from '../lifecycle/coordinator.js';


const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** A worker that stayed up this long resets its slot's backoff. */
const STABLE_MS = 30_000;
/** Extra time after the workers' grace before the primary kills what is left. */
const PRIMARY_EXTRA_GRACE_MS = 3000;

interface Slot {
  id: string;
  worker: Worker | undefined;
  everReady: boolean;
  startedAt: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

/** The primary's own metrics, appended to the workers' aggregated exposition. */
export function createPrimaryMetrics(): { registry: Registry; restarts: Counter<string>; reloads: Counter<string> } {
  const registry = new Registry();
  return {
    registry,
    restarts: counterFrom(INFERENCE_METRICS.workerRestartsTotal, registry),
    // Reloads are coordinated, hence counted, here (lifecycle/coordinator.ts).
    reloads: counterFrom(INFERENCE_METRICS.modelReloadsTotal, registry),
  };
}

/** `clusterFlag` is set to "1" in each worker's environment so it knows the primary is ours. */
export async function runPrimary(config: InferenceConfig, clusterFlag: string): Promise<void> {
  const logger = createLogger({ logLevel: config.logLevel, workerId: 'primary', base: { role: 'primary' } });
  const aggregator = new AggregatorRegistry();
  const { registry: own, restarts, reloads } = createPrimaryMetrics();

  // Workers inherit the primary's flags and environment; one started without the service's V8
  // flags or SERVICE_ENV (a bare `node main.js`) still gives them to its workers, which hold the
  // model and the memory. An operator's own values, in either, are kept.
  const missing = missingNodeFlags(NODE_FLAGS.inference);
  if (missing.length > 0) cluster.setupPrimary({ execArgv: [...process.execArgv, ...missing] });

  const slots = new Map<string, Slot>();
  let pinned: { model: string; shadow: string | undefined } | undefined;
  let nextOpRid = 1;
  const pendingOps = new Map<number, (r: OpResult) => void>();
  const participants = (): Participant[] =>
    [...slots.values()]
      .filter((s) => s.everReady && s.worker?.isConnected())
      .map((s) => {
        const worker = s.worker!;
        return {
          id: s.id,
          run: (op: ModelOp) =>
            new Promise<OpResult>((resolve) => {
              const rid = nextOpRid++;
              pendingOps.set(rid, resolve);
              // A worker that dies meanwhile never answers: the coordinator's timeout covers it.
              send(worker, { sd: 'model-op', rid, op });
            }),
        };
      });
  const coordinator = new LifecycleCoordinator(participants, {
    timeoutMs: config.reloadTimeoutMs,
    reloads,
    log: logger,
  });
  const runModelAction = async (action: ModelAction) => {
    const outcome = await coordinator.run(action);
    if (outcome.ok && outcome.paths) pinned = outcome.paths;
    return outcome;
  };
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  const send = (worker: Worker | undefined, msg: PrimaryMessage): void => {
    if (worker?.isConnected()) worker.send(msg);
  };

  function fork(slot: Slot): void {
    slot.timer = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({
      ...withServiceEnv(process.env),
      WORKER_ID: slot.id,
      [clusterFlag]: '1',
      ...(pinned ? { [PINNED_MODEL_ENV]: pinned.model, ...(pinned.shadow ? { [PINNED_SHADOW_ENV]: pinned.shadow } : {}) } : {}),
    });
    slot.worker = worker;
    worker.on('message', (msg: unknown) => onMessage(slot, worker, msg));
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
  }

  function onMessage(slot: Slot, worker: Worker, msg: unknown): void {
    if (!isMessage<WorkerMessage>(msg)) return; // prom-client's own messages
    switch (msg.sd) {
      case 'ready': {
        const replaced = slot.everReady;
        slot.everReady = true;
        if (!announced && [...slots.values()].every((s) => s.everReady)) {
          announced = true;
          logger.info({ url: msg.url, workers: slots.size }, 'ready');
          logger.flush();
        } else if (replaced) {
          logger.info({ slot: slot.id, pid: worker.process.pid }, 'replacement worker ready');
        }
        return;
      }
      case 'metrics':
        aggregator
          .clusterMetrics()
          .then(async (text) => text + (await own.metrics()))
          .then(
            (text) => send(worker, { sd: 'metrics-result', rid: msg.rid, text }),
            (err: Error) => send(worker, { sd: 'metrics-result', rid: msg.rid, error: err.message }),
          );
        return;
      case 'feedback': {
        const owner = slots.get(msg.owner)?.worker;
        if (owner?.isConnected()) send(owner, { sd: 'feedback', rid: msg.rid, replyTo: slot.id, id: msg.id, label: msg.label });
        else send(worker, { sd: 'feedback-result', rid: msg.rid, result: { status: 'unreachable' } });
        return;
      }
      case 'feedback-result':
        send(slots.get(msg.replyTo)?.worker, { sd: 'feedback-result', rid: msg.rid, result: msg.result });
        return;
      case 'model-action': {
        const rid = msg.rid;
        void runModelAction(msg.action).then((outcome) => send(worker, { sd: 'model-action-result', rid, outcome }));
        return;
      }
      case 'model-op-result': {
        const resolve = pendingOps.get(msg.rid);
        pendingOps.delete(msg.rid);
        resolve?.(msg.result);
        return;
      }
    }
  }

  function onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (stopping) {
      if (code !== 0) exitCode = 1;
      maybeFinish();
      return;
    }
    if (!slot.everReady) {
      logger.fatal({ slot: slot.id, code, signal }, `worker ${slot.id} exited before it was ready; stopping (see its log lines above)`);
      process.stderr.write(`spam-detector inference: worker ${slot.id} failed to start (exit code ${code}, signal ${signal})\n`);
      exitCode = 1;
      stop('SIGTERM');
      return;
    }
    slot.failures = Date.now() - slot.startedAt > STABLE_MS ? 1 : slot.failures + 1;
    const delay = Math.min(BACKOFF_MIN_MS * 2 ** (slot.failures - 1), BACKOFF_MAX_MS);
    restarts.inc({ worker: slot.id });
    logger.error({ slot: slot.id, pid: worker.process.pid, code, signal, restart_in_ms: delay }, `worker ${slot.id} died; re-forking`);
    slot.timer = setTimeout(() => fork(slot), delay);
  }

  function maybeFinish(): void {
    if ([...slots.values()].some((s) => s.worker !== undefined)) return;
    logger.info({ exit_code: exitCode }, 'all workers stopped');
    void flushLogger(logger).then(() => process.exit(exitCode));
  }

  function stop(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const slot of slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.worker?.process.kill(signal);
    }
    setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const slot of slots.values()) slot.worker?.process.kill('SIGKILL');
      exitCode = 1;
    }, config.shutdownGraceMs + PRIMARY_EXTRA_GRACE_MS).unref();
    maybeFinish();
  }

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    logger.info('SIGHUP: reloading the model in every worker');
    void runModelAction('reload');
  });

  logger.info({ workers: config.workers }, 'starting workers');
  for (let i = 0; i < config.workers; i++) {
    const slot: Slot = { id: String(i), worker: undefined, everReady: false, startedAt: 0, failures: 0, timer: undefined };
    slots.set(slot.id, slot);
  }
  for (const slot of slots.values()) fork(slot);
}
