/**
 * The worker's end of the channel (docs/channel.md): one event per finished request, written to
 * the exporter's Unix socket without ever blocking or failing the request.
 *
 * - publish() only appends a pre-encoded line to a bounded queue (chunk-queue.ts); the queue is
 *   written at most once per flush interval, or at once when a batch's worth is waiting, as one
 *   write per batch. Every write wakes the exporter, and a wake-up costs far more than parsing
 *   one more line (docs/channel.md has the measurements), so the interval bounds the wake-ups
 *   per worker (<= 20/s at the default 50 ms, plus one per batch) at any request rate.
 * - When the socket pushes back (write() returned false) the queue waits for 'drain'; when it is
 *   full, new events are dropped and counted. Nothing else buffers: memory stays bounded
 *   whatever the exporter does.
 * - When no exporter is there, the queue keeps what fits and the publisher reconnects with
 *   exponential backoff and full jitter (backoff.ts).
 * - The exporter acknowledges the lines it received (ack-ledger.ts); lines written to a
 *   connection that breaks before their ack are counted as dropped ("unacknowledged"), so the
 *   books always balance: published = delivered + dropped + queued + in flight.
 */
import type { DriftReference } from '../../../../shared/drift-reference.js';
import { createConnection, type Socket } from 'node:net';
import { EventEncoder, type FeedbackModels, type LoadedModels, type RequestFields, type ShadowFields } from '../../../../shared/event-encode.js';
import { DROP_REASONS, MAX_FRAME_BYTES, type DropReason, type ModelDomain, type PublisherBooks } from '../../../../shared/events.js';
import type { Label } from '../../../../shared/model-io.js';
import { AckLedger } from './ack-ledger.js';
import { reconnectDelayMs } from './backoff.js';
import { ChunkQueue } from './chunk-queue.js';
import { registerPublisherMetrics } from './publisher-metrics.js';
import { PUBLISHER_DEFAULTS } from './settings.js';
import type { PublisherLogger, PublisherOptions, PublisherSnapshot, WorkerStats } from './publisher-types.js';

export type { PublisherLogger, PublisherOptions, PublisherSnapshot, WorkerStats } from './publisher-types.js';


const NOOP_LOG: PublisherLogger = { info() {}, warn() {}, debug() {} };

export class EventPublisher {
  private readonly encoder: EventEncoder;
  private readonly log: PublisherLogger;
  private readonly socketPath: string;
  private readonly statsIntervalMs: number;
  private readonly flushIntervalMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private modelAccuracy: number;
  private modelDomainAccuracy: Partial<Record<ModelDomain, number>>;
  private statsSource: () => WorkerStats;

  private readonly queue: ChunkQueue;
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
  private readonly ledger = new AckLedger();

  // The books (data events only); delivered is the ledger's.
  private published = 0;
  private sent = 0;
  private readonly dropped: Record<DropReason, number>;
  private droppedTotal = 0;

