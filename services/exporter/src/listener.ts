/**
 * Listener: the channel's Unix domain socket. It owns the socket file (a private directory,
 * mode 0600, a stale file from a crash removed), accepts any number of worker connections,
 * frames each byte stream into lines, parses them, hands events to the handler and acknowledges
 * what it received.
 *
 * Each connection is processed synchronously per chunk, so the exporter never buffers more than
 * one partial line per connection: when it falls behind, the kernel socket buffer fills and the
 * workers see backpressure (and count what their bounded queues cannot hold).
 */
import { lstat, mkdir, stat, unlink, chmod } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { encodeAck } from '../../../shared/event-encode.js';
import { MAX_FRAME_BYTES, type ChannelEvent, type MalformedReason } from '../../../shared/events.js';
import { LineSplitter, type LineSink } from './framing.js';
import { FrameParser } from './parser.js';

export interface ChannelHandler {
  connected(id: number): void;
  disconnected(id: number): void;
  /** Called once per received chunk, before its frames, with the receive time. */
  chunk(nowMs: number): void;
  event(id: number, event: ChannelEvent): void;
  malformed(id: number, reason: MalformedReason): void;
}

export interface ListenerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ListenerOptions {
  socketPath: string;
  handler: ChannelHandler;
  log: ListenerLogger;
  /** Connections beyond this are closed at once (default 256). */
  maxConnections?: number;
  /** Acks are coalesced: at most one per connection per interval (default 100 ms): each one wakes a worker. */
  ackIntervalMs?: number;
  maxFrameBytes?: number;
}

/** An ack is skipped (the next one is cumulative) when the peer is not reading them. */
const ACK_BACKLOG_LIMIT = 64 * 1024;

class Connection implements LineSink {
  readonly splitter: LineSplitter;
  private readonly parser = new FrameParser();
  /** Lines received (all of them: valid, malformed, oversized), the number acks carry. */
  received = 0;
  private acked = 0;
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly handler: ChannelHandler,
    private readonly ackIntervalMs: number,
    maxFrameBytes: number,
  ) {
    this.splitter = new LineSplitter(maxFrameBytes, this);
  }

  line(line: string): void {
    const r = this.parser.parse(line);
    if (typeof r === 'string') this.handler.malformed(this.id, r);
    else this.handler.event(this.id, r);
  }

  oversized(): void {
    this.handler.malformed(this.id, 'oversized');
  }

  data(chunk: Buffer): void {
    this.handler.chunk(Date.now());
    this.received += this.splitter.push(chunk);
    if (this.received !== this.acked && this.ackTimer === undefined) {
      this.ackTimer = setTimeout(this.ackNow, this.ackIntervalMs);
    }
  }

  readonly ackNow = (): void => {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.received === this.acked || !this.socket.writable || this.socket.writableLength > ACK_BACKLOG_LIMIT) return;
    this.acked = this.received;
    this.socket.write(encodeAck(this.received));
  };

  dispose(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }
}

/** Makes sure the socket's directory is private and no stale socket file is in the way. */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const d = await stat(dir);
  const uid = process.getuid?.();
  if (!d.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (uid !== undefined && d.uid !== uid) {
    throw new Error(`${dir} belongs to uid ${d.uid}, not to this process (uid ${uid}): refusing to put the channel socket there`);
  }
  if ((d.mode & 0o022) !== 0) {
    throw new Error(`${dir} is writable by group or others (mode ${(d.mode & 0o777).toString(8)}): another user could replace the channel socket`);
  }
  let existing;
  try {
    existing = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket: refusing to remove it`);
  if (await isLive(socketPath)) throw new Error(`another exporter is listening on ${socketPath}`);
  await unlink(socketPath);
}

function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ChannelListener {
  private server: Server | undefined;
  private readonly connections = new Map<number, Connection>();
  private nextId = 1;
  private readonly maxConnections: number;
  private readonly ackIntervalMs: number;
  private readonly maxFrameBytes: number;

  constructor(private readonly opts: ListenerOptions) {
    this.maxConnections = opts.maxConnections ?? 256;
    this.ackIntervalMs = opts.ackIntervalMs ?? 100;
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<void> {
    const { socketPath, log } = this.opts;
    await prepareSocketPath(socketPath);
    const server = createServer((socket) => this.accept(socket));
    server.on('error', (err) => log.warn({ err }, 'channel server error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The directory is private already; the mode is the second lock on the door.
    await chmod(socketPath, 0o600);
    this.server = server;
    log.info({ socket: socketPath }, 'channel listening');
  }

  private accept(socket: Socket): void {
    const { handler, log } = this.opts;
    if (this.connections.size >= this.maxConnections) {
      log.warn({ max: this.maxConnections }, 'channel connection refused: too many connections');
      socket.destroy();
      return;
    }
    const conn = new Connection(this.nextId++, socket, handler, this.ackIntervalMs, this.maxFrameBytes);
    this.connections.set(conn.id, conn);
    handler.connected(conn.id);
    log.debug({ connection: conn.id }, 'publisher connected');
    socket.on('data', (chunk: Buffer) => conn.data(chunk));
    socket.on('error', (err) => log.debug({ connection: conn.id, err: err.message }, 'publisher connection error'));
    socket.on('close', () => {
      // A frame the disconnect cut off never gets its newline: report it instead of losing it silently.
      if (conn.splitter.end()) handler.malformed(conn.id, 'truncated');
      conn.dispose();
      this.connections.delete(conn.id);
      handler.disconnected(conn.id);
      log.debug({ connection: conn.id, received: conn.received }, 'publisher disconnected');
    });
  }

  /**
   * Stops accepting; then, for up to `drainMs`, keeps reading and acknowledging the connected
   * workers until they disconnect by themselves (when the whole service stops at once, e.g. a
   * terminal's Ctrl-C reaching every process, the workers are flushing their last events right
   * now); then acknowledges everything received and closes what is left (forcibly after
   * `graceMs`). The socket file is removed.
   */
  async close(graceMs = 1000, drainMs = 0): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (drainMs > 0 && this.connections.size > 0) {
      this.opts.log.info({ publishers: this.connections.size, drain_ms: drainMs }, 'waiting for publishers to disconnect');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, drainMs))]);
    }
    const conns = [...this.connections.values()];
    for (const c of conns) {
      c.ackNow();
      c.socket.end();
    }
    const timer = setTimeout(() => {
      for (const c of conns) c.socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
    await unlink(this.opts.socketPath).catch(() => undefined);
  }
}
