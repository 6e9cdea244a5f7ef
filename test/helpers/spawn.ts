/**
 * Spawn a compiled service from dist/ and wait for its `"msg":"ready"` log line, which carries the
 * real URL (services start with port 0 in tests). Every child is tracked and killed when the test
 * process exits, so a failing test never leaves a service behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export type EnvOverrides = Record<string, string | undefined>;

export interface SpawnOptions {
  /** Merged over process.env; an `undefined` value removes the variable. */
  env?: EnvOverrides;
  args?: string[];
  cwd?: string;
  /** How long to wait for the ready line (default 20 s). */
  readyTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedService {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Every stdout line so far (raw text); grows while the process runs. */
  stdout: string[];
  stderr: string[];
  /** The stdout lines that parsed as JSON objects (pino records). */
  records(): Record<string, unknown>[];
  /** Resolves with the first JSON stdout record (past or future) that matches. */
  waitForRecord(match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<ExitInfo>;
  /** Sends `signal` (default SIGTERM) and awaits exit; SIGKILLs after `timeoutMs` (default 15 s). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
}

export interface RunResult extends ExitInfo {
  stdout: string[];
  stderr: string[];
  timedOut: boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function scriptPath(script: string): string {
  return isAbsolute(script) ? script : resolve(REPO_ROOT, script);
}

function buildEnv(overrides: EnvOverrides = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<ExitInfo>;
  onLine(listener: (line: string) => void): () => void;
}

function start(script: string, opts: SpawnOptions): Started {
  const child = spawn(process.execPath, [scriptPath(script), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: buildEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    for (const l of listeners) l(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<ExitInfo>((res) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      // Let readline flush the last lines before reporting the exit.
      setImmediate(() => res({ code, signal }));
    });
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function tail(lines: string[], n = 20): string {
  return lines.slice(-n).join('\n');
}

/** Start a service and wait until it logs `"msg":"ready"` with a `url`. */
export async function spawnService(script: string, opts: SpawnOptions = {}): Promise<SpawnedService> {
  const s = start(script, opts);
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;

  const url = await new Promise<string>((res, rej) => {
    let done = false;
    const finish = (err: Error | undefined, value?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off();
      if (err) {
        s.child.kill('SIGKILL');
        rej(err);
      } else res(value!);
    };
    const check = (line: string): void => {
      const r = parseRecord(line);
      if (r && r.msg === 'ready' && typeof r.url === 'string') finish(undefined, r.url);
    };
    const off = s.onLine(check);
    for (const line of s.stdout) check(line);
    const timer = setTimeout(
      () => finish(new Error(`${script}: no ready line within ${timeoutMs} ms\nstdout:\n${tail(s.stdout)}\nstderr:\n${tail(s.stderr)}`)),
      timeoutMs,
    );
    void s.exited.then(({ code, signal }) =>
      finish(new Error(`${script} exited (code ${code}, signal ${signal}) before ready\nstdout:\n${tail(s.stdout)}\nstderr:\n${tail(s.stderr)}`)),
    );
  });

  const port = Number(new URL(url).port);
  let exitInfo: ExitInfo | undefined;
  void s.exited.then((info) => (exitInfo = info));

  return {
    url,
    port,
    pid: s.child.pid!,
    child: s.child,
    stdout: s.stdout,
    stderr: s.stderr,
    exited: s.exited,
    records: () => s.stdout.map(parseRecord).filter((r): r is Record<string, unknown> => r !== undefined),
    waitForRecord(match, waitMs = 10_000) {
      return new Promise((res, rej) => {
        const check = (line: string): boolean => {
          const r = parseRecord(line);
          if (r && match(r)) {
            clearTimeout(timer);
            off();
            res(r);
            return true;
          }
          return false;
        };
        const off = s.onLine(check);
        const timer = setTimeout(() => {
          off();
          rej(new Error(`no matching log record within ${waitMs} ms\nstdout:\n${tail(s.stdout)}`));
        }, waitMs);
        for (const line of s.stdout) if (check(line)) return;
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exitInfo) return exitInfo;
      s.child.kill(signal);
      const timer = setTimeout(() => s.child.kill('SIGKILL'), timeoutMs);
      try {
        return await s.exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Run a process to completion (e.g. a service that must refuse to start); SIGKILL after `timeoutMs`. */
export async function runToExit(script: string, opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  const s = start(script, opts);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    s.child.kill('SIGKILL');
  }, opts.timeoutMs ?? 20_000);
  const info = await s.exited;
  clearTimeout(timer);
  return { ...info, stdout: s.stdout, stderr: s.stderr, timedOut };
}