  private started = false;
  private closing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: PublisherOptions) {
    const d = PUBLISHER_DEFAULTS;
    this.encoder = new EventEncoder(opts.identity, opts.modelVersion ?? '', opts.reference);
    this.modelAccuracy = opts.modelAccuracy ?? 0;
    this.modelDomainAccuracy = opts.modelDomainAccuracy ?? {};
    this.log = opts.log ?? NOOP_LOG;
    this.socketPath = opts.socketPath;
    this.queue = new ChunkQueue(opts.queueMaxEvents ?? d.queueMaxEvents, opts.queueMaxBytes ?? d.queueMaxBytes, opts.maxBatchBytes ?? d.maxBatchBytes);
    this.statsIntervalMs = opts.statsIntervalMs ?? d.statsIntervalMs;
    this.flushIntervalMs = opts.flushIntervalMs ?? d.flushIntervalMs;
    this.reconnectMinMs = opts.reconnectMinMs ?? d.reconnectMinMs;
    this.reconnectMaxMs = opts.reconnectMaxMs ?? d.reconnectMaxMs;
    this.statsSource = opts.stats ?? (() => ({ activeConnections: 0, inFlightRequests: 0, ready: true }));
    this.dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
    if (opts.registry) registerPublisherMetrics(opts.registry, () => this.snapshot());
  }

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

  /**
   * The models held changed (reload, rollback): the exporter gets a new hello naming them (which
   * is how it knows which per-version series to keep) with the current model's drift reference.
   */
  setModels(models: LoadedModels, accuracy: number, reference?: DriftReference, domainAccuracy?: Partial<Record<ModelDomain, number>>): void {
    this.encoder.setLoaded(models, reference);
    this.modelAccuracy = accuracy;
    if (domainAccuracy !== undefined) this.modelDomainAccuracy = domainAccuracy;
    if (this.connected) this.writeControl(this.encoder.hello(this.modelAccuracy, this.books(), Date.now(), this.modelDomainAccuracy));
  }

  publishShadow(version: string, results: readonly ShadowFields[]): void {
    if (results.length > 0) this.enqueue(this.encoder.shadow(version, results));
  }

  publishRequest(fields: RequestFields): void {
    this.enqueue(this.encoder.request(fields));
  }

  publishFeedback(predicted: Label, actual: Label, models?: FeedbackModels): void {
    this.enqueue(this.encoder.feedback(predicted, actual, models));
  }

  /** Queues one encoded data frame (a line ending in "\n"); never throws, never blocks. */
  enqueue(line: string): void {
    this.published++;
    if (this.closing) return this.drop('shutdown');
    if (line.length > MAX_FRAME_BYTES) return this.drop('oversized');
    if (!this.queue.fits(line.length)) return this.drop(this.connected ? 'queue_full' : 'disconnected');
    this.queue.push(line);
    if (this.connected) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushImmediate !== undefined) return;
    if (this.flushIntervalMs === 0 || this.queue.bytes >= this.queue.batchBytes) {
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
      inFlight: this.ledger.inFlight,
      socketBufferedBytes: this.socket?.writableLength ?? 0,
    };
  }

  private books(): PublisherBooks {
    return {
      published_events: this.published,
      delivered_events: this.ledger.delivered,
      dropped_events: this.droppedTotal,
      queued_events: this.queue.events,
    };
  }

  private drop(reason: DropReason, n = 1): void {
    this.dropped[reason] += n;
    this.droppedTotal += n;
  }

  private readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushImmediate = undefined;
    const socket = this.socket;
    if (!this.connected || !socket || socket.writableNeedDrain) return;
    const written = this.queue.writeTo(socket);
    this.ledger.wroteData(written);
    this.sent += written;
    this.checkIdle();
  };

  /** Hello and stats: written only when the socket takes them at once; never queued or counted. */
  private writeControl(line: string): void {
    const socket = this.socket;
    if (!this.connected || !socket || socket.writableNeedDrain || !this.ledger.canWriteControl()) return;
    socket.write(line);
    this.ledger.wroteControl();
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
      this.ledger.reset();
      this.log.info({ socket: this.socketPath, queued: this.queue.events }, 'events channel connected');
      this.writeControl(this.encoder.hello(this.modelAccuracy, this.books(), Date.now(), this.modelDomainAccuracy));
      this.flush();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.ledger.onData(chunk)) this.checkIdle();
    });
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
      const lost = this.ledger.inFlight;
      if (lost > 0) this.drop('unacknowledged', lost);
      this.ledger.reset();
      const fields = { socket: this.socketPath, unacknowledged: lost, queued: this.queue.events };
      if (this.closed) this.log.info(fields, 'events channel closed');
      else this.log.warn(fields, 'events channel lost, reconnecting');
    } else if (this.attempts === 0) {
      // Once per streak, with the reason (no exporter, the socket file removed, no permission):
      // until it connects, nothing reaches the exporter.
      const fields = { socket: this.socketPath, code: this.lastErrorCode, queued: this.queue.events, queue_max_events: this.queue.maxEvents };
      this.log.warn(fields, 'events channel unavailable, retrying; events are queued, then dropped as "disconnected"');
    }
    this.checkIdle();
    if (this.closed) return;
    const delay = reconnectDelayMs(this.attempts++, this.reconnectMinMs, this.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), this.closing ? 0 : delay);
    this.reconnectTimer.unref();
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    if ((this.queue.events === 0 && this.ledger.inFlight === 0) || !this.connected) {
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
  async close(timeoutMs: number = PUBLISHER_DEFAULTS.flushTimeoutMs): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.statsTimer);
    const deadline = Date.now() + timeoutMs;
    const timeLeft = (): number => Math.max(0, deadline - Date.now());
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    // Keep (re)connecting until the queue is delivered or time is up.
    while (timeLeft() > 0 && (this.queue.events > 0 || this.ledger.inFlight > 0)) {
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
    const queued = this.queue.clear();
    if (queued > 0) this.drop('shutdown', queued);
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
}
