/**
 * Channel fuzzing: fast-check arbitraries of frames for the exporter's Unix socket, each with the
 * outcome the channel contract (shared/events.ts) gives it, and a raw publisher that tracks the
 * exporter's acks. The expected outcome comes from how the frame was built (a valid frame, a
 * frame with one field broken, not JSON at all...), never from the exporter's own parser.
 */
import { createConnection, type Socket } from 'node:net';
import fc from 'fast-check';
import { EventEncoder } from '../../shared/event-encode.js';
import { EVENT_ROUTES, MAX_FRAME_BYTES, type ChannelEventType, type MalformedReason } from '../../shared/events.js';

export type Outcome = ChannelEventType | MalformedReason;

export interface Frame {
  /** One line, without its newline; may hold any byte but 0x0a. */
  bytes: Buffer;
  outcome: Outcome;
}

const WORKERS = ['fz0', 'fz1', 'fz2'];

function encoder(worker: string, pid: number): EventEncoder {
  return new EventEncoder({ worker, pid }, 'fuzz-model-1');
}

const BOOKS = { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 };

const identity = fc.record({ worker: fc.constantFrom(...WORKERS), pid: fc.integer({ min: 1, max: 4_000_000 }) });

/** What a request event says, whichever schema version writes it. */
const requestFields = fc.record({
  id: identity,
  route: fc.constantFrom(...EVENT_ROUTES),
  status: fc.integer({ min: 100, max: 599 }),
  latency: fc.double({ min: 0, max: 30, noNaN: true }),
  predictions: fc.array(fc.record({ label: fc.constantFrom('spam' as const, 'ham' as const), confidence: fc.double({ min: 0.5, max: 1, noNaN: true }), text_length: fc.nat(200_000) }), { maxLength: 4 }),
});

const requestFrame = requestFields
  .map(({ id, route, status, latency, predictions }) =>
    encoder(id.worker, id.pid)
      .request({ route, method: 'POST', status, latencySeconds: latency, ...(predictions.length > 0 ? { predictions, batchSize: predictions.length, inferenceSeconds: latency / 2 } : {}) })
      .slice(0, -1),
  );

const feedbackFrame = fc
  .record({ id: identity, p: fc.constantFrom('spam' as const, 'ham' as const), a: fc.constantFrom('spam' as const, 'ham' as const) })
  .map(({ id, p, a }) => encoder(id.worker, id.pid).feedback(p, a).slice(0, -1));

const statsFrame = fc
  .record({ id: identity, conns: fc.nat(1000), ready: fc.boolean() })
  .map(({ id, conns, ready }) => encoder(id.worker, id.pid).stats({ activeConnections: conns, inFlightRequests: 0, ready, ...BOOKS }).slice(0, -1));

const helloFrame = identity.map((id) => encoder(id.worker, id.pid).hello(0.97, BOOKS).slice(0, -1));

/** A version 1 request frame (workers from before schema version 2): identity, ts and model on every event. */
const requestFrameV1 = requestFields
  .map(({ id, route, status, latency, predictions }) =>
    JSON.stringify({
      v: 1,
      type: 'request',
      worker: id.worker,
      pid: id.pid,
      ts: 1_700_000_000_000,
      route,
      method: 'POST',
      status,
      latency_s: latency,
      ...(predictions.length > 0 ? { predictions, batch_size: predictions.length, inference_s: latency / 2 } : {}),
      model_version: 'fuzz-model-1',
    }),
  );

/**
 * A valid frame with one field made wrong in a way the contract forbids: a status outside
 * 100-599, a negative or fractional latency, a prediction with a bad label or a confidence above
 * 1, a route longer than 64 characters, a fractional batch size; in version 1 frames also a
 * worker id outside [A-Za-z0-9_-]{1,32}, a non-positive pid, a non-numeric ts, a model version
 * longer than 64 characters. (Version 2 data events carry no identity: those fields are ignored.)
 */
const WRONG: Record<string, unknown> = {
  status: 700,
  latency_us: -1,
  inference_us: 0.5,
  predictions: [{ label: 'maybe', confidence_ppm: 900_000, text_length: 3 }],
  route: 'r'.repeat(65),
  batch_size: 1.5,
};
const WRONG_V1: Record<string, unknown> = {
  status: 700,
  latency_s: -1,
  worker: 'not a worker id!',
  pid: 0,
  ts: 'yesterday',
  predictions: [{ label: 'spam', confidence: 1.5, text_length: 3 }],
  route: 'r'.repeat(65),
  batch_size: 1.5,
  model_version: 'm'.repeat(65),
};
const breakOne = (base: string, wrong: Record<string, unknown>, field: string): string => {
  const o = JSON.parse(base) as Record<string, unknown>;
  o[field] = wrong[field];
  return JSON.stringify(o);
};
const brokenField = fc.oneof(
  fc.record({ base: requestFrame, field: fc.constantFrom(...Object.keys(WRONG)) }).map(({ base, field }) => breakOne(base, WRONG, field)),
  fc.record({ base: requestFrameV1, field: fc.constantFrom(...Object.keys(WRONG_V1)) }).map(({ base, field }) => breakOne(base, WRONG_V1, field)),
);

