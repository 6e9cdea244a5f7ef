/**
 * Micro-benchmark: channel events per second ONE exporter ingests on one core (target >= 200k).
 *
 *   node dist/bench/exporter-ingest.js [--seconds 5] [--writers 2] [--json]
 *
 * Two measurements on the same mix of frames (written by the workers' template encoder):
 * - "pipeline": framing + parsing + validation + metric updates in this process, fed 64 KiB
 *   chunks as a socket would deliver them (no I/O: the exporter's CPU cost per event; divided
 *   by this process's CPU time too, as other processes may share the core);
 * - "socket": the compiled exporter (dist/) as its own process, fed over its Unix socket by
 *   writer connections from this process as fast as it acknowledges; the rate is read from its
 *   own /metrics, and divided by the CPU time it used (pidusage), so a shared machine does not
 *   flatter or penalise it: events per CPU-second is events/s on one fully used core.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import pidusage from 'pidusage';
import { Registry } from 'prom-client';
import { EventEncoder } from '../shared/event-encode.js';
import { createIngest } from '../services/exporter/src/exporter.js';
import { LineSplitter } from '../services/exporter/src/framing.js';
import { FrameParser } from '../services/exporter/src/parser.js';
import { MAX_FRAME_BYTES } from '../shared/events.js';
import { NODE_FLAGS, withServiceEnv } from '../shared/node-flags.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// Compiled: dist/bench -> repo root is two levels up.
const ROOT = HERE.endsWith(join('dist', 'bench')) ? resolve(HERE, '..', '..') : resolve(HERE, '..');

export interface IngestResult {
  mode: 'pipeline' | 'socket';
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** The ingesting process's CPU seconds over the window, and events per CPU-second. */
  cpuSeconds?: number;
  eventsPerCpuSecond?: number;
}

/** A realistic mix: mostly single predictions, some batches, client errors and feedback. */
export function sampleFrames(n: number, worker = '0', pid = 4242): string[] {
  const enc = new EventEncoder({ worker, pid }, 'tfidf-lr-b1a3e0952759');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 20;
    if (k === 0) {
      out.push(enc.request({ route: '/predict', method: 'POST', status: 400, errorCode: 'EMPTY_TEXT', latencySeconds: 0.0004 + (i % 7) * 1e-5 }));
    } else if (k === 1) {
      out.push(enc.feedback(i % 3 === 0 ? 'spam' : 'ham', 'spam'));
    } else if (k === 2) {
      const predictions = Array.from({ length: 8 }, (_, j) => ({ label: j % 2 ? 'spam' : 'ham', confidence: 0.6 + j * 0.04, text_length: 40 + j * 90 }) as const);
      out.push(enc.request({ route: '/invocations', method: 'POST', status: 200, latencySeconds: 0.0031, inferenceSeconds: 0.0019, batchSize: 8, predictions }));
    } else {
      out.push(
        enc.request({
          route: '/predict',
          method: 'POST',
          status: 200,
          latencySeconds: 0.0011 + (i % 13) * 1e-4,
          inferenceSeconds: 0.00042 + (i % 11) * 1e-5,
          batchSize: 1,
          predictions: [{ label: i % 3 === 0 ? 'spam' : 'ham', confidence: 0.5 + (i % 50) / 100, text_length: 20 + (i % 400) }],
        }),
      );
    }
  }
  return out;
}

/** Frames packed into chunks of at most `size` bytes, each ending on a frame boundary. */
function chunks(frames: readonly string[], size: number): { buffers: Buffer[]; frames: number[] } {
  const buffers: Buffer[] = [];
  const counts: number[] = [];
  let cur = '';
  let n = 0;
  for (const f of frames) {
    if (cur.length + f.length > size && n > 0) {
      buffers.push(Buffer.from(cur));
      counts.push(n);
      cur = '';
      n = 0;
    }
    cur += f;
    n++;
  }
  if (n > 0) {
    buffers.push(Buffer.from(cur));
    counts.push(n);
  }
  return { buffers, frames: counts };
}

