/**
 * A raw HTTP/1.1 client for hostile-input tests: it writes exactly the bytes it is given (broken
 * request lines, duplicate or oversized headers, lying lengths, invalid UTF-8) on a fresh TCP
 * connection and reads the first answer. Real clients (undici, node:http) refuse to send most
 * of these, which is the point of sending them.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export type RawResult = { ok: true; response: RawResponse } | { ok: false; error: string; received: number };

export interface RawRequestSpec {
  method: string;
  /** The request target, written verbatim. */
  target: string;
  /** Written verbatim, in order; the client adds nothing but `Host` (unless `noHost`). */
  headers: Array<[string, string]>;
  body?: Buffer;
  noHost?: boolean;
  /** Bytes written verbatim instead of a request built from the fields above. */
  raw?: Buffer;
}

export function encodeRequest(spec: RawRequestSpec, host: string): Buffer {
  if (spec.raw) return spec.raw;
  const head: string[] = [`${spec.method} ${spec.target} HTTP/1.1`];
  if (!spec.noHost) head.push(`Host: ${host}`);
  for (const [k, v] of spec.headers) head.push(`${k}: ${v}`);
  // latin1 keeps every byte the generator chose (header abuse includes non-ASCII bytes).
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), spec.body ?? Buffer.alloc(0)]);
}

/**
 * Parses the first final HTTP response in `buf` (content-length, chunked, or read-until-close),
 * skipping interim 1xx answers (e.g. 100 Continue). `head`: the answer to a HEAD has no body.
 */
export function parseResponse(buf: Buffer, head = false): RawResponse | undefined {
  let end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  while (/^HTTP\/1\.[01] 1\d\d/.test(buf.subarray(0, 12).toString('latin1'))) {
    buf = buf.subarray(end + 4);
    end = buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let rest = buf.subarray(end + 4);
  let body: Buffer;
  if (head) {
    body = Buffer.alloc(0);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) return undefined;
      const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
      if (!Number.isFinite(size)) return undefined;
      if (size === 0) break;
      if (rest.length < nl + 2 + size) return undefined;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      rest = rest.subarray(nl + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return undefined;
    body = rest.subarray(0, n);
  } else {
    body = rest;
  }
  return { status: Number(m[1]), headers, body };
}

/**
 * Sends `bytes` on a new connection and resolves with the first complete answer. Write errors
 * (the server may answer and close before reading a huge body) are ignored: what counts is
 * whether an answer arrived.
 */
export function rawExchange(port: number, bytes: Buffer, opts: { timeoutMs?: number; head?: boolean; host?: string } = {}): Promise<RawResult> {
  const { timeoutMs = 15_000, head = false, host = '127.0.0.1' } = opts;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = connect({ port, host });
    const finish = (r: RawResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const tryParse = (): boolean => {
      const res = parseResponse(Buffer.concat(chunks), head);
      // Without a length the body ends at close; wait for it.
      if (res && (head || res.headers['content-length'] !== undefined || /chunked/i.test(res.headers['transfer-encoding'] ?? ''))) {
        finish({ ok: true, response: res });
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout', received }), timeoutMs);
    socket.on('connect', () => {
      socket.write(bytes, () => undefined);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      tryParse();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the answer arrived is fine; otherwise report it.
      if (!tryParse()) {
        const res = parseResponse(Buffer.concat(chunks), head);
        if (res) finish({ ok: true, response: res });
        else if (err.code !== 'EPIPE') finish({ ok: false, error: err.code ?? err.message, received });
      }
    });
    socket.on('close', () => {
      if (tryParse()) return;
      const res = parseResponse(Buffer.concat(chunks), head);
      finish(res ? { ok: true, response: res } : { ok: false, error: 'closed without an answer', received });
    });
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