const notObject = fc
  .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 40 }), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }))
  .map((v) => JSON.stringify(v));

/** Not JSON whatever follows: a control character cannot start a JSON text. */
const invalidJson = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from([0x01]), Buffer.from(b.filter((x) => x !== 0x0a))]));

const unsupportedVersion = fc
  .record({ v: fc.oneof(fc.integer({ min: 3, max: 1_000_000 }), fc.integer({ min: -1000, max: 0 }), fc.constant(1.5)), rest: requestFrame })
  .map(({ v, rest }) => JSON.stringify({ ...(JSON.parse(rest) as object), v }));

const unknownType = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter((s) => !['request', 'feedback', 'hello', 'stats'].includes(s))
  .map((type) => JSON.stringify({ v: 1, type, worker: 'fz0', pid: 1, ts: 1 }));

const oversized = fc.integer({ min: 1, max: 4096 }).map((n) => Buffer.alloc(MAX_FRAME_BYTES + n, 0x7a));

const str = (a: fc.Arbitrary<string>, outcome: Outcome): fc.Arbitrary<Frame> => a.map((s) => ({ bytes: Buffer.from(s, 'utf8'), outcome }));

export function frameArb(opts: { oversized?: boolean } = {}): fc.Arbitrary<Frame> {
  return fc.oneof(
    { weight: 5, arbitrary: str(requestFrame, 'request') },
    { weight: 1, arbitrary: str(requestFrameV1, 'request') },
    { weight: 1, arbitrary: str(feedbackFrame, 'feedback') },
    { weight: 1, arbitrary: str(statsFrame, 'stats') },
    { weight: 1, arbitrary: str(helloFrame, 'hello') },
    { weight: 2, arbitrary: str(brokenField, 'invalid_field') },
    { weight: 2, arbitrary: str(notObject, 'not_object') },
    { weight: 2, arbitrary: invalidJson.map((bytes) => ({ bytes, outcome: 'invalid_json' as Outcome })) },
    { weight: 1, arbitrary: str(unsupportedVersion, 'unsupported_version') },
    { weight: 1, arbitrary: str(unknownType, 'unknown_type') },
    { weight: opts.oversized ? 1 : 0, arbitrary: oversized.map((bytes) => ({ bytes, outcome: 'oversized' as Outcome })) },
  );
}

/** One publisher's stream: frames joined by newlines (with stray empty lines), cut into chunks at arbitrary points. */
export interface StreamPlan {
  frames: Frame[];
  /** Cut points as fractions of the stream length. */
  cuts: number[];
  /** Bytes of an unfinished frame left at the end when the connection closes. */
  tail: Buffer;
}

export function streamPlanArb(opts: { oversized?: boolean; maxFrames?: number } = {}): fc.Arbitrary<StreamPlan> {
  return fc.record({
    frames: fc.array(frameArb(opts), { minLength: 1, maxLength: opts.maxFrames ?? 60 }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
    tail: fc.oneof({ weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d && x !== 0x20 && x !== 0x09))) }),
  });
}

/** The stream's bytes (empty lines between some frames, which the contract ignores) and its chunks. */
export function streamChunks(plan: StreamPlan): { chunks: Buffer[]; lines: number } {
  const parts: Buffer[] = [];
  plan.frames.forEach((f, i) => {
    parts.push(f.bytes, Buffer.from(i % 7 === 3 ? '\n\n' : '\n'));
  });
  parts.push(plan.tail);
  const all = Buffer.concat(parts);
  const points = [...new Set(plan.cuts.map((c) => Math.floor(c * all.length)))].filter((p) => p > 0 && p < all.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(all.subarray(at, p));
    at = p;
  }
  chunks.push(all.subarray(at));
  return { chunks, lines: plan.frames.length };
}

export interface ChannelClient {
  socket: Socket;
  /** The latest cumulative ack (lines the exporter received on this connection). */
  acked(): number;
  /** Writes respecting backpressure. */
  write(chunk: Buffer | string): Promise<void>;
  waitAck(n: number, timeoutMs?: number): Promise<boolean>;
  end(): Promise<void>;
  closed: Promise<void>;
}

/** A raw publisher. `read: false` never reads the exporter's acks (its receive buffer fills). */
export async function channelClient(path: string, opts: { read?: boolean } = {}): Promise<ChannelClient> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  let acked = 0;
  let buf = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  if (opts.read === false) {
    socket.pause();
  } else {
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const f = JSON.parse(buf.slice(0, nl)) as { type?: string; received?: number };
        buf = buf.slice(nl + 1);
        if (f.type === 'ack' && typeof f.received === 'number') acked = Math.max(acked, f.received);
      }
    });
  }
  return {
    socket,
    closed,
    acked: () => acked,
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (socket.write(chunk)) resolve();
        else socket.once('drain', () => resolve());
      }),
    async waitAck(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (acked < n) {
        if (Date.now() > deadline || socket.destroyed) return false;
        await new Promise((r) => setTimeout(r, 5));
      }
      return true;
    },
    async end() {
      socket.end();
      await closed;
    },
  };
}
