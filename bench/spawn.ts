/**
 * Start a compiled service (dist/) as a child process and wait for its `"msg":"ready"` line, which
 * carries the real URL (port 0). The same start-up contract the tests use (test/helpers/spawn.ts),
 * kept here in a few lines because bench/ is compiled and test/ is not. Every child is killed when
 * the bench exits, so an interrupted run leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from '../shared/node-flags.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repo root: this file runs as dist/bench/spawn.js. */
export const ROOT = HERE.endsWith(join('dist', 'bench')) ? resolve(HERE, '..', '..') : resolve(HERE, '..');

export const SCRIPTS = {
  inference: join(ROOT, 'dist', 'services', 'inference', 'src', 'main.js'),
  exporter: join(ROOT, 'dist', 'services', 'exporter', 'src', 'main.js'),
  bare: join(ROOT, 'dist', 'bench', 'bare-server.js'),
  designLimit: join(ROOT, 'dist', 'bench', 'design-limit-server.js'),
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

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startService(name: string, script: string, env: Record<string, string>, logDir: string, args: string[] = [], timeoutMs = 120_000): Promise<Service> {
  // stdout goes to a file, not a pipe: the services log at their default level (access log
  // included, as in production) and reading that pipe would cost the load generator's core.
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'w');
  const t0 = performance.now();
  // The services get the V8 flags every launcher gives them, so the bench measures what ships;
  // `args` come after them and win.
  const child = spawn(process.execPath, [...nodeFlagsFor(script), ...args, script], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd);
  live.add(child);
  const errTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errTail.push(l);
    if (errTail.length > 20) errTail.shift();
  });
  let exitedFlag = false;
  const exited = new Promise<void>((res) =>
    child.once('exit', () => {
      exitedFlag = true;
      live.delete(child);
      res();
    }),
  );
  let url: string | undefined;
  let readyMs = 0;
  const deadline = t0 + timeoutMs;
  // Poll the log for the ready line every 5 ms (bounded); start-up takes hundreds of ms.
  while (url === undefined) {
    if (exitedFlag) throw new Error(`${name} exited before ready\n${errTail.join('\n')}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name}: not ready within ${timeoutMs} ms\n${errTail.join('\n')}`);
    }
    const text = readFileSync(logPath, 'utf8');
    const m = /^.*"msg":"ready".*$/m.exec(text);
    const u = m ? /"url":"([^"]+)"/.exec(m[0]) : null;
    if (u) {
      readyMs = performance.now() - t0;
      url = u[1]!;
    } else await new Promise((r) => setTimeout(r, 5));
  }
  return {
    name,
    url,
    pid: child.pid!,
    readyMs,
    child,
    async stop() {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
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
