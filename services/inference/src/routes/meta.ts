/**
 * GET / (service info), /health (liveness), /ready (readiness) and /model (the model card).
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBody } from '../http/errors.js';
import { errorResponseFor, errorResponses } from '../http/schemas.js';
import { readiness } from '../readiness.js';
import { routeSwitches } from '../http/route-list.js';
import { enabledRoutes } from '../../../../shared/routes.js';
import type { ServingModel } from '../serving-model.js';

export const SERVICE_NAME = 'spam-detector-inference';

const passThrough = (): undefined => undefined;

export const metaRoutes: FastifyPluginAsync = async (app) => {
  const { config, serviceVersion } = app.inference;
  // The served model changes on reload: read per request.
  const model = (): ServingModel => app.inference.model;
  const endpoints = enabledRoutes(routeSwitches(config))
    .filter((r) => r.listed !== false)
    .map(({ method, path, description }) => ({ method, path, description }));
  const info = (): object => ({ name: SERVICE_NAME, version: serviceVersion, model_version: model().version, worker: config.workerId, endpoints });

  app.get(
    '/',
    {
      schema: {
        summary: 'Service information',
        tags: ['operations'],
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              version: { type: 'string' },
              model_version: { type: 'string' },
              worker: { type: 'string' },
              endpoints: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { method: { type: 'string' }, path: { type: 'string' }, description: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses(503),
        },
      },
    },
    async () => info(),
  );

  app.get(
    '/health',
    {
      config: { pressureHandler: passThrough },
      schema: {
        summary: 'Liveness',
        description: 'Answers 200 while the process serves HTTP, also while draining or under pressure.',
        tags: ['operations'],
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ok'] },
              worker: { type: 'string' },
              pid: { type: 'integer' },
              uptime_seconds: { type: 'number' },
            },
          },
        },
      },
    },
    async () => ({ status: 'ok', worker: config.workerId, pid: process.pid, uptime_seconds: process.uptime() }),
  );

  app.get(
    '/ready',
    {
      config: { pressureHandler: passThrough },
      schema: {
        summary: 'Readiness',
        description: '200 when the model is loaded and the worker is neither shedding load nor shutting down; ' +
          'otherwise 503 with code OVERLOADED or SHUTTING_DOWN.',
        tags: ['operations'],
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ready'] },
              model_version: { type: 'string' },
              worker: { type: 'string' },
            },
          },
          503: errorResponseFor(['OVERLOADED', 'SHUTTING_DOWN'], 'Not ready (OVERLOADED, SHUTTING_DOWN)'),
        },
      },
    },
    async (request, reply) => {
      const r = readiness(app);
      if (r.ready) return { status: 'ready', model_version: model().version, worker: config.workerId };
      request.outcome.errorCode = r.code;
      reply.code(503);
      if (r.code === 'OVERLOADED') reply.header('retry-after', String(config.pressure.retryAfterSeconds));
      return errorBody(r.code, `not ready: ${r.reason}`, request.id);
    },
  );

  const modelInfo = (): object => {
    const m = model();
    return {
      version: m.version,
      max_text_chars: m.maxTextChars,
      threshold: { value: m.threshold ?? null, source: m.thresholdSource ?? null },
      metrics_by_domain: domainFigures(m.card),
      request_limits: { max_text_chars: config.maxTextChars, max_batch_size: config.maxBatchSize, body_limit_bytes: config.bodyLimitBytes },
      canary: { percent: app.inference.canary.percentInForce, candidate_version: app.inference.canary.candidateVersion ?? null },
      card: m.card,
    };
  };
  app.get(
    '/model',
    {
      schema: {
        summary: 'Model card',
        description: 'The served model: version, its card (training data, metrics, features) as written by training, ' +
          'its truncation cap (`max_text_chars`: the model reads at most this many characters of a text), the ' +
          'threshold in force (`threshold.source`: "model" as trained, or "SPAM_THRESHOLD" when the operator overrides it), ' +
          'the held-out figures per domain (`metrics_by_domain`, from the card), the ' +
          'request limits of this service (a longer text is refused with TEXT_TOO_LONG) and the canary in force ' +
          '(`canary.percent` of the requests answered by the candidate model `canary.candidate_version`, CANARY_PERCENT).',
        tags: ['model'],
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              max_text_chars: { type: 'integer' },
              threshold: {
                type: 'object',
                properties: {
                  value: { type: ['number', 'null'], description: 'Spam probability at or above which a text is labelled spam.' },
                  source: { type: ['string', 'null'], enum: ['model', 'SPAM_THRESHOLD', null] },
                },
              },
              metrics_by_domain: {
                type: 'object',
                description: 'Held-out test figures per domain (rawEmail, headerlessEmail, sms, short, userText), from the card.',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    count: { type: 'integer' },
                    accuracy: { type: 'number' },
                    precision: { type: 'number' },
                    recall: { type: 'number' },
                    f1: { type: 'number' },
                    roc_auc: { type: 'number' },
                    blocked_ham_rate: { type: 'number' },
                    ece: { type: 'number' },
                  },
                },
              },
              request_limits: {
                type: 'object',
                properties: {
                  max_text_chars: { type: 'integer' },
                  max_batch_size: { type: 'integer' },
                  body_limit_bytes: { type: 'integer' },
                },
              },
              canary: {
                type: 'object',
                properties: {
                  percent: { type: 'number', description: 'Share of /predict requests (0-100) this worker answers with the candidate: CANARY_PERCENT, or 0 when no candidate is loaded.' },
                  candidate_version: { type: ['string', 'null'], description: 'The candidate (shadow) model loaded from SHADOW_MODEL_PATH, null without one.' },
                },
              },
              card: { type: 'object', additionalProperties: true, description: 'The model card, as written by training.' },
            },
          },
          ...errorResponses(503),
        },
      },
    },
    async () => modelInfo(),
  );
};

/** The card's per-domain test figures, flattened for /model (a card without them gives {}). */
function domainFigures(card: object): Record<string, Record<string, number>> {
  const domains = (card as { metrics?: { domains?: Record<string, Record<string, unknown>> } }).metrics?.domains ?? {};
  const out: Record<string, Record<string, number>> = {};
  for (const [domain, m] of Object.entries(domains)) {
    const pick = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : NaN);
    out[domain] = {
      count: pick('count'),
      accuracy: pick('accuracy'),
      precision: pick('precision'),
      recall: pick('recall'),
      f1: pick('f1'),
      roc_auc: pick('rocAuc'),
      blocked_ham_rate: pick('blockedHamRate'),
      ece: pick('ece'),
    };
  }
  return out;
}
