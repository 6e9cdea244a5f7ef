/**
 * Channel test helpers: an in-process exporter listener that records what arrives, raw socket
 * servers that misbehave on purpose (never read, never acknowledge, die), bounded polling, and
 * Prometheus text parsing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChannelEvent, MalformedReason } from '../../shared/events.js';
import { ChannelListener } from '../../services/exporter/src/listener.js';

export const QUIET = { info() {}, warn() {}, debug() {} };

/** A private directory (mode 0700 from mkdtemp) for one test's sockets; removed at exit. */
export function scratchDir(prefix = 'channel-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `cond` every 10 ms until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RecordingListener {
  listener: ChannelListener;
  events: ChannelEvent[];
  malformed: MalformedReason[];
  chunks: number;
  count(type: ChannelEvent['type']): number;
  close(): Promise<void>;
}

/** The exporter's real listener (framing, parser, acks) with a handler that records events. */
export async function recordingListener(socketPath: string): Promise<RecordingListener> {
  const rec = {
    events: [] as ChannelEvent[],
    malformed: [] as MalformedReason[],
    chunks: 0,
  };
  const listener = new ChannelListener({
    socketPath,
    log: QUIET,
    handler: {
      connected() {},
      disconnected() {},
      chunk() {
        rec.chunks++;
      },
      event(_id, e) {
        rec.events.push(e);
      },
      malformed(_id, reason) {
        rec.malformed.push(reason);
      },
    },
  });
  await listener.listen();
  return {
    listener,
    get events() {
      return rec.events;
    },
    get malformed() {
      return rec.malformed;
    },
    get chunks() {
      return rec.chunks;
    },
    count: (type) => rec.events.filter((e) => e.type === type).length,
    close: () => listener.close(200),
  };
}

export interface RawServer {
  server: Server;
  sockets: Set<Socket>;
  /** Complete lines read so far (when reading). */
  lines(): string[];
  close(): Promise<void>;
}

/**
 * A socket server that is not an exporter: it reads and never acknowledges (`read: true`) or
 * never reads at all (`read: false`), so the peer's kernel buffer fills.
 */
export async function rawServer(socketPath: string, opts: { read: boolean }): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let text = '';
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    if (opts.read) s.on('data', (d: Buffer) => (text += d.toString('utf8')));
    else s.pause();
  });
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  await new Promise<void>((res) => server.listen(socketPath, res));
  return {
    server,
    sockets,
    lines: () => text.split('\n').slice(0, -1),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

/** Sample values of a Prometheus text exposition, keyed by `name{labels}` as written. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of `name` whose labels include all of `match` (e.g. {route: "/predict"}). */
export function sumOf(metrics: Map<string, number>, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of metrics) {
    const brace = key.indexOf('{');
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const labels = brace < 0 ? '' : key.slice(brace);
    const has = ([k, v]: [string, string]): boolean => labels.includes(`{${k}="${v}"`) || labels.includes(`,${k}="${v}"`);
    if (Object.entries(match).every(has)) sum += value;
  }
  return sum;
}
