/**
 * POST /predict ({text} or {texts}) and POST /invocations ({inputs}, the MLflow-style API).
 * The schemas carry the limits (text length, batch size) so ajv rejects oversized input before
 * the handler runs; the handlers only add what a schema cannot say (blank text, text XOR texts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../http/errors.js';
import { errorResponses, predictionRef } from '../http/schemas.js';
import type { Predictor } from '../predictor.js';
import { textDigest } from '../http/text-digest.js';

export interface PredictRoutesOptions {
  predictor: Predictor;
}

interface PredictBody {
  text?: string;
  texts?: string[];
}

interface InvocationsBody {
  inputs: string[];
}

const NOT_BLANK = /\S/;

function assertNotBlank(texts: readonly string[], field: string, single: boolean): void {
  for (let i = 0; i < texts.length; i++) {
    if (!NOT_BLANK.test(texts[i]!)) {
      throw new ApiError('EMPTY_TEXT', `${single ? field : `${field}[${i}]`} must not be empty or only whitespace`);
    }
  }
}

const SAMPLE_SPAM = 'CONGRATULATIONS! You won $1000000!';

export const predictRoutes: FastifyPluginAsync<PredictRoutesOptions> = async (app, { predictor }) => {
  const { config, model } = app.inference;
  const textSchema = {
    type: 'string',
    minLength: 1,
    maxLength: config.maxTextChars,
    description: `A message to classify: 1 to ${config.maxTextChars} characters (Unicode code points). ` +
      `The model reads at most its first ${model.maxTextChars} characters.`,
  };
  const batchSchema = {
    type: 'array',
    minItems: 1,
    maxItems: config.maxBatchSize,
    items: textSchema,
    description: `1 to ${config.maxBatchSize} texts, classified with one model call.`,
  };
  const errors = errorResponses(400, 401, 413, 415, 500, 503);
  const logDigests = config.logTextHash;

  app.post<{ Body: PredictBody }>(
    '/predict',
    {
      schema: {
        summary: 'Classify one text or a batch',
        description: 'Send `{"text"}` for one prediction or `{"texts": [...]}` for a batch (one model call). ' +
          'Each prediction has an `id` for POST /feedback.',
        tags: ['predictions'],
        body: {
          type: 'object',
          properties: { text: textSchema, texts: batchSchema },
          examples: [{ text: SAMPLE_SPAM }, { texts: [SAMPLE_SPAM, 'Are we still on for lunch tomorrow?'] }],
        },
        response: {
          200: {
            description: 'A prediction (for `text`) or `{predictions, model_version}` (for `texts`)',
            anyOf: [
              predictionRef,
              {
                type: 'object',
                required: ['predictions', 'model_version', 'inference_time_ms'],
                properties: {
                  predictions: { type: 'array', items: predictionRef },
                  model_version: { type: 'string' },
                  inference_time_ms: { type: 'number' },
                },
              },
            ],
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { text, texts } = request.body;
      if (text !== undefined) {
        if (texts !== undefined) throw new ApiError('INVALID_REQUEST', 'send either text or texts, not both');
        if (!NOT_BLANK.test(text)) throw new ApiError('EMPTY_TEXT', 'text must not be empty or only whitespace');
        if (logDigests) request.textDigests = [textDigest(text)];
        const [prediction] = await predictor.predict([text], request.outcome);
        // The Prediction schema's own serializer (compiled once per route): the 200 schema's anyOf
        // would first validate the object against its branches to pick one (docs/benchmarks.md#the-cuts). Same bytes.
        // A reply serializer leaves the content type to the route: the one Fastify sets for JSON.
        reply.serializer(reply.compileSerializationSchema(predictionRef, '200')).type('application/json; charset=utf-8');
        return prediction;
      }
      if (texts !== undefined) {
        assertNotBlank(texts, 'texts', false);
        if (logDigests) request.textDigests = texts.map(textDigest);
        const predictions = await predictor.predict(texts, request.outcome);
        return { predictions, model_version: predictions[0]!.model_version, inference_time_ms: predictions[0]!.inference_time_ms };
      }
      throw new ApiError('INVALID_TEXT', 'body must have text (a string) or texts (an array of strings)');
    },
  );

  app.post<{ Body: InvocationsBody }>(
    '/invocations',
    {
      schema: {
        summary: 'MLflow-style scoring',
        description: 'The MLflow scoring-server shape: `{"inputs": [text, ...]}` -> `{"predictions": [...]}`, ' +
          'one prediction object (as POST /predict) per input, in order.',
        tags: ['predictions'],
        body: {
          type: 'object',
          required: ['inputs'],
          properties: { inputs: batchSchema },
          examples: [{ inputs: [SAMPLE_SPAM] }],
        },
        response: {
          200: {
            description: 'One prediction per input',
            type: 'object',
            required: ['predictions'],
            properties: { predictions: { type: 'array', items: predictionRef } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const { inputs } = request.body;
      assertNotBlank(inputs, 'inputs', false);
      if (logDigests) request.textDigests = inputs.map(textDigest);
      return { predictions: await predictor.predict(inputs, request.outcome) };
    },
  );
};
