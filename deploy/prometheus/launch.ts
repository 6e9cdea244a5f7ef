/**
 * Start and stop Prometheus and Alertmanager as child processes on loopback, each with its own
 * data directory: used by `npm run stack` (scripts/stack.ts) and by the end-to-end test
 * (test/helpers/prometheus.ts). Facts this relies on, measured on the Debian 12 packages
 * (Prometheus 2.42, Alertmanager 0.25): /-/ready answers in ~0.3 s but the first scrape lands ~6 s after start, so
 * callers poll /api/v1/targets; POST /-/quit (with --web.enable-lifecycle) stops Prometheus in
 * ~0.1 s; Alertmanager's binary is `prometheus-alertmanager` and it opens a cluster port on
 * 0.0.0.0:9094 unless --cluster.listen-address is empty.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOOPBACK = '127.0.0.1';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  logTail(lines?: number): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Asks the process to stop (HTTP /-/quit where it has one, else SIGTERM); SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/** A port that was free a moment ago (the OS picks it); callers retry if a race takes it. */
export async function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The first of `candidates` found on PATH (or as an absolute path), else undefined. */
export function findBinary(...candidates: string[]): string | undefined {
  for (const c of candidates) {
    const r = spawnSync('sh', ['-c', 'command -v "$0"', c], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

export const PROMETHEUS_BIN = 'prometheus';
/** Debian names the binary prometheus-alertmanager; upstream tarballs call it alertmanager. */
export const ALERTMANAGER_BINS = ['prometheus-alertmanager', 'alertmanager'] as const;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a Prometheus behind if the caller dies without stopping it.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

interface LaunchSpec {
  name: string;
  bin: string;
  args: (port: number) => string[];
  /** Preferred port; 0 picks a free one (and retries on a lost race). */
  port: number;
  /** Whether POST /-/quit stops it (Prometheus with --web.enable-lifecycle). */
  httpQuit: boolean;
  readyTimeoutMs: number;
}

async function launchOnce(spec: LaunchSpec, port: number): Promise<ManagedProcess> {
  const child = spawn(spec.bin, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const log: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log.push(line);
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code) => {
      exitCode = code;
      res(code);
    });
    child.once('error', (err) => {
      log.push(String(err));
      exitCode = -1;
      res(-1);
    });
  });
  const url = `http://${LOOPBACK}:${port}`;
  const proc: ManagedProcess = {
    name: spec.name,
    pid: child.pid ?? -1,
    port,
    url,
    exited,
    logTail: (n = 30) => log.slice(-n).join('\n'),
    async stop(timeoutMs = 10_000) {
      if (exitCode !== undefined) return;
      if (spec.httpQuit) {
        await fetch(`${url}/-/quit`, { method: 'POST', signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      } else {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + spec.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${spec.name} exited (${exitCode}) before it was ready:\n${proc.logTail()}`);
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return proc;
    await sleep(100);
  }
  await proc.stop(2_000);
  throw new Error(`${spec.name} not ready on ${url} within ${spec.readyTimeoutMs} ms:\n${proc.logTail()}`);
}

async function launch(spec: LaunchSpec): Promise<ManagedProcess> {
  // With a fixed port, one try; with port 0, the port found free may be taken before the child
  // binds it, so try a few fresh ones.
  const attempts = spec.port === 0 ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = spec.port === 0 ? await freePort() : spec.port;
    try {
      return await launchOnce(spec, port);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export interface PrometheusOptions {
  configFile: string;
  dataDir: string;
  /** 0 (default): a free loopback port. */
  port?: number;
  readyTimeoutMs?: number;
}

export function startPrometheus(o: PrometheusOptions): Promise<ManagedProcess> {
  return launch({
    name: 'prometheus',
    bin: PROMETHEUS_BIN,
    port: o.port ?? 0,
    httpQuit: true,
    readyTimeoutMs: o.readyTimeoutMs ?? 20_000,
    args: (port) => [
      `--config.file=${o.configFile}`,
      `--storage.tsdb.path=${o.dataDir}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      `--web.external-url=http://${LOOPBACK}:${port}`,
      '--web.enable-lifecycle',
      // Without it the first alert reaches Alertmanager only ~1 min after start (it is sent
      // before Alertmanager is discovered, dropped, and resent a minute later).
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
    ],
  });
}

export interface AlertmanagerOptions {
  configFile: string;
  dataDir: string;
  port?: number;
  readyTimeoutMs?: number;
}

export function startAlertmanager(o: AlertmanagerOptions): Promise<ManagedProcess> {
  const bin = findBinary(...ALERTMANAGER_BINS);
  if (!bin) return Promise.reject(new Error(`Alertmanager not found (tried ${ALERTMANAGER_BINS.join(', ')}); apt-get install prometheus-alertmanager`));
  return launch({
    name: 'alertmanager',
    bin,
    port: o.port ?? 0,
    httpQuit: false,
    readyTimeoutMs: o.readyTimeoutMs ?? 20_000,
    args: (port) => [
      `--config.file=${o.configFile}`,
      `--storage.path=${o.dataDir}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      `--web.external-url=http://${LOOPBACK}:${port}`,
      // Empty: no gossip cluster port on 0.0.0.0:9094.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
  });
}

interface TargetsResponse {
  data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] };
}

/**
 * Polls /api/v1/targets until every target of `jobs` is up (the first scrape lands only ~6 s
 * after Prometheus starts, so a fixed sleep would be both slow and flaky).
 */
export async function waitForTargetsUp(prometheusUrl: string, jobs: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const body = await fetch(`${prometheusUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.json() as Promise<TargetsResponse>)
      .catch(() => undefined);
    if (body) {
      const targets = body.data.activeTargets.filter((t) => jobs.includes(t.labels.job ?? ''));
      const up = new Set(targets.filter((t) => t.health === 'up').map((t) => t.labels.job));
      if (jobs.every((j) => up.has(j))) return;
      last = targets.map((t) => `${t.labels.job} ${t.scrapeUrl} ${t.health} ${t.lastError}`).join('; ') || 'no targets yet';
    }
    await sleep(250);
  }
  throw new Error(`targets of ${jobs.join(', ')} not up within ${timeoutMs} ms: ${last}`);
}
