/**
 * One access-log line per request (instead of Fastify's two): route pattern, status, latency,
 * predicted label(s), text length(s), model version, error code. Never the text itself; with
 * LOG_TEXT_HASH a 12-hex sha256 prefix per text lets operators correlate repeats.
 *
 * The line is exactly what `log.info(fields, 'request')` would write (pino's level, time and
 * bindings, then the fields in a fixed order, then msg), but it is built by a serializer compiled
 * once for its fixed shape, and the lines of one event-loop turn reach the log destination in
 * one write: pino's generic serializer and one destination write per line were the largest
 * share of the access log's cost per request (docs/benchmarks.md#the-cuts). The pieces pino
 * would put around the fields come from the logger itself (pino.symbols), so the level, time
 * format and bindings stay the logger's.
 */
import fp from 'fastify-plugin';
import fastJson from 'fast-json-stringify';
import { pino, type DestinationStream, type Logger } from 'pino';
import { routeOf, type RequestOutcome } from '../outcome.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** sha256 prefixes of the texts, filled only when LOG_TEXT_HASH is on. */
    textDigests: string[] | null;
  }
}

const INFO = 30;
const MAX_PATH = 128;
const MESSAGE = 'request';

/** The fields of an access line, in the order they are written. */
export interface AccessLine {
  reqId: string;
  method: string;
  route: string;
  status: number;
  ms: number;
  model_version: string;
  /** An unknown URL: its path only (no query string), cut short. */
  path?: string;
  code?: string;
  label?: string;
  text_length?: number;
  batch_size?: number;
  labels?: string[];
  text_lengths?: number[];
  inference_ms?: number;
  text_sha256?: string[];
  feedback?: RequestOutcome['feedback'];
}

const strings = { type: 'array', items: { type: 'string' } } as const;
const serializeFields = fastJson({
  type: 'object',
  properties: {
    reqId: { type: 'string' },
    method: { type: 'string' },
    route: { type: 'string' },
    status: { type: 'integer' },
    ms: { type: 'number' },
    model_version: { type: 'string' },
    path: { type: 'string' },
    code: { type: 'string' },
    label: { type: 'string' },
    text_length: { type: 'integer' },
    batch_size: { type: 'integer' },
    labels: strings,
    text_lengths: { type: 'array', items: { type: 'integer' } },
    inference_ms: { type: 'number' },
    text_sha256: strings,
    feedback: {
      type: 'object',
      properties: {
        predicted: { type: 'string' },
        actual: { type: 'string' },
        modelVersion: { type: 'string' },
        shadowPredicted: { type: 'string' },
        shadowVersion: { type: 'string' },
      },
    },
  },
});

/** pino's own pieces of a line (pino.symbols: its documented integration points). */
interface PinoInternals {
  [pino.symbols.lsCacheSym]: Record<number, string>;
  [pino.symbols.timeSym]: () => string;
  [pino.symbols.chindingsSym]: string;
  [pino.symbols.endSym]: string;
  [pino.symbols.streamSym]: DestinationStream;
}

/**
 * Writes access lines as `logger.info(fields, 'request')` would, batched per event-loop turn.
 * `flush()` hands over what is pending at once (the app's close).
 */
export class AccessLogWriter {
  private pending = '';
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();
  private readonly internals: PinoInternals;

  constructor(private readonly logger: Logger) {
    // eslint-disable-next-line no-restricted-syntax -- pino's typings do not declare its symbol-keyed properties; every pino logger has them
    this.internals = logger as unknown as PinoInternals;
  }

  get enabled(): boolean {
    return this.logger.levelVal <= INFO;
  }

  write(fields: AccessLine): void {
    const internals = this.internals;
    const json = serializeFields(fields);
    // `{"level":30` + `,"time":...` + `,"pid":...,"worker":...` + `,<fields>` + `,"msg":"request"` + `}\n`
    this.pending +=
      internals[pino.symbols.lsCacheSym][INFO]! +
      internals[pino.symbols.timeSym]() +
      internals[pino.symbols.chindingsSym] +
      (json.length > 2 ? `,${json.slice(1, -1)}` : '') +
      `,"msg":"${MESSAGE}"` +
      internals[pino.symbols.endSym];
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    this.internals[pino.symbols.streamSym].write(lines);
  }
}

export const accessLogPlugin = fp(
  async (app) => {
    const { inference } = app;
    app.decorateRequest('textDigests', null);
    // The line's keys are the fixed ones above, never user input, so the process logger's
    // redaction (key paths such as *.text) cannot match them: a child without redaction owns the
    // line's pieces (the redaction pass was a visible share of a busy worker's time).
    // eslint-disable-next-line no-restricted-syntax -- app.log is the pino logger app.ts hands Fastify (or its no-op stand-in, whose levelVal is undefined: never enabled)
    const log = app.log.child({}, { redact: [] }) as unknown as Logger;
    const writer = new AccessLogWriter(log);
    app.addHook('onClose', (_app, done) => {
      writer.flush();
      done();
    });

    app.addHook('onResponse', (request, reply, done) => {
      if (!writer.enabled) {
        done();
        return;
      }
      const route = routeOf(request);
      const o = request.outcome;
      const line: AccessLine = {
        reqId: request.id,
        method: request.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        model_version: o.modelVersion ?? inference.model.version,
      };
      if (route === undefined) line.path = request.url.split('?', 1)[0]!.slice(0, MAX_PATH);
      if (o.errorCode !== undefined) line.code = o.errorCode;
      const preds = o.predictions;
      if (preds !== undefined && preds.length > 0) {
        if (preds.length === 1) {
          line.label = preds[0]!.label;
          line.text_length = preds[0]!.text_length;
        } else {
          line.batch_size = preds.length;
          line.labels = preds.map((p) => p.label);
          line.text_lengths = preds.map((p) => p.text_length);
        }
        if (o.inferenceSeconds !== undefined) line.inference_ms = Math.round(o.inferenceSeconds * 1e6) / 1000;
      }
      if (request.textDigests !== null) line.text_sha256 = request.textDigests;
      if (o.feedback !== undefined) line.feedback = o.feedback;
      writer.write(line);
      done();
    });
  },
  { name: 'access-log', fastify: '5.x', dependencies: ['request-context'], decorators: { fastify: ['inference'], request: ['outcome'] } },
);
