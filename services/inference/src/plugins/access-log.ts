/**
 * One access-log line per request (instead of Fastify's two): route pattern, status, latency,
 * predicted label(s), text length(s), model version, error code. Never the text itself; with
 * LOG_TEXT_HASH a 12-hex sha256 prefix per text lets operators correlate repeats.
 */
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** sha256 prefixes of the texts, filled only when LOG_TEXT_HASH is on. */
    textDigests: string[] | null;
  }
}

const INFO = 30;
const MAX_PATH = 128;

export const accessLogPlugin = fp(
  async (app) => {
    const { inference } = app;
    app.decorateRequest('textDigests', null);
    // The line's keys are the fixed ones below, never user input, so the process logger's
    // redaction (key paths such as *.text) cannot match them: a child without redaction writes
    // the line (the redaction pass is a visible share of a busy worker's time: docs/benchmarks.md#the-cuts). The request
    // id goes in first, where request.log's binding would put it: the same line as before.
    const log = app.log.child({}, { redact: [] }) as typeof app.log & { levelVal?: number };

    app.addHook('onResponse', (request, reply, done) => {
      if (log.levelVal === undefined || log.levelVal > INFO) {
        done();
        return;
      }
      const route = request.routeOptions.url;
      const o = request.outcome;
      const line: Record<string, unknown> = {
        reqId: request.id,
        method: request.method,
        route: route ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        model_version: request.outcome.modelVersion ?? inference.model.version,
      };
      // An unknown URL is logged by path only (no query string), cut short.
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
      log.info(line, 'request');
      done();
    });
  },
  { name: 'access-log', fastify: '5.x', dependencies: ['request-context'], decorators: { fastify: ['inference'], request: ['outcome'] } },
);
