/**
 * NDJSON framing of one connection's byte stream: chunks in, complete lines out.
 *
 * Memory is bounded whatever a publisher sends: a partial line is kept only up to the frame
 * limit; past it the line is reported oversized once and skipped up to its newline. A UTF-8
 * sequence split across chunks is reassembled by the StringDecoder.
 */
import { StringDecoder } from 'node:string_decoder';

export interface LineSink {
  line(line: string): void;
  /** A line longer than the limit was skipped (called once per such line). */
  oversized(): void;
}

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping = false;

  constructor(
    private readonly maxLineChars: number,
    private readonly sink: LineSink,
  ) {}

  /** Feeds one chunk; returns the number of lines completed (oversized ones included). */
  push(chunk: Buffer): number {
    const s = this.decoder.write(chunk);
    let start = 0;
    let lines = 0;
    let nl = s.indexOf('\n');
    if (this.skipping) {
      if (nl < 0) return 0;
      this.skipping = false;
      start = nl + 1;
      nl = s.indexOf('\n', start);
    } else if (nl >= 0 && this.carry.length > 0) {
      const line = this.carry + s.slice(0, nl);
      this.carry = '';
      lines += this.emit(line);
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    while (nl >= 0) {
      lines += this.emit(s.slice(start, nl));
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    if (start < s.length) {
      // No newline in the rest: keep it for the next chunk, within the limit.
      const rest = start === 0 && this.carry.length === 0 ? s : this.carry + s.slice(start);
      if (rest.length > this.maxLineChars) {
        this.carry = '';
        this.skipping = true;
        this.sink.oversized();
        lines++;
      } else {
        this.carry = rest;
      }
    }
    return lines;
  }

  /**
   * The stream ended: true when it stopped inside a line (bytes after the last newline, even
   * part of one UTF-8 character). An overlong line was already reported oversized.
   */
  end(): boolean {
    const rest = this.decoder.end();
    return !this.skipping && this.carry.length + rest.length > 0;
  }

  /** Bytes of an unfinished line held for the next chunk (for tests and telemetry). */
  get pending(): number {
    return this.carry.length;
  }

  private emit(line: string): number {
    if (line.length === 0) return 0;
    if (line.length > this.maxLineChars) {
      this.sink.oversized();
      return 1;
    }
    this.sink.line(line);
    return 1;
  }
}
