/**
 * Starting a compiled service (dist/) as a child process and waiting for its ready line: the one
 * way every launcher does it (`npm start`, `npm run stack`, `npm run screenshots`, the bench and
 * the tests). A service logs one JSON record with `"msg":"ready"` and its real `url` when it
 * listens (with port 0 the URL is the only way to learn the port; the inference primary's record
 * carries the URL, its workers' do not).
 *
 * Each caller keeps what is its own: where the logs go, the node flags, supervision (start.ts),
 * log records after ready (the tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../shared/paths.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The URL of a service's ready record, or undefined for any other line. */
export function readyUrl(line: string): string | undefined {
  if (!line.startsWith('{') || !line.includes('"ready"')) return undefined;
  try {
    const r = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return r.msg === 'ready' && typeof r.url === 'string' ? r.url : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeProcessOptions {
  /** A compiled script: absolute, or relative to the repository root. */
  script: string;
  /** Arguments after the script. */
  args?: readonly string[];
  /** Node's own flags, before the script (the service's V8 flags: shared/node-flags.ts). */
  execArgv?: readonly string[];
  /**
   * A command that runs node for us, node's path and arguments following it (`ip netns exec NS`,
   * `strace -f -o FILE`). The child is then that command: it must exec node or pass signals on.
   */
  launcher?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Default: the repository root. */
  cwd?: string;
  /** 'pipe' (default): lines reach onStdoutLine. A file descriptor: written there, unread. */
  stdout?: 'pipe' | number;
  stderr?: 'pipe' | 'inherit' | number;
  /** SIGKILL the child when this process exits (default true), so an interrupted run leaves nothing behind. */
  killOnExit?: boolean;
}

export interface NodeProcess {
  child: ChildProcess;
  /** Resolves when the child has exited, after its last piped lines were delivered. */
  exited: Promise<ExitInfo>;
  /** Calls `listener` with every stdout line from now on (piped stdout only); returns the unsubscribe. */
  onStdoutLine: (listener: (line: string) => void) => () => void;
  onStderrLine: (listener: (line: string) => void) => () => void;
  /** Sends `signal` (default SIGTERM) and awaits the exit; SIGKILL after `killAfterMs` (default 15 s). */
  stop: (signal?: NodeJS.Signals, killAfterMs?: number) => Promise<ExitInfo>;
}

const tracked = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of tracked) child.kill('SIGKILL');
});

export function scriptPath(script: string): string {
  return isAbsolute(script) ? script : resolve(REPO_ROOT, script);
}

function lineFeed(stream: NodeJS.ReadableStream | null): (listener: (line: string) => void) => () => void {
  const listeners = new Set<(line: string) => void>();
  if (stream) createInterface({ input: stream }).on('line', (line) => {
    for (const l of listeners) l(line);
  });
  return (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
}

/** Spawns `[launcher] node [execArgv] script [args]`. */
export function spawnNode(opts: NodeProcessOptions): NodeProcess {
  const node = [process.execPath, ...(opts.execArgv ?? []), scriptPath(opts.script), ...(opts.args ?? [])];
  const [command, ...args] = [...(opts.launcher ?? []), ...node] as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe'],
  });
  if (opts.killOnExit !== false) tracked.add(child);
  const onStdoutLine = lineFeed(child.stdout);
  const onStderrLine = lineFeed(child.stderr);
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((res) => {
    child.once('exit', (code, signal) => {
      tracked.delete(child);
      exitInfo = { code, signal };
      // Let readline deliver the last lines before reporting the exit.
      setImmediate(() => res({ code, signal }));
    });
  });
  return {
    child,
    exited,
    onStdoutLine,
    onStderrLine,
    stop: async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) => {
      if (exitInfo) return exitInfo;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface ReadyOptions {
  /** Names the service in errors. */
  name: string;
  timeoutMs: number;
  /**
   * Read the ready line from this file (the child's stdout goes there) instead of the stdout pipe:
   * polled every 5 ms, so a parent that must not spend CPU on the child's log never reads it.
   */
  logFile?: string;
  /** Appended to the error messages (log tails, where the log is). */
  details?: () => string;
}

export interface Ready {
  url: string;
  /** Milliseconds from the call to the ready line. */
  readyMs: number;
}

/** Resolves on the ready line; rejects, after SIGKILLing the child, when it exits first or the time runs out. */
export function waitForReady(p: NodeProcess, opts: ReadyOptions): Promise<Ready> {
  const t0 = performance.now();
  const details = (): string => (opts.details ? `\n${opts.details()}` : '');
  return new Promise<Ready>((res, rej) => {
    let done = false;
    const cleanups: (() => void)[] = [];
    const finish = (err: Error | undefined, url?: string): void => {
      if (done) return;
      done = true;
      for (const c of cleanups) c();
      if (err) {
        p.child.kill('SIGKILL');
        rej(err);
      } else res({ url: url!, readyMs: performance.now() - t0 });
    };
    const check = (line: string): void => {
      const url = readyUrl(line);
      if (url !== undefined) finish(undefined, url);
    };
    if (opts.logFile !== undefined) {
      const logFile = opts.logFile;
      const poll = setInterval(() => {
        let text: string;
        try {
          text = readFileSync(logFile, 'utf8');
        } catch {
          return;
        }
        for (const line of text.split('\n')) if (line.includes('"msg":"ready"')) check(line);
      }, 5);
      cleanups.push(() => clearInterval(poll));
    } else {
      cleanups.push(p.onStdoutLine(check));
    }
    const timer = setTimeout(() => finish(new Error(`${opts.name}: no ready line within ${opts.timeoutMs} ms${details()}`)), opts.timeoutMs);
    cleanups.push(() => clearTimeout(timer));
    void p.exited.then(({ code, signal }) => finish(new Error(`${opts.name} exited (code ${code}, signal ${signal}) before ready${details()}`)));
  });
}

/** spawnNode + waitForReady; readyMs counts from just before the spawn. */
export async function startService(opts: NodeProcessOptions & Omit<ReadyOptions, 'name'> & { name?: string }): Promise<NodeProcess & Ready> {
  const t0 = performance.now();
  const p = spawnNode(opts);
  const { url } = await waitForReady(p, { ...opts, name: opts.name ?? opts.script });
  return { ...p, url, readyMs: performance.now() - t0 };
}
