/**
 * The worker's end of the channel (docs/channel.md): one event per finished request, written to
 * the exporter's Unix socket without ever blocking or failing the request.
 *
 * - publish() only appends a pre-encoded line to a bounded queue (events and bytes); the queue
 *   is written at most once per flush interval (50 ms), or at once when a batch's worth (128 KiB)
 *   is waiting, as one write per batch. Every write wakes the exporter, and a wake-up costs far
 *   more than parsing one more line (measured on the 2-core dev VM: ~150-250 us of CPU for a
 *   process woken by a small socket write, versus ~2.5 us per event in full reads), so the
 *   interval bounds the wake-ups per worker (<= 20/s, plus one per 128 KiB) at any request rate.
 * - enqueue() takes frames from the encoder (shared/event-encode.ts), which are pure ASCII, and
 *   copies each into the batch buffer it will be written from (a chunk of maxBatchBytes): the
 *   queue holds bytes, not strings. A queued string would outlive a few young-generation GCs
 *   and be promoted, so every event would cost old-generation GC work; a copied one dies young.
 * - When the socket pushes back (write() returned false) the queue waits for 'drain'; when it is
 *   full, new events are dropped and counted. Nothing else buffers: memory stays bounded
 *   whatever the exporter does.
 * - When no exporter is there, the queue keeps what fits and the publisher reconnects with
 *   exponential backoff and full jitter.
 * - The exporter acknowledges the lines it received; lines written to a connection that breaks
 *   before their ack are counted as dropped ("unacknowledged"), so the books always balance:
 *   published = delivered + dropped + queued + in flight.
 */
