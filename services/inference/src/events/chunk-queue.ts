/**
 * The publisher's bounded queue (events and bytes). Frames from the encoder are pure ASCII and
 * are copied into the batch buffer they will be written from (a chunk of `batchBytes`): the queue
 * holds bytes, not strings. A queued string would outlive a few young-generation GCs and be
 * promoted, so every event would cost old-generation GC work; a copied one dies young.
 */
/** What the queue writes to: a net.Socket, or anything with its write() and buffer length. */
export interface BatchSink {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
}

/** Queued frames, copied back to back into a buffer that is written as one batch. */
interface Chunk {
  buf: Buffer;
  /** Bytes filled (= characters of the frames in it: frames are ASCII). */
  used: number;
  /** Data events in it. */
  events: number;
}

export class ChunkQueue {
  /** Data events queued. */
  events = 0;
  /** Bytes queued. */
  bytes = 0;
  // Chunks in write order; only the last one is still being filled.
  private chunks: Chunk[] = [];
  /** A written chunk's buffer that the kernel already took, for the next chunk. */
  private spare: Buffer | undefined;

  constructor(
    readonly maxEvents: number,
    private readonly maxBytes: number,
    readonly batchBytes: number,
  ) {}

  /** Whether a frame of `bytes` fits within both bounds. */
  fits(bytes: number): boolean {
    return this.events < this.maxEvents && this.bytes + bytes <= this.maxBytes;
  }

  /** Copies one ASCII frame in (the caller checked fits()). */
  push(line: string): void {
    const n = line.length;
    const c = this.chunkWithRoom(n);
    // ASCII frames: one byte per character, written straight from the (unflattened) string.
    c.used += c.buf.write(line, c.used, 'latin1');
    c.events++;
    this.events++;
    this.bytes += n;
  }

  /** The chunk being filled if it has `bytes` free, else a new one (a spare buffer if there is one). */
  private chunkWithRoom(bytes: number): Chunk {
    const chunks = this.chunks;
    const last = chunks.length > 0 ? chunks[chunks.length - 1]! : undefined;
    if (last !== undefined && last.used + bytes <= last.buf.length) return last;
    // A frame longer than a batch (at most MAX_FRAME_BYTES) gets a chunk of its own size.
    let buf: Buffer;
    if (bytes <= this.batchBytes && this.spare !== undefined) {
      buf = this.spare;
      this.spare = undefined;
    } else {
      buf = Buffer.allocUnsafe(Math.max(this.batchBytes, bytes));
    }
    const c: Chunk = { buf, used: 0, events: 0 };
    chunks.push(c);
    return c;
  }

  /** Writes chunks in order until the socket pushes back; returns the data events written. */
  writeTo(socket: BatchSink): number {
    const chunks = this.chunks;
    let written = 0;
    let i = 0;
    while (i < chunks.length) {
      const c = chunks[i++]!;
      this.events -= c.events;
      this.bytes -= c.used;
      written += c.events;
      const ok = socket.write(c.used === c.buf.length ? c.buf : c.buf.subarray(0, c.used));
      // Nothing left in Node's buffer: the kernel copied the bytes and the buffer is free again
      // (saves allocating a batch buffer per flush).
      if (socket.writableLength === 0 && c.buf.length === this.batchBytes) this.spare = c.buf;
      if (!ok) break;
    }
    // The last chunk may be partly filled: once written it takes no more frames.
    if (i === chunks.length) this.chunks = [];
    else chunks.splice(0, i);
    return written;
  }

  /** Empties the queue; returns the data events it held. */
  clear(): number {
    const n = this.events;
    this.chunks = [];
    this.events = 0;
    this.bytes = 0;
    this.spare = undefined;
    return n;
  }
}
