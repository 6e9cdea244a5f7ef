/**
 * JSON schemas shared by several routes. They drive validation (ajv), response serialization
 * (fast-json-stringify: faster than JSON.stringify and drops fields not in the schema) and the
 * OpenAPI document, so one definition serves all three.
 */
import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../../../../shared/error-codes.js';

export const ERROR_BODY_ID = 'ErrorBody';
export const PREDICTION_ID = 'Prediction';

export const errorBodySchema = {
  $id: ERROR_BODY_ID,
  type: 'object',
  description: 'Every error answer. Branch on `code`: the set is closed and stable.',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', description: 'The HTTP status, repeated.' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable error code.' },
    error: { type: 'string', description: 'HTTP reason phrase.' },
    message: { type: 'string', description: 'Human-readable detail; never contains the submitted text.' },
    requestId: { type: 'string', description: 'The request id (x-request-id), also in the logs.' },
  },
  examples: [
    { statusCode: 400, code: 'EMPTY_TEXT', error: 'Bad Request', message: 'text must not be empty', requestId: 'k3v9x2qa-1f' },
  ],
} as const;

export const predictionSchema = {
  $id: PREDICTION_ID,
  type: 'object',
  required: ['id', 'prediction', 'confidence', 'probabilities', 'model_version', 'inference_time_ms'],
  properties: {
    id: { type: 'string', description: 'Prediction id; send it to POST /feedback with the true label.' },
    prediction: { type: 'string', enum: ['spam', 'ham'] },
    confidence: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Probability of the predicted label. The label follows the threshold in force (GET /model), so a text whose spam probability lies between 0.5 and a higher threshold is ham with a confidence below 0.5 (and the reverse under a lower threshold).',
    },
    probabilities: {
      type: 'object',
      required: ['ham', 'spam'],
      properties: { ham: { type: 'number' }, spam: { type: 'number' } },
    },
    model_version: { type: 'string' },
    inference_time_ms: { type: 'number', description: 'Time of the model call that produced this prediction (one call per batch).' },
  },
  examples: [
    {
      id: '0.k3v9x2qa.1f',
      prediction: 'spam',
      confidence: 0.97,
      probabilities: { ham: 0.03, spam: 0.97 },
      model_version: '2026-11-23.1',
      inference_time_ms: 0.11,
    },
  ],
} as const;

export const errorRef = { $ref: `${ERROR_BODY_ID}#` } as const;
export const predictionRef = { $ref: `${PREDICTION_ID}#` } as const;

/**
 * One documented error response standing for `codes` (all of one status), with one named
 * example per code, so the docs show each code's own answer rather than ErrorBody's single
 * example under every status.
 */
export function errorResponseFor(codes: readonly ErrorCode[], description = `Error (${codes.join(', ')})`): Record<string, unknown> {
  const examples = Object.fromEntries(
    codes.map((code) => {
      const { status, message } = ERROR_CODES[code];
      return [code, { value: { statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message, requestId: 'k3v9x2qa-1f' } }];
    }),
  );
  return { description, content: { 'application/json': { schema: errorRef, examples } } };
}

/** Error responses for a route, keyed by status, for serialization and the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of statuses) {
    const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((k) => ERROR_CODES[k].status === s);
    out[String(s)] = errorResponseFor(codes);
  }
  return out;
}

/** Errors every route can answer: unknown route handled elsewhere; load shedding, shutdown, internal. */
export const COMMON_ERROR_STATUSES = [500, 503] as const;
