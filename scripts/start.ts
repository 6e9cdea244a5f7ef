/**
 * `npm start`: the exporter and the inference service in the foreground (npm's prestart has
 * built dist/), supervised. The exporter starts first so the workers find the channel from their
 * first request; the environment passes through to both (HOST, INFERENCE_PORT, EXPORTER_PORT,
 * EVENTS_SOCKET, WORKERS, MODEL_PATH, LOG_LEVEL, ...), so they agree on the channel socket.
 *
 * Supervision: a child that dies on its own is restarted with exponential backoff
 * (RESTART_MIN_MS doubling to RESTART_MAX_MS) while the other keeps running; a run that lasted
 * STABLE_MS resets its backoff. A child that dies MAX_RESTARTS times in a row without such a
 * stable run is given up, with an error line saying so. Predictions matter more than metrics:
 * - the exporter given up: the inference keeps serving (its publisher counts what it drops) and
 *   the launcher keeps running; the exporter is not tried again until the next `npm start`;
 * - the inference failing before it was ever ready (bad model, port taken, bad configuration)
 *   or given up: nothing can serve, so the launcher stops the exporter and exits 1.
 * The inference workers' publishers reconnect to a restarted exporter by themselves
 * (docs/channel.md, Reconnection).
 *
 * Logs: the services' JSON lines pass through on stdout unchanged (one record per line, so log
 * pipelines keep working); their stderr is prefixed with the service name. The launcher adds
 * its own records with "service":"launcher", among them "all services ready" with both URLs,
 * "restarting <child>", "<child> ready again" (with its URL) and "giving up on <child>".
 *
 * Signals: SIGHUP is passed to the inference (it reloads the model in every worker,
 * docs/deploying-a-model.md). SIGINT/SIGTERM: the inference service is stopped first (its
 * workers flush their last events to the exporter), then the exporter; both are killed if they
 * outlast the 10 s promised to operators (README: both stop within 10 s). A second signal kills both at once.
 *
 * Exit status: 0 after a clean stop (whatever happened to the exporter before), 1 when the
 * inference could not run (failed to start, or given up) or a service had to be killed at the
 * stop deadline.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NODE_FLAGS, withServiceEnv } from '../shared/node-flags.js';
import { REPO_ROOT } from '../shared/paths.js';
import { readyUrl, spawnNode } from './lib/service-process.js';

/** The 10 s stop promised to operators, minus a margin for the launcher's own exit. */
const STOP_DEADLINE_MS = 9_500;
/** The exporter gets its SIGTERM when the inference has exited, or at this point at the latest. */
const EXPORTER_STOP_AT_MS = 7_000;
/** First restart delay; doubles with each failure in a row. */
const RESTART_MIN_MS = 250;
const RESTART_MAX_MS = 8_000;
/** A child that ran this long before dying starts its backoff over. */
const STABLE_MS = 30_000;
/** Deaths in a row (none after a stable run) before a child is given up. */
const MAX_RESTARTS = 5;

type Name = 'exporter' | 'inference';

interface Service {
  name: Name;
  child: ChildProcess | undefined;
  startedAt: number;
  /** Deaths in a row without a stable run in between. */
  failures: number;
  everReady: boolean;
  gaveUp: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolves when the current child has exited (immediately when there is none). */
  exited: Promise<void>;
}

