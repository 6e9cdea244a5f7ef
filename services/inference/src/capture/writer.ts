/**
 * Opt-in capture of scored texts for later labelling and training (docs/capture.md): a sample of
 * texts (CAPTURE_RATE) is appended, with its prediction id, model version, probability and
 * time, to a JSON Lines file of this worker process; feedback for a captured id appends a record
 * with its label. `npm run capture -- export` joins them.
 *
 * It never blocks or fails a request: a record is encoded into a bounded in-memory queue and the
 * queue is written asynchronously, one write at a time; a record that does not fit, or whose write
 * fails, is dropped and counted (spam_detector_capture_dropped_total). Nothing of a text ever goes
 * to the logs: errors are logged by their code only.
 *
 * Files: one per worker process at a time (so WORKERS > 1 never interleave lines), mode 0600 in
 * a 0700 directory owned by the service user; rotated at a sixteenth of
 * CAPTURE_MAX_BYTES or after a quarter of the age limit (at most an hour); the oldest closed
 * files are deleted while the directory is over CAPTURE_MAX_BYTES, and every closed file older
 * than CAPTURE_MAX_AGE_HOURS. A restarted worker starts a new file; old files stay until
 * retention removes them.
 */
import { mkdirSync, statSync } from 'node:fs';
import { open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Label } from '../../../../shared/model-io.js';
import { INFERENCE_METRICS as M } from '../../../../shared/metrics.js';
import { counterFrom } from '../../../../shared/metric-builders.js';
import { CAPTURE_FILE, captureFileName, encodeRecord } from './records.js';
import type { CaptureSettings } from './settings.js';

export const CAPTURE_DROP_REASONS = ['queue_full', 'write_error', 'shutdown'] as const;
export type CaptureDropReason = (typeof CAPTURE_DROP_REASONS)[number];
export const CAPTURE_RECORD_TYPES = ['prediction', 'feedback'] as const;
type RecordType = (typeof CAPTURE_RECORD_TYPES)[number];

export interface CaptureCounters {
  written(type: RecordType, n: number): void;
  dropped(reason: CaptureDropReason, n: number): void;
}

/**
 * The capture counters, registered whether capture is on or not (at 0 when off), every label
 * value present from the start so rate() sees the first increment.
 */
export function registerCaptureMetrics(registry: Registry): CaptureCounters {
  const written = counterFrom(M.captureRecordsTotal, registry);
  const dropped = counterFrom(M.captureDroppedTotal, registry);
  for (const type of CAPTURE_RECORD_TYPES) written.inc({ type }, 0);
  for (const reason of CAPTURE_DROP_REASONS) dropped.inc({ reason }, 0);
  return {
    written: (type, n) => written.inc({ type }, n),
    dropped: (reason, n) => dropped.inc({ reason }, n),
  };
}

export interface CaptureLogger {
  warn(obj: object, msg: string): void;
}

