/**
 * Spawn a compiled service from dist/ and wait for its `"msg":"ready"` log line, which carries the
 * real URL (services start with port 0 in tests), through scripts/lib/service-process.ts. Every
 * child is killed when the test process exits, so a failing test never leaves a service behind.
 * Tests run the services without the V8 flags of shared/node-flags.ts (Node's defaults).
 */
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../../shared/paths.js';
import { spawnNode, waitForReady, type ExitInfo, type NodeProcess } from '../../scripts/lib/service-process.js';

export { REPO_ROOT, type ExitInfo };

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

/** A started child and every line it has written so far. */
interface Started extends NodeProcess {
  stdout: string[];
  stderr: string[];
}

function start(script: string, opts: SpawnOptions): Started {
  const p = spawnNode({ script, args: opts.args ?? [], cwd: opts.cwd ?? REPO_ROOT, env: buildEnv(opts.env) });
  const stdout: string[] = [];
  const stderr: string[] = [];
  p.onStdoutLine((line) => stdout.push(line));
  p.onStderrLine((line) => stderr.push(line));
  return { ...p, stdout, stderr };
}

function tail(lines: string[], n = 20): string {
  return lines.slice(-n).join('\n');
}

/** Start a service and wait until it logs `"msg":"ready"` with a `url`. */
export async function spawnService(script: string, opts: SpawnOptions = {}): Promise<SpawnedService> {
  const s = start(script, opts);
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;

  const logs = (): string => `stdout:\n${tail(s.stdout)}\nstderr:\n${tail(s.stderr)}`;
  const { url } = await waitForReady(s, { name: script, timeoutMs, details: logs });

  const port = Number(new URL(url).port);
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
        const off = s.onStdoutLine(check);
        const timer = setTimeout(() => {
          off();
          rej(new Error(`no matching log record within ${waitMs} ms\nstdout:\n${tail(s.stdout)}`));
        }, waitMs);
        for (const line of s.stdout) if (check(line)) return;
      });
    },
    stop: s.stop,
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
