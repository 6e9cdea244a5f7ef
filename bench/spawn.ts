/**
 * Start a compiled service (dist/) as a child process and wait for its `"msg":"ready"` line, which
 * carries the real URL (port 0), with the helper every launcher uses (scripts/lib/service-process.ts).
 * Every child is killed when the bench exits, so an interrupted run leaves nothing behind.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFlagsFor, serviceEnvFor } from '../shared/node-flags.js';
import { REPO_ROOT } from '../shared/paths.js';
import { spawnNode, waitForReady } from '../scripts/lib/service-process.js';

export const SCRIPTS = {
  inference: join(REPO_ROOT, 'dist', 'services', 'inference', 'src', 'main.js'),
  exporter: join(REPO_ROOT, 'dist', 'services', 'exporter', 'src', 'main.js'),
  bare: join(REPO_ROOT, 'dist', 'bench', 'bare-server.js'),
  designLimit: join(REPO_ROOT, 'dist', 'bench', 'design-limit-server.js'),
} as const;

export interface Service {
  name: string;
  url: string;
  pid: number;
  /** Milliseconds from spawn() to the ready line. */
  readyMs: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startService(name: string, script: string, env: Record<string, string>, logDir: string, args: string[] = [], timeoutMs = 120_000): Promise<Service> {
  // stdout goes to a file, not a pipe: the services log at their default level (access log
  // included, as in production) and reading that pipe would cost the load generator's core.
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'w');
  const t0 = performance.now();
  // The services get the V8 flags and the environment every launcher gives them, so the bench
  // measures what ships; `args` come after the flags and win, a variant's `env` wins over SERVICE_ENV.
  const p = spawnNode({
    script,
    execArgv: [...nodeFlagsFor(script), ...args],
    env: serviceEnvFor(script, { ...process.env, HOST: '127.0.0.1', ...env }),
    stdout: fd,
  });
  closeSync(fd);
  const errTail: string[] = [];
  p.onStderrLine((l) => {
    errTail.push(l);
    if (errTail.length > 20) errTail.shift();
  });
  const { url } = await waitForReady(p, { name, timeoutMs, logFile: logPath, details: () => errTail.join('\n') });
  const readyMs = performance.now() - t0;
  return {
    name,
    url,
    pid: p.child.pid!,
    readyMs,
    child: p.child,
    async stop() {
      await p.stop('SIGTERM', 15_000);
    },
  };
}

/** Direct children of a process (the cluster workers of a WORKERS=N primary), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs a bench script's main and exits explicitly (0, or 1 with the error): load-tool agents and
 * samplers must not keep a finished run alive.
 */
export function runToCompletion(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