export interface CaptureWriterOptions {
  worker: string;
  counters: CaptureCounters;
  log: CaptureLogger;
  pid?: number;
  /** Most bytes of encoded records waiting to be written (default 4 MiB). */
  queueMaxBytes?: number;
  now?: () => number;
  random?: () => number;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const HOUR_MS = 3_600_000;

/** Creates the directory 0700, or checks that an existing one is this user's and private. */
export function prepareCaptureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`CAPTURE_DIR ${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new Error(`CAPTURE_DIR ${dir} belongs to another user (uid ${st.uid}); captured texts need a directory of their own`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`CAPTURE_DIR ${dir} is readable or writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it or pick a new directory`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class CaptureWriter {
  private readonly dir: string;
  private readonly rate: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  /** A file is closed and a new one started past this size... */
  readonly fileMaxBytes: number;
  /** ...or this age, so retention can delete by age at a fine grain. */
  readonly rotateMs: number;
  private readonly worker: string;
  private readonly pid: number;
  private readonly startMs: number;
  private readonly counters: CaptureCounters;
  private readonly log: CaptureLogger;
  private readonly queueMaxBytes: number;
  private readonly now: () => number;
  private readonly random: () => number;

  private queue: string[] = [];
  private types: RecordType[] = [];
  private queuedBytes = 0;
  private file: { handle: FileHandle; name: string; bytes: number; openedMs: number } | undefined;
  private sequence = 0;
  private flushing: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(settings: CaptureSettings, o: CaptureWriterOptions) {
    this.dir = settings.dir;
    this.rate = settings.rate;
    this.maxBytes = settings.maxBytes;
    this.maxAgeMs = settings.maxAgeMs;
    this.fileMaxBytes = Math.max(64 * 1024, Math.floor(settings.maxBytes / 16));
    this.rotateMs = Math.min(HOUR_MS, settings.maxAgeMs / 4);
    this.worker = o.worker;
    this.pid = o.pid ?? process.pid;
    this.counters = o.counters;
    this.log = o.log;
    this.queueMaxBytes = o.queueMaxBytes ?? 4 * 1024 * 1024;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.startMs = this.now();
    prepareCaptureDir(this.dir);
  }

  /** Starts the retention timer (and a first sweep). */
  start(): void {
    void this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), Math.min(this.rotateMs, 10 * 60_000));
    this.sweepTimer.unref();
  }

  /** Whether to capture the next text (CAPTURE_RATE). */
  sample(): boolean {
    return this.rate > 0 && this.random() < this.rate;
  }

  prediction(id: string, text: string, modelVersion: string, probability: number, predicted: Label): void {
    const ts = new Date(this.now()).toISOString();
    this.enqueue(encodeRecord({ type: 'prediction', id, ts, model_version: modelVersion, probability, predicted, text }), 'prediction');
  }

  feedback(id: string, label: Label): void {
    this.enqueue(encodeRecord({ type: 'feedback', id, ts: new Date(this.now()).toISOString(), label }), 'feedback');
  }

  private enqueue(line: string, type: RecordType): void {
    if (this.closed) {
      this.counters.dropped('shutdown', 1);
      return;
    }
    // UTF-16 length x 3 bounds the UTF-8 size without encoding the text twice.
    const bytes = line.length * 3;
    if (this.queuedBytes + bytes > this.queueMaxBytes) {
      this.counters.dropped('queue_full', 1);
      return;
    }
    this.queue.push(line);
    this.types.push(type);
    this.queuedBytes += bytes;
    if (this.flushing === undefined) this.flushing = new Promise((r) => setImmediate(r)).then(() => this.flush());
  }

  /** Writes everything queued, one append per batch, until the queue is empty. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const lines = this.queue;
        const types = this.types;
        this.queue = [];
        this.types = [];
        this.queuedBytes = 0;
        const data = Buffer.from(lines.join(''), 'utf8');
        try {
          const file = await this.currentFile();
          await file.handle.appendFile(data);
          file.bytes += data.length;
          let predictions = 0;
          for (const t of types) if (t === 'prediction') predictions++;
          if (predictions > 0) this.counters.written('prediction', predictions);
          if (types.length > predictions) this.counters.written('feedback', types.length - predictions);
        } catch (err) {
          this.counters.dropped('write_error', lines.length);
          // The code only: a message could quote a path, never a text, but stay terse.
          this.log.warn({ code: (err as NodeJS.ErrnoException).code ?? 'unknown', records: lines.length }, 'capture write failed; records dropped');
          await this.closeFile();
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async currentFile(): Promise<{ handle: FileHandle; name: string; bytes: number; openedMs: number }> {
    const f = this.file;
    if (f !== undefined && f.bytes < this.fileMaxBytes && this.now() - f.openedMs < this.rotateMs) return f;
    if (f !== undefined) {
      await this.closeFile();
      void this.sweep();
    }
    const name = captureFileName(this.worker, this.pid, this.startMs, this.sequence++);
    const handle = await open(join(this.dir, name), 'a', FILE_MODE);
    this.file = { handle, name, bytes: 0, openedMs: this.now() };
    return this.file;
  }

  private async closeFile(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.handle.close().catch(() => undefined);
  }

  /**
   * Retention: delete closed files older than the age limit, then the oldest closed files while
   * the directory is over CAPTURE_MAX_BYTES. "Closed" spares this process's current file and the
   * newest file of every other live worker process (still being appended to).
   */
  async sweep(): Promise<void> {
    try {
      const now = this.now();
      // An idle worker's file would otherwise stay open (and undeletable) past the age limit.
      if (this.file !== undefined && this.flushing === undefined && now - this.file.openedMs >= this.rotateMs) await this.closeFile();
      const entries: { name: string; pid: number; mtimeMs: number; size: number }[] = [];
      for (const name of await readdir(this.dir)) {
        const m = CAPTURE_FILE.exec(name);
        if (!m) continue;
        const st = await stat(join(this.dir, name)).catch(() => undefined);
        if (st?.isFile()) entries.push({ name, pid: Number(m[2]), mtimeMs: st.mtimeMs, size: st.size });
      }
      const newestOfPid = new Map<number, string>();
      for (const e of [...entries].sort((a, b) => a.mtimeMs - b.mtimeMs)) newestOfPid.set(e.pid, e.name);
      const active = (e: { name: string; pid: number }): boolean =>
        e.name === this.file?.name || (e.pid !== this.pid && newestOfPid.get(e.pid) === e.name && alive(e.pid));
      let total = entries.reduce((s, e) => s + e.size, 0);
      const closed = entries.filter((e) => !active(e)).sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const e of closed) {
        if (now - e.mtimeMs > this.maxAgeMs || total > this.maxBytes) {
          await unlink(join(this.dir, e.name)).catch(() => undefined);
          total -= e.size;
        }
      }
    } catch (err) {
      this.log.warn({ code: (err as NodeJS.ErrnoException).code ?? 'unknown' }, 'capture retention sweep failed');
    }
  }

  /** Bounded flush at shutdown; what is still queued after `timeoutMs` is dropped and counted. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    while (this.flushing !== undefined) {
      const done = await Promise.race([this.flushing.then(() => true), deadline.then(() => false)]);
      if (!done) break;
    }
    clearTimeout(timer);
    if (this.queue.length > 0) {
      this.counters.dropped('shutdown', this.queue.length);
      this.queue = [];
      this.types = [];
    }
    await this.closeFile();
  }
}
