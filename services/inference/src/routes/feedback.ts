/**
 * POST /feedback {id, label}: delayed ground truth for a recent prediction. The prediction id
 * names the worker that made it; under node:cluster another worker's ids are looked up through
 * the primary, so feedback works whichever worker the connection lands on.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Label } from '../../../../shared/model-io.js';
import { ApiError } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { predictionOwner } from '../ids.js';
import type { FeedbackLookup } from '../feedback-store.js';
import { requireBearerToken } from '../http/bearer-auth.js';

interface FeedbackBody {
  id: string;
  label: Label;
}

const FORWARD_TIMEOUT_MS = 2000;

export const feedbackRoutes: FastifyPluginAsync = async (app) => {
  const { config, store, cluster, capture, models } = app.inference;
  const self = config.workerId;

  // In the worker that made the prediction (and holds it in its store): a captured prediction's
  // label is appended to this worker's capture file, and the serials of the models that scored it
  // are this worker's, so the versions they name are resolved here, before any forwarding.
  const resolveHere = (id: string, label: Label): FeedbackLookup => {
    const r = store.resolve(id, label);
    if (r.status !== 'accepted') return r;
    if (r.captured) capture?.feedback(id, label);
    const out: FeedbackLookup = { status: 'accepted', predicted: r.predicted, captured: r.captured };
    const version = r.serial !== undefined ? models.versionOf(r.serial) : undefined;
    if (version !== undefined) out.modelVersion = version;
    const shadowVersion = r.shadowSerial !== undefined ? models.versionOf(r.shadowSerial) : undefined;
    if (r.shadowPredicted !== undefined && shadowVersion !== undefined) {
      out.shadowPredicted = r.shadowPredicted;
      out.shadowVersion = shadowVersion;
    }
    return out;
  };
  cluster?.serveFeedback(resolveHere);

  app.post<{ Body: FeedbackBody }>(
    '/feedback',
    {
      onRequest: config.feedbackToken ? [requireBearerToken(config.feedbackToken)] : [],
      schema: {
        summary: 'Report the true label of a recent prediction',
        description:
          `Accepted once per prediction id, for ${config.feedbackTtlSeconds} s after the prediction ` +
          `(the last ${config.feedbackMaxEntries} predictions per worker are remembered). ` +
          'Needs `Authorization: Bearer <FEEDBACK_TOKEN>` when FEEDBACK_TOKEN is set.',
        tags: ['predictions'],
        body: {
          type: 'object',
          required: ['id', 'label'],
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 128, description: 'The `id` of a prediction.' },
            label: { type: 'string', enum: ['spam', 'ham'], description: 'The true label.' },
          },
          examples: [{ id: '0.k3v9x2qa.1f', label: 'spam' }],
        },
        response: {
          200: {
            description: 'Feedback recorded',
            type: 'object',
            required: ['id', 'predicted', 'actual', 'correct'],
            properties: {
              id: { type: 'string' },
              predicted: { type: 'string', enum: ['spam', 'ham'] },
              actual: { type: 'string', enum: ['spam', 'ham'] },
              correct: { type: 'boolean' },
            },
          },
          ...errorResponses(400, 401, 404, 409, 410, 415, 500, 503),
        },
      },
    },
    async (request) => {
      const { id, label } = request.body;
      const owner = predictionOwner(id);
      if (owner === undefined) throw new ApiError('UNKNOWN_PREDICTION');

      let result: FeedbackLookup;
      if (owner === self || cluster === undefined) {
        result = resolveHere(id, label);
      } else {
        const forwarded = await cluster.forwardFeedback(owner, id, label, FORWARD_TIMEOUT_MS);
        if (forwarded.status === 'timeout') {
          throw new ApiError('OVERLOADED', 'the worker that made this prediction did not answer in time', { 'retry-after': '1' });
        }
        // A worker that is gone took its recent predictions with it.
        result = forwarded.status === 'unreachable' ? { status: 'unknown' } : forwarded;
      }

      switch (result.status) {
        case 'accepted':
          request.outcome.feedback = {
            predicted: result.predicted,
            actual: label,
            modelVersion: result.modelVersion,
            shadowPredicted: result.shadowPredicted,
            shadowVersion: result.shadowVersion,
          };
          return { id, predicted: result.predicted, actual: label, correct: result.predicted === label };
        case 'expired':
          throw new ApiError('PREDICTION_EXPIRED');
        case 'duplicate':
          throw new ApiError('FEEDBACK_ALREADY_RECORDED');
        default:
          throw new ApiError('UNKNOWN_PREDICTION');
      }
    },
  );
};