import { createConnection, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../../../../shared/metric-builders.js';
import { EventEncoder, type RequestFields } from '../../../../shared/event-encode.js';
import {
  DROP_REASONS,
  MAX_FRAME_BYTES,
  type DropReason,
  type PublisherBooks,
  type PublisherIdentity,
} from '../../../../shared/events.js';
import { INFERENCE_METRICS as M, type MetricDef } from '../../../../shared/metrics.js';
import type { Label } from '../../../../shared/model-io.js';

export interface PublisherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface WorkerStats {
  activeConnections: number;
  inFlightRequests: number;
  ready: boolean;
}

export interface PublisherOptions {
  socketPath: string;
  identity: PublisherIdentity;
  modelVersion?: string;
  modelAccuracy?: number;
  /** Where the channel metrics (INFERENCE_METRICS events*) are registered, e.g. the /metrics registry. */
  registry?: Registry;
  log?: PublisherLogger;
  /** Queue bound in events (default 20,000: about 2 s of a busy worker). */
  queueMaxEvents?: number;
  /** Queue bound in bytes of encoded frames (default 8 MiB). */
  queueMaxBytes?: number;
  /**
   * Largest single write (default 128 KiB, ~430 events): large writes wake the exporter less,
   * and staying under the default socket buffer (208 KiB) avoids partial writes (measured on the
   * dev VM: ~0.5 ms CPU per MB written in 128 KiB writes, 2.5-5 ms per MB in 4-32 or 256 KiB).
   */
  maxBatchBytes?: number;
  /** Longest wait before queued events are written (default 50 ms); 0: every event-loop turn. */
  flushIntervalMs?: number;
  /** Interval of stats frames (default 5 s). */
  statsIntervalMs?: number;
  /** Source of the stats frames' gauges; the events plugin provides it. */
  stats?: () => WorkerStats;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Queued frames, copied back to back into a buffer that is written as one batch. */
interface Chunk {
  buf: Buffer;
  /** Bytes filled (= characters of the frames in it: frames are ASCII). */
  used: number;
  /** Data events in it. */
  events: number;
}

export interface PublisherSnapshot extends PublisherBooks {
  sent: number;
  dropped: Record<DropReason, number>;
  connected: boolean;
  /** Data lines written to the current connection and not yet acknowledged. */
  inFlight: number;
  /** Bytes handed to the socket that the kernel has not taken yet (bounded by one batch). */
  socketBufferedBytes: number;
}

const NOOP_LOG: PublisherLogger = { info() {}, warn() {}, debug() {} };

export class EventPublisher {
  private readonly encoder: EventEncoder;
  private readonly log: PublisherLogger;
  private readonly queueMaxEvents: number;
  private readonly queueMaxBytes: number;
  private readonly maxBatchBytes: number;
  private readonly statsIntervalMs: number;
  private readonly flushIntervalMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private statsSource: () => WorkerStats;
  private modelAccuracy: number;

  // The queue: chunks in write order; only the last one is still being filled.
  private chunks: Chunk[] = [];
  private queuedEvents = 0;
  private queueBytes = 0;
  /** A written chunk's buffer that the kernel already took, for the next chunk. */
  private spare: Buffer | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;

  // The connection.
  private socket: Socket | undefined;
  private connected = false;
  private connecting = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** errno code of the last connection error (ENOENT, EACCES, ECONNREFUSED...), for the log. */
  private lastErrorCode: string | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private ackBuffer = '';
  /** Lines written to this connection (data and control) and lines the exporter acknowledged. */
  private linesWritten = 0;
  private linesAcked = 0;
  /** Line numbers (1-based, this connection) of control frames not yet acknowledged. */
  private controlLines: number[] = [];

  // The books (data events only).
  private published = 0;
  private sent = 0;
  private delivered = 0;
  private readonly dropped: Record<DropReason, number>;
  private droppedTotal = 0;

  private started = false;
  private closing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: PublisherOptions) {
    this.encoder = new EventEncoder(opts.identity, opts.modelVersion ?? '');
    this.modelAccuracy = opts.modelAccuracy ?? 0;
    this.log = opts.log ?? NOOP_LOG;
    this.queueMaxEvents = opts.queueMaxEvents ?? 20_000;
    this.queueMaxBytes = opts.queueMaxBytes ?? 8 * 1024 * 1024;
    this.maxBatchBytes = opts.maxBatchBytes ?? 128 * 1024;
    this.statsIntervalMs = opts.statsIntervalMs ?? 5000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    this.reconnectMinMs = opts.reconnectMinMs ?? 50;
    this.reconnectMaxMs = opts.reconnectMaxMs ?? 2000;
    this.statsSource = opts.stats ?? (() => ({ activeConnections: 0, inFlightRequests: 0, ready: true }));
    this.dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
    this.socketPath = opts.socketPath;
    if (opts.registry) this.registerMetrics(opts.registry);
  }

  private readonly socketPath: string;

  /** Starts connecting (and reconnecting); events published before are queued. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.statsTimer = setInterval(() => this.sendStats(), this.statsIntervalMs);
    this.statsTimer.unref();
    this.connect();
  }

  setStatsSource(source: () => WorkerStats): void {
    this.statsSource = source;
  }

  /** The served model changed: later events carry the new version; the exporter gets a new hello. */
  setModel(version: string, accuracy: number): void {
    this.encoder.setModelVersion(version);
    this.modelAccuracy = accuracy;
    if (this.connected) this.writeControl(this.encoder.hello(this.modelAccuracy, this.books()));
  }

  publishRequest(fields: RequestFields): void {
    this.enqueue(this.encoder.request(fields));
  }

  publishFeedback(predicted: Label, actual: Label): void {
    this.enqueue(this.encoder.feedback(predicted, actual));
  }

  /** Queues one encoded data frame (a line ending in "\n"); never throws, never blocks. */
  enqueue(line: string): void {
    this.published++;
    if (this.closing) return this.drop('shutdown');
    const n = line.length;
    if (n > MAX_FRAME_BYTES) return this.drop('oversized');
    if (this.queuedEvents >= this.queueMaxEvents || this.queueBytes + n > this.queueMaxBytes) {
      return this.drop(this.connected ? 'queue_full' : 'disconnected');
    }
    const c = this.chunkWithRoom(n);
    // ASCII frames: one byte per character, written straight from the (unflattened) string.
    c.used += c.buf.write(line, c.used, 'latin1');
    c.events++;
    this.queuedEvents++;
    this.queueBytes += n;
    if (this.connected) this.scheduleFlush();
  }

  /** The chunk being filled if it has `bytes` free, else a new one (a spare buffer if there is one). */
  private chunkWithRoom(bytes: number): Chunk {
    const chunks = this.chunks;
    const last = chunks.length > 0 ? chunks[chunks.length - 1]! : undefined;
    if (last !== undefined && last.used + bytes <= last.buf.length) return last;
    // A frame longer than a batch (at most MAX_FRAME_BYTES) gets a chunk of its own size.
    let buf: Buffer;
    if (bytes <= this.maxBatchBytes && this.spare !== undefined) {
      buf = this.spare;
      this.spare = undefined;
    } else {
      buf = Buffer.allocUnsafe(Math.max(this.maxBatchBytes, bytes));
    }
    const c: Chunk = { buf, used: 0, events: 0 };
    chunks.push(c);
    return c;
  }

  private scheduleFlush(): void {
    if (this.flushImmediate !== undefined) return;
    if (this.flushIntervalMs === 0 || this.queueBytes >= this.maxBatchBytes) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushImmediate = setImmediate(this.flush);
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(this.flush, this.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  snapshot(): PublisherSnapshot {
    return {
      ...this.books(),
      sent: this.sent,
      dropped: { ...this.dropped },
      connected: this.connected,
      inFlight: this.linesWritten - this.linesAcked - this.controlLines.length,
      socketBufferedBytes: this.socket?.writableLength ?? 0,
    };
  }

  private books(): PublisherBooks {
    return {
      published_events: this.published,
      delivered_events: this.delivered,
      dropped_events: this.droppedTotal,
      queued_events: this.queuedEvents,
    };
  }

  private drop(reason: DropReason, n = 1): void {
    this.dropped[reason] += n;
    this.droppedTotal += n;
  }

  // --- writing ---

  private readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushImmediate = undefined;
    const socket = this.socket;
    if (!this.connected || !socket || socket.writableNeedDrain) return;
    const chunks = this.chunks;
    let i = 0;
    while (i < chunks.length) {
      const c = chunks[i++]!;
      this.queuedEvents -= c.events;
      this.queueBytes -= c.used;
      this.linesWritten += c.events;
      this.sent += c.events;
      const ok = socket.write(c.used === c.buf.length ? c.buf : c.buf.subarray(0, c.used));
      // Nothing left in Node's buffer: the kernel copied the bytes and the buffer is free again
      // (saves allocating a batch buffer per flush).
      if (socket.writableLength === 0 && c.buf.length === this.maxBatchBytes) this.spare = c.buf;
      if (!ok) break;
    }
    // The last chunk may be partly filled: once written it takes no more frames.
    if (i === chunks.length) this.chunks = [];
    else chunks.splice(0, i);
    this.checkIdle();
  };

  /** Hello and stats: written only when the socket takes them at once; never queued or counted. */
  private writeControl(line: string): void {
    const socket = this.socket;
    if (!this.connected || !socket || socket.writableNeedDrain) return;
    // A peer that never acknowledges must not grow this list without bound.
    if (this.controlLines.length >= 1024) return;
    socket.write(line);
    this.linesWritten++;
    this.controlLines.push(this.linesWritten);
  }

  private sendStats(): void {
    if (!this.connected) return;
    let s: WorkerStats;
    try {
      s = this.statsSource();
    } catch {
      return;
    }
    this.writeControl(this.encoder.stats({ ...s, ...this.books() }));
  }

  // --- acknowledgements ---

  private onData(chunk: Buffer): void {
    this.ackBuffer += chunk.toString('utf8');
    let nl = this.ackBuffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.ackBuffer.slice(0, nl);
      this.ackBuffer = this.ackBuffer.slice(nl + 1);
      nl = this.ackBuffer.indexOf('\n');
      let frame: unknown;
      try {
        frame = JSON.parse(line);
      } catch {
        continue;
      }
      const f = frame as { type?: unknown; received?: unknown };
      if (f && f.type === 'ack' && typeof f.received === 'number') this.onAck(f.received);
    }
    // Acks are tiny; anything long without a newline is not an ack stream.
    if (this.ackBuffer.length > 4096) this.ackBuffer = '';
  }

  private onAck(received: number): void {
    const n = Math.min(Math.floor(received), this.linesWritten);
    if (!(n > this.linesAcked)) return;
    let control = 0;
    while (this.controlLines.length > 0 && this.controlLines[0]! <= n) {
      this.controlLines.shift();
      control++;
    }
    this.delivered += n - this.linesAcked - control;
    this.linesAcked = n;
    this.checkIdle();
  }

  // --- connection ---

  private connect(): void {
    if (this.connecting || this.connected || this.closed) return;
    this.connecting = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = createConnection(this.socketPath);
    // The publisher must never keep a worker alive on its own.
    socket.unref();
    this.socket = socket;
    socket.on('connect', () => {
      this.connecting = false;
      this.connected = true;
      this.attempts = 0;
      this.linesWritten = 0;
      this.linesAcked = 0;
      this.controlLines = [];
      this.ackBuffer = '';
      this.log.info({ socket: this.socketPath, queued: this.queuedEvents }, 'events channel connected');
      this.writeControl(this.encoder.hello(this.modelAccuracy, this.books()));
      this.flush();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', this.flush);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastErrorCode = err.code;
      this.log.debug({ socket: this.socketPath, code: err.code }, 'events channel error');
    });
    socket.on('close', () => this.onClose(socket));
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.socket = undefined;
    this.connected = false;
    this.connecting = false;
    if (wasConnected) {
      const lost = this.linesWritten - this.linesAcked - this.controlLines.length;
      if (lost > 0) this.drop('unacknowledged', lost);
      this.linesWritten = 0;
      this.linesAcked = 0;
      this.controlLines = [];
      const fields = { socket: this.socketPath, unacknowledged: lost, queued: this.queuedEvents };
      if (this.closed) this.log.info(fields, 'events channel closed');
      else this.log.warn(fields, 'events channel lost, reconnecting');
    } else if (this.attempts === 0) {
      // Once per streak, with the reason (no exporter, the socket file removed, no permission):
      // until it connects, nothing reaches the exporter.
      const fields = { socket: this.socketPath, code: this.lastErrorCode, queued: this.queuedEvents, queue_max_events: this.queueMaxEvents };
      this.log.warn(fields, 'events channel unavailable, retrying; events are queued, then dropped as "disconnected"');
    }
    this.checkIdle();
    if (this.closed) return;
    // Full jitter: workers that lost the exporter together do not come back in lockstep.
    const ceiling = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(this.attempts, 20));
    this.attempts++;
    const delay = this.reconnectMinMs / 2 + Math.random() * ceiling;
    this.reconnectTimer = setTimeout(() => this.connect(), this.closing ? 0 : delay);
    this.reconnectTimer.unref();
  }

  // --- shutdown ---

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const idle = this.queuedEvents === 0 && this.linesWritten - this.linesAcked - this.controlLines.length === 0;
    if (idle || !this.connected) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when nothing is queued or in flight, or the connection is gone (whichever first). */
  private waitIdleOrDisconnected(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /**
   * Flushes what is queued and waits for the exporter's acknowledgement, at most `timeoutMs`
   * (call it after the HTTP server stopped taking requests). What is still queued then is
   * dropped as "shutdown", what is unacknowledged as "unacknowledged".
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.statsTimer);
    const deadline = Date.now() + timeoutMs;
    const timeLeft = (): number => Math.max(0, deadline - Date.now());
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    // Keep (re)connecting until the queue is delivered or time is up.
    while (timeLeft() > 0 && (this.queuedEvents > 0 || this.linesWritten > this.linesAcked + this.controlLines.length)) {
      if (!this.connected) {
        if (!this.started) break;
        if (!this.connecting) this.connect();
        await sleep(Math.min(25, timeLeft()));
        continue;
      }
      this.flush();
      await Promise.race([sleep(timeLeft()), this.waitIdleOrDisconnected()]);
    }
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.flushTimer);
    // The exporter's mirror of these books ends on the final figures.
    this.sendStats();
    const queued = this.queuedEvents;
    if (queued > 0) this.drop('shutdown', queued);
    this.chunks = [];
    this.queuedEvents = 0;
    this.queueBytes = 0;
    this.spare = undefined;
    const socket = this.socket;
    if (socket) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, Math.max(100, timeLeft()));
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        socket.end();
      });
    }
    if (this.connecting && this.socket) this.socket.destroy();
  }

  // --- metrics ---

  private registerMetrics(registry: Registry): void {
    const self = this;
    // Values live in the publisher (they also feed the stats frames); these read them at scrape.
    const counter = (def: MetricDef, read: () => number): void => {
      counterFrom(def, registry, function collect() {
        this.reset();
        this.inc(read());
      });
    };
    counter(M.eventsPublishedTotal, () => self.published);
    counter(M.eventsSentTotal, () => self.sent);
    counter(M.eventsDeliveredTotal, () => self.delivered);
    counterFrom(M.eventsDroppedTotal, registry, function collect() {
      this.reset();
      for (const r of DROP_REASONS) this.inc({ reason: r }, self.dropped[r]);
    });
    gaugeFrom(M.eventsQueueDepth, registry, function collect() {
      this.set(self.queuedEvents);
    });
    gaugeFrom(M.eventsChannelConnected, registry, function collect() {
      this.set(self.connected ? 1 : 0);
    });
  }
}
