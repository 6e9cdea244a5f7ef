/**
 * The real stack for reliability and security tests: the compiled exporter and inference
 * service (dist/) on loopback, port 0, sharing a channel socket in the test's own private temp
 * dir. Optionally each process gets a GC probe: a preload (written to the temp dir, passed with
 * NODE_OPTIONS) that on SIGUSR2 runs a full GC and prints its memory usage to stderr, so a test
 * can compare heap before and after a run without changing the service.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrape, sum } from './fuzz-prom.js';
import { spawnService, type EnvOverrides, type SpawnedService } from './spawn.js';

export const INFERENCE_MAIN = 'dist/services/inference/src/main.js';
export const EXPORTER_MAIN = 'dist/services/exporter/src/main.js';

/** Variables a developer's shell might hold that would change what a test measures. */
const HERMETIC: EnvOverrides = {
  HOST: '127.0.0.1',
  WORKERS: undefined,
  WORKER_ID: undefined,
  NODE_APP_INSTANCE: undefined,
  METRICS_TOKEN: undefined,
  FEEDBACK_TOKEN: undefined,
  MODEL_PATH: undefined,
  XDG_RUNTIME_DIR: undefined,
  NODE_OPTIONS: undefined,
  LOG_LEVEL: 'info',
};

const GC_PROBE = `'use strict';
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc(); }
  const m = process.memoryUsage();
  process.stderr.write('GCPROBE ' + JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + '\\n');
});
`;

export interface Scratch {
  dir: string;
  /** A private (0700) directory holding the channel socket. */
  socket: string;
  gcProbe: string;
  cleanup(): void;
}

export function makeScratch(prefix = 'reliability-'): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { mode: 0o700 });
  const gcProbe = join(dir, 'gc-probe.cjs');
  writeFileSync(gcProbe, GC_PROBE);
  return { dir, socket: join(runDir, 'events.sock'), gcProbe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StartOptions {
  env?: EnvOverrides;
  /** Preload the GC probe (see memoryProbe). */
  gcProbe?: boolean;
  readyTimeoutMs?: number;
}

function probeEnv(scratch: Scratch, on: boolean | undefined): EnvOverrides {
  return on ? { NODE_OPTIONS: `--expose-gc --require ${scratch.gcProbe}` } : {};
}

export function startExporter(scratch: Scratch, opts: StartOptions = {}): Promise<SpawnedService> {
  return spawnService(EXPORTER_MAIN, {
    env: { ...HERMETIC, EXPORTER_PORT: '0', EVENTS_SOCKET: scratch.socket, SAMPLE_INTERVAL_MS: '1000', ...probeEnv(scratch, opts.gcProbe), ...opts.env },
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
  });
}

export function startInference(scratch: Scratch, opts: StartOptions = {}): Promise<SpawnedService> {
  return spawnService(INFERENCE_MAIN, {
    env: {
      ...HERMETIC,
      INFERENCE_PORT: '0',
      EVENTS_SOCKET: scratch.socket,
      // Stats frames often enough that the exporter's mirror of the books catches up in a test.
      EVENTS_STATS_INTERVAL_MS: '200',
      ...probeEnv(scratch, opts.gcProbe),
      ...opts.env,
    },
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
  });
}

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Full GC in the child (needs `gcProbe: true`), then its process.memoryUsage(). */
export async function memoryProbe(svc: SpawnedService, timeoutMs = 10_000): Promise<MemoryReading> {
  const seen = svc.stderr.length;
  svc.child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (let i = seen; i < svc.stderr.length; i++) {
      const line = svc.stderr[i]!;
      if (line.startsWith('GCPROBE ')) return JSON.parse(line.slice(8)) as MemoryReading;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no GC probe answer (was the service started with gcProbe: true?)');
}

export const MB = 1024 * 1024;
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/**
 * Waits until the publishers' books, as the exporter mirrors them from their stats frames, are
 * settled: every data event they published is delivered (acknowledged) or dropped, nothing is
 * queued, and the exporter's received count has stopped moving over two scrapes a stats
 * interval apart. Scrapes only the exporter, so waiting adds no requests of its own.
 */
export async function waitForDelivery(exporterUrl: string, timeoutMs = 20_000, stableMs = 450): Promise<boolean> {
  const read = async (): Promise<{ received: number; published: number; settled: boolean }> => {
    const { samples } = await scrape(exporterUrl);
    const published = sum(samples, 'spam_detector_exporter_publisher_published_events');
    const delivered = sum(samples, 'spam_detector_exporter_publisher_delivered_events');
    const dropped = sum(samples, 'spam_detector_exporter_publisher_dropped_events');
    const queued = sum(samples, 'spam_detector_exporter_publisher_queued_events');
    const received = sum(samples, 'spam_detector_exporter_events_received_total', { type: 'request' }) + sum(samples, 'spam_detector_exporter_events_received_total', { type: 'feedback' });
    return { received, published, settled: published > 0 && published === delivered + dropped && queued === 0 };
  };
  const deadline = Date.now() + timeoutMs;
  let last: { received: number; published: number } | undefined;
  while (Date.now() < deadline) {
    const r = await read();
    if (r.settled && last !== undefined && r.received === last.received && r.published === last.published) return true;
    last = r.settled ? r : undefined;
    await new Promise((res) => setTimeout(res, stableMs));
  }
  return false;
}
