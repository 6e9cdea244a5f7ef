/**
 * A real Prometheus (/usr/bin/prometheus, Debian's package) for the operations tests: own temp
 * storage, loopback listen address on a free port, lifecycle API for a clean quit, and a tiny
 * HTTP API client. See /work/shared/notes/prometheus.md for the measured start-up behaviour.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value] */
  value: [number, string];
}

export interface PromRangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface RunningPrometheus {
  url: string;
  child: ChildProcess;
  log: string[];
  query(expr: string, time?: number): Promise<PromSample[]>;
  /** Raw samples of a range-vector selector (`metric[30s]`), with their own timestamps. */
  querySamples(selector: string, time?: number): Promise<PromRangeSeries[]>;
  targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

export async function startPrometheus(configFile: string, workDir: string, timeoutMs = 30_000): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(workDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => log.push(...d.split('\n').filter(Boolean)));
  const killer = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killer);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log.slice(-20).join('\n')}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready in ${timeoutMs} ms:\n${log.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    child,
    log,
    query: (expr, time) =>
      api<{ result: PromSample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}${time !== undefined ? `&time=${time}` : ''}`).then((d) => d.result),
    querySamples: (selector, time) =>
      api<{ result: PromRangeSeries[] }>(`${url}/api/v1/query?query=${encodeURIComponent(selector)}${time !== undefined ? `&time=${time}` : ''}`).then((d) => d.result),
    targets: () =>
      api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] }>(`${url}/api/v1/targets?state=active`).then(
        (d) => d.activeTargets,
      ),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        await fetch(`${url}/-/quit`, { method: 'POST' });
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
      process.off('exit', killer);
    },
  };
}

/** Polls `check` every 250 ms until it returns a value (not undefined) or the bound runs out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