export function benchPipeline(seconds: number): IngestResult {
  const ingest = createIngest(new Registry());
  const parser = new FrameParser();
  const h = ingest.handler;
  h.connected(1);
  const splitter = new LineSplitter(MAX_FRAME_BYTES, {
    line(line) {
      const r = parser.parse(line);
      if (typeof r === 'string') h.malformed(1, r);
      else h.event(1, r);
    },
    oversized() {
      h.malformed(1, 'oversized');
    },
  });
  const { buffers } = chunks(sampleFrames(20_000), 64 * 1024);
  // Warm-up so the JIT has settled before the clock starts.
  for (const b of buffers) splitter.push(b);
  let events = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    for (const b of buffers) {
      h.chunk(Date.now());
      events += splitter.push(b);
    }
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (ingest.telemetry.malformed.total() !== 0) throw new Error('benchmark frames were rejected as malformed');
  return { mode: 'pipeline', events, seconds: elapsed, eventsPerSecond: events / elapsed, cpuSeconds, eventsPerCpuSecond: events / cpuSeconds };
}

async function scrapeReceived(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('spam_detector_exporter_events_received_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A writer that keeps its connection's socket buffer full, rewriting the same frames. */
function blast(socketPath: string, buffers: readonly Buffer[]): { stop(): void } {
  let stopped = false;
  let socket: Socket | undefined = createConnection(socketPath);
  socket.on('data', () => undefined); // acks: read and ignore
  socket.on('error', () => undefined);
  let i = 0;
  const pump = (): void => {
    while (!stopped && socket) {
      const ok = socket.write(buffers[i]!);
      i = (i + 1) % buffers.length;
      if (!ok) return;
    }
  };
  socket.on('connect', pump);
  socket.on('drain', pump);
  return {
    stop() {
      stopped = true;
      socket?.destroy();
      socket = undefined;
    },
  };
}

export async function benchSocket(seconds: number, writers: number): Promise<IngestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const socketPath = join(dir, 'ch', 'events.sock');
  const child = spawn(process.execPath, [...NODE_FLAGS.exporter, join(ROOT, 'dist', 'services', 'exporter', 'src', 'main.js')], {
    env: withServiceEnv({ ...process.env, EVENTS_SOCKET: socketPath, EXPORTER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '60000' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error('exporter did not get ready')), 20_000);
      child.once('exit', (code) => rej(new Error(`exporter exited (${code})`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /"url":"([^"]+)"/.exec(line);
        if (m && line.includes('"msg":"ready"')) {
          clearTimeout(t);
          res(m[1]!);
        }
      });
    });
    const pid = child.pid!;
    const frames = sampleFrames(20_000, '0', process.pid);
    const { buffers } = chunks(frames, 256 * 1024);
    const ws = Array.from({ length: writers }, () => blast(socketPath, buffers));
    // Warm-up, then a measured window.
    await new Promise((r) => setTimeout(r, 1000));
    const e0 = await scrapeReceived(url);
    const c0 = await pidusage(pid);
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const e1 = await scrapeReceived(url);
    const c1 = await pidusage(pid);
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const w of ws) w.stop();
    const cpuSeconds = (c1.ctime - c0.ctime) / 1000;
    const events = e1 - e0;
    return {
      mode: 'socket',
      events,
      seconds: elapsed,
      eventsPerSecond: events / elapsed,
      cpuSeconds,
      eventsPerCpuSecond: cpuSeconds > 0 ? events / cpuSeconds : 0,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    pidusage.clear();
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  const writers = arg('writers', 2);
  const results = [benchPipeline(seconds), await benchSocket(seconds, writers)];
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  for (const r of results) {
    const extra = r.eventsPerCpuSecond !== undefined ? `, ${r.cpuSeconds!.toFixed(2)} CPU s -> ${Math.round(r.eventsPerCpuSecond)} events per CPU-second` : '';
    process.stdout.write(`${r.mode}: ${r.events} events in ${r.seconds.toFixed(2)} s = ${Math.round(r.eventsPerSecond)} events/s${extra}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
