/**
 * The exporter acknowledges the lines it received (`{"type":"ack","received":N}`, N counted from
 * the start of the connection). The ledger counts the lines written to the current connection,
 * data and control, and turns acks into delivered data events; lines written to a connection that
 * breaks before their ack are the caller's to count as dropped ("unacknowledged").
 */

/** A peer that never acknowledges must not grow the control-line list without bound. */
const MAX_PENDING_CONTROL = 1024;
/** Acks are tiny; anything longer without a newline is not an ack stream. */
const MAX_ACK_LINE = 4096;

export class AckLedger {
  /** Data events acknowledged, over every connection. */
  delivered = 0;
  /** Lines written to this connection (data and control) and lines the exporter acknowledged. */
  private written = 0;
  private acked = 0;
  /** Line numbers (1-based, this connection) of control frames not yet acknowledged. */
  private controlLines: number[] = [];
  private buffer = '';

  /** A new connection: numbering starts over. */
  reset(): void {
    this.written = 0;
    this.acked = 0;
    this.controlLines = [];
    this.buffer = '';
  }

  /** Data lines written to this connection and not yet acknowledged. */
  get inFlight(): number {
    return this.written - this.acked - this.controlLines.length;
  }

  wroteData(lines: number): void {
    this.written += lines;
  }

  /** Whether one more control line may be written (and tracked). */
  canWriteControl(): boolean {
    return this.controlLines.length < MAX_PENDING_CONTROL;
  }

  wroteControl(): void {
    this.written++;
    this.controlLines.push(this.written);
  }

  /** Reads ack lines; true when the exporter acknowledged anything new. */
  onData(chunk: Buffer): boolean {
    this.buffer += chunk.toString('utf8');
    let progressed = false;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      let frame: unknown;
      try {
        frame = JSON.parse(line);
      } catch {
        continue;
      }
      const f = frame as { type?: unknown; received?: unknown };
      if (f && f.type === 'ack' && typeof f.received === 'number' && this.ack(f.received)) progressed = true;
    }
    if (this.buffer.length > MAX_ACK_LINE) this.buffer = '';
    return progressed;
  }

  private ack(received: number): boolean {
    const n = Math.min(Math.floor(received), this.written);
    if (!(n > this.acked)) return false;
    let control = 0;
    while (this.controlLines.length > 0 && this.controlLines[0]! <= n) {
      this.controlLines.shift();
      control++;
    }
    this.delivered += n - this.acked - control;
    this.acked = n;
    return true;
  }
}