function log(level: number, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), service: 'launcher', pid: process.pid, ...fields, msg })}\n`);
}

const SCRIPTS: Record<Name, string> = {
  exporter: join(REPO_ROOT, 'dist', 'services', 'exporter', 'src', 'main.js'),
  inference: join(REPO_ROOT, 'dist', 'services', 'inference', 'src', 'main.js'),
};

let stopping = false;
let failed = false;
const urls: Partial<Record<Name, string>> = {};
const services: Record<Name, Service> = {
  exporter: newService('exporter'),
  inference: newService('inference'),
};

function newService(name: Name): Service {
  return { name, child: undefined, startedAt: 0, failures: 0, everReady: false, gaveUp: false, restartTimer: undefined, exited: Promise.resolve() };
}

function run(svc: Service): void {
  svc.restartTimer = undefined;
  if (stopping) return;
  const p = spawnNode({ script: SCRIPTS[svc.name], execArgv: NODE_FLAGS[svc.name], env: withServiceEnv(process.env), killOnExit: false });
  const child = p.child;
  svc.child = child;
  svc.startedAt = Date.now();
  svc.exited = p.exited.then(({ code, signal }) => {
    if (svc.child === child) svc.child = undefined;
    onExit(svc, code, signal);
  });
  let announced = false;
  p.onStdoutLine((line) => {
    process.stdout.write(`${line}\n`);
    // The service's own ready line (the inference primary's, not a cluster worker's) has a url.
    const url = announced ? undefined : readyUrl(line);
    if (url !== undefined) {
      announced = true;
      onReady(svc, url);
    }
  });
  p.onStderrLine((line) => process.stderr.write(`[${svc.name}] ${line}\n`));
}

function onReady(svc: Service, url: string): void {
  const again = svc.everReady;
  svc.everReady = true;
  urls[svc.name] = url;
  if (again) {
    log(30, `${svc.name} ready again`, { child: svc.name, url, pid: svc.child?.pid });
    return;
  }
  if (svc.name === 'exporter') startInference();
  else log(30, 'all services ready', { inference_url: url, exporter_url: urls.exporter });
}

/** The inference starts once the exporter is ready, or has failed: it never waits on metrics. */
function startInference(): void {
  const inference = services.inference;
  if (stopping || inference.child || inference.everReady || inference.restartTimer || inference.startedAt > 0) return;
  run(inference);
}

function onExit(svc: Service, code: number | null, signal: NodeJS.Signals | null): void {
  if (stopping) {
    if (code !== 0) {
      log(40, `${svc.name} did not stop cleanly`, { child: svc.name, code, signal });
      if (svc.name === 'inference') failed = true;
    }
    return;
  }
  const ranMs = Date.now() - svc.startedAt;
  svc.failures = svc.everReady && ranMs >= STABLE_MS ? 1 : svc.failures + 1;
  const fields = { child: svc.name, code, signal, ran_ms: ranMs, failures_in_a_row: svc.failures };
  if (svc.name === 'inference' && !svc.everReady) {
    failed = true;
    log(50, 'inference exited before it was ready: it cannot run (see its lines above); stopping', fields);
    void stopAll('inference cannot run');
    return;
  }
  if (svc.failures > MAX_RESTARTS) {
    svc.gaveUp = true;
    if (svc.name === 'inference') {
      failed = true;
      log(50, `giving up on inference: it died ${svc.failures} times in a row; stopping`, fields);
      void stopAll('inference given up');
    } else {
      log(50, `giving up on exporter: it died ${svc.failures} times in a row; the inference keeps serving without metrics until the next start`, fields);
      startInference();
    }
    return;
  }
  const delay = Math.min(RESTART_MIN_MS * 2 ** (svc.failures - 1), RESTART_MAX_MS);
  log(50, `${svc.name} exited unexpectedly; restarting it in ${delay} ms`, { ...fields, restart_in_ms: delay });
  svc.restartTimer = setTimeout(() => run(svc), delay);
  if (svc.name === 'exporter') startInference();
}

function kill(svc: Service, signal: NodeJS.Signals): void {
  svc.child?.kill(signal);
}

async function stopAll(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(30, 'stopping', { reason });
  const { inference, exporter } = services;
  for (const s of [inference, exporter]) if (s.restartTimer) clearTimeout(s.restartTimer);
  const hardStop = setTimeout(() => {
    failed = true;
    log(50, 'services still running at the stop deadline: killing them', { deadline_ms: STOP_DEADLINE_MS });
    kill(inference, 'SIGKILL');
    kill(exporter, 'SIGKILL');
  }, STOP_DEADLINE_MS);
  kill(inference, 'SIGTERM');
  // The exporter stays up while the workers flush their last events, within a bound.
  const exporterTimer = setTimeout(() => kill(exporter, 'SIGTERM'), EXPORTER_STOP_AT_MS);
  await inference.exited;
  clearTimeout(exporterTimer);
  kill(exporter, 'SIGTERM');
  await exporter.exited;
  clearTimeout(hardStop);
  log(30, 'stopped', { failed });
  process.exit(failed ? 1 : 0);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // Second signal: the operator does not want to wait.
    log(40, 'second signal: killing the services', { signal });
    failed = true;
    for (const s of Object.values(services)) kill(s, 'SIGKILL');
    return;
  }
  void stopAll(signal);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', () => {
  log(30, 'SIGHUP: passing it to the inference (model reload)');
  kill(services.inference, 'SIGHUP');
});

run(services.exporter);
