/**
 * `npm start`: the exporter and the inference service in the foreground (npm's prestart has
 * built dist/). The exporter starts first so the workers find the channel from their first
 * request; the environment passes through to both (HOST, INFERENCE_PORT, EXPORTER_PORT,
 * EVENTS_SOCKET, WORKERS, MODEL_PATH, LOG_LEVEL, ...), so they agree on the channel socket.
 *
 * Logs: the services' JSON lines pass through on stdout unchanged (one record per line, so log
 * pipelines keep working); their stderr is prefixed with the service name. The launcher adds
 * its own records with "service":"launcher", among them "all services ready" with both URLs.
 *
 * SIGINT/SIGTERM: the inference service is stopped first (its workers flush their last events
 * to the exporter), then the exporter; both are killed if they outlast the 10 s the contract
 * allows. A second signal kills both at once. Exit status: 0 after a clean stop, 1 if a
 * service died on its own, failed to start, or had to be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { NODE_FLAGS } from '../shared/node-flags.js';
import { REPO_ROOT } from '../shared/paths.js';

/** The contract's bound, minus a margin for the launcher's own exit. */
const STOP_DEADLINE_MS = 9_500;
/** The exporter gets its SIGTERM when the inference has exited, or at this point at the latest. */
const EXPORTER_STOP_AT_MS = 7_000;

type Name = 'exporter' | 'inference';

interface Service {
  name: Name;
  child: ChildProcess;
  url: string | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
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
const services: Service[] = [];

function startService(name: Name, onReady: (url: string) => void): Service {
  const child = spawn(process.execPath, [...NODE_FLAGS[name], SCRIPTS[name]], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const svc: Service = {
    name,
    child,
    url: undefined,
    done: false,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    // The service's own ready line (the inference primary's, not a cluster worker's) has a url.
    if (svc.url === undefined && line.includes('"msg":"ready"')) {
      try {
        const r = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (r.msg === 'ready' && typeof r.url === 'string') {
          svc.url = r.url;
          onReady(r.url);
        }
      } catch {
        // not a JSON record: passed through, nothing else to do
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  void svc.exited.then(({ code, signal }) => {
    svc.done = true;
    if (!stopping) {
      failed = true;
      log(50, `${name} exited unexpectedly; stopping the other service`, { child: name, code, signal });
      void stopAll('child exited');
    } else if (code !== 0) {
      failed = true;
      log(40, `${name} did not stop cleanly`, { child: name, code, signal });
    }
  });
  services.push(svc);
  return svc;
}

function kill(svc: Service | undefined, signal: NodeJS.Signals): void {
  if (svc && !svc.done) svc.child.kill(signal);
}

async function stopAll(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(30, 'stopping', { reason });
  const inference = services.find((s) => s.name === 'inference');
  const exporter = services.find((s) => s.name === 'exporter');
  const hardStop = setTimeout(() => {
    failed = true;
    log(50, 'services still running at the stop deadline: killing them', { deadline_ms: STOP_DEADLINE_MS });
    kill(inference, 'SIGKILL');
    kill(exporter, 'SIGKILL');
  }, STOP_DEADLINE_MS);
  kill(inference, 'SIGTERM');
  // The exporter stays up while the workers flush their last events, within a bound.
  const exporterTimer = setTimeout(() => kill(exporter, 'SIGTERM'), EXPORTER_STOP_AT_MS);
  if (inference) await inference.exited;
  clearTimeout(exporterTimer);
  kill(exporter, 'SIGTERM');
  if (exporter) await exporter.exited;
  clearTimeout(hardStop);
  log(30, 'stopped', { failed });
  process.exit(failed ? 1 : 0);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // Second signal: the operator does not want to wait.
    log(40, 'second signal: killing the services', { signal });
    failed = true;
    for (const s of services) kill(s, 'SIGKILL');
    return;
  }
  void stopAll(signal);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

startService('exporter', (exporterUrl) => {
  if (stopping) return;
  startService('inference', (inferenceUrl) => {
    log(30, 'all services ready', { inference_url: inferenceUrl, exporter_url: exporterUrl });
  });
});
