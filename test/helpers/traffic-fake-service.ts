/**
 * A small stand-in for the inference service, following /work/shared/contract.md, for the
 * traffic generator's unit-level tests: it answers POST /predict (single and batch) with a
 * predictable rule, POST /feedback, GET /health, and the contract's error body for every
 * mistake. It records what it received so a test can compare with the generator's summary.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

export interface FakeOptions {
  /** Predict spam when this returns true (default: the text contains "buy"). */
  isSpam?: (text: string) => boolean;
  /** Delay every /predict answer by this many ms, so connections overlap. */
  delayMs?: number;
  /**
   * Handle /predict one request at a time, like a worker whose model call blocks its event
   * loop: latency then grows with the requests waiting (connections x delayMs).
   */
  serial?: boolean;
}

export interface FakeService {
  url: string;
  app: FastifyInstance;
  /** Texts predicted, with the label given, in arrival order. */
  predicted: { id: string; text: string; label: 'spam' | 'ham' }[];
  /** Error codes answered on /predict and unknown routes, counted. */
  errors: Record<string, number>;
  feedback: { id: string; label: string; predicted: string }[];
  /** Most /predict requests in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ statusCode: status, code, error: 'Error', message });
}

export async function startFakeService(opts: FakeOptions = {}): Promise<FakeService> {
  const isSpam = opts.isSpam ?? ((t: string) => t.includes('buy'));
  const app = Fastify({ logger: false });
  const state: Omit<FakeService, 'url' | 'app' | 'close'> = { predicted: [], errors: {}, feedback: [], maxInFlight: 0 };
  const byId = new Map<string, 'spam' | 'ham'>();
  let inFlight = 0;
  let nextId = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const count = (code: string): void => {
    state.errors[code] = (state.errors[code] ?? 0) + 1;
  };

  app.setErrorHandler((err: { statusCode?: number; code?: string }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err.statusCode === 400 && /JSON/i.test(String((err as Error).message)))) {
      count('INVALID_JSON');
      return fail(reply, 400, 'INVALID_JSON', 'Request body is not valid JSON');
    }
    count('INTERNAL_ERROR');
    return fail(reply, 500, 'INTERNAL_ERROR', 'internal error');
  });
  app.setNotFoundHandler((_req, reply) => {
    count('NOT_FOUND');
    return fail(reply, 404, 'NOT_FOUND', 'route not found');
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.post('/predict', async (req, reply) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      if (opts.delayMs) {
        const wait = (): Promise<void> => new Promise((r) => setTimeout(r, opts.delayMs));
        if (opts.serial) {
          const turn = queue.then(wait);
          queue = turn;
          await turn;
        } else await wait();
      }
      const body = req.body as { text?: unknown; texts?: unknown } | null;
      const predict = (text: string) => {
        const id = `p-${nextId++}`;
        const label = isSpam(text) ? ('spam' as const) : ('ham' as const);
        byId.set(id, label);
        state.predicted.push({ id, text, label });
        const p = label === 'spam' ? 0.9 : 0.1;
        return { id, prediction: label, confidence: Math.max(p, 1 - p), probabilities: { ham: 1 - p, spam: p }, model_version: 'fake', inference_time_ms: 0.1 };
      };
      if (body !== null && typeof body === 'object' && Array.isArray(body.texts)) {
        if (!body.texts.every((t): t is string => typeof t === 'string' && t !== '')) {
          count('INVALID_TEXT');
          return fail(reply, 400, 'INVALID_TEXT', 'text must be a string');
        }
        return { predictions: body.texts.map(predict), model_version: 'fake' };
      }
      if (body === null || typeof body !== 'object' || !('text' in body)) {
        count('INVALID_REQUEST');
        return fail(reply, 400, 'INVALID_REQUEST', 'Request body does not match the schema');
      }
      if (typeof body.text !== 'string') {
        count('INVALID_TEXT');
        return fail(reply, 400, 'INVALID_TEXT', 'text must be a string');
      }
      if (body.text === '') {
        count('EMPTY_TEXT');
        return fail(reply, 400, 'EMPTY_TEXT', 'text must not be empty');
      }
      return predict(body.text);
    } finally {
      inFlight--;
    }
  });

  app.post('/feedback', async (req, reply) => {
    const body = req.body as { id?: unknown; label?: unknown } | null;
    const id = typeof body?.id === 'string' ? body.id : '';
    const predicted = byId.get(id);
    if (predicted === undefined) return fail(reply, 404, 'UNKNOWN_PREDICTION', 'no recent prediction has this id');
    if (body?.label !== 'spam' && body?.label !== 'ham') return fail(reply, 400, 'INVALID_LABEL', 'label must be "spam" or "ham"');
    byId.delete(id);
    state.feedback.push({ id, label: body.label, predicted });
    return reply.code(202).send({ id, accepted: true });
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(state, { url, app, close: () => app.close() });
}
