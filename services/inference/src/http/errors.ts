/**
 * One error shape for every failure: {statusCode, code, error, message, requestId}. Fastify's
 * own errors (parser, body limit, schema validation) are translated to the closed code set of
 * shared/error-codes.ts here, so clients branch on `code` and never see a stack trace.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, errorBody, type ErrorCode } from '../../../../shared/error-codes.js';

export { errorBody };

/** An error a handler throws on purpose; `message` is safe to show to the client. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, message?: string, headers?: Record<string, string>) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'ApiError';
    this.code = code;
    this.headers = headers;
  }
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** Send an error answer and record its code for the access log and the events. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  message: string = ERROR_CODES[code].message,
): FastifyReply {
  request.outcome.errorCode = code;
  return reply.code(ERROR_CODES[code].status).send(errorBody(code, message, request.id));
}

interface AjvErrorLike {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** The fields whose values are texts to classify, as single values or as arrays of them. */
const TEXT_FIELDS = new Set(['text']);
const TEXT_ARRAY_FIELDS = new Set(['texts', 'inputs']);

function describeField(path: string[]): string {
  const [field, index] = path;
  return index === undefined ? (field ?? 'body') : `${field}[${index}]`;
}

/** Map the first schema violation to a stable code with a message that names the field. */
export function classifyValidation(errors: readonly AjvErrorLike[]): { code: ErrorCode; message: string } {
  const first = errors[0];
  if (!first) return { code: 'INVALID_REQUEST', message: ERROR_CODES.INVALID_REQUEST.message };
  const path = first.instancePath.split('/').slice(1);
  const { keyword, params } = first;

  if (path.length === 0) {
    if (keyword === 'required') {
      const missing = String(params.missingProperty);
      if (TEXT_FIELDS.has(missing)) return { code: 'INVALID_TEXT', message: `${missing} is required and must be a string` };
      if (TEXT_ARRAY_FIELDS.has(missing)) return { code: 'INVALID_TEXT', message: `${missing} is required and must be an array of strings` };
      if (missing === 'label') return { code: 'INVALID_LABEL', message: 'label is required and must be "spam" or "ham"' };
      return { code: 'INVALID_REQUEST', message: `${missing} is required` };
    }
    if (keyword === 'type') return { code: 'INVALID_REQUEST', message: 'body must be a JSON object' };
    return { code: 'INVALID_REQUEST', message: ERROR_CODES.INVALID_REQUEST.message };
  }

  const field = path[0]!;
  const isText = (path.length === 1 && TEXT_FIELDS.has(field)) || (path.length === 2 && TEXT_ARRAY_FIELDS.has(field));
  const name = describeField(path);
  if (isText) {
    if (keyword === 'minLength') return { code: 'EMPTY_TEXT', message: `${name} must not be empty` };
    if (keyword === 'maxLength') return { code: 'TEXT_TOO_LONG', message: `${name} is longer than the limit of ${String(params.limit)} characters` };
    return { code: 'INVALID_TEXT', message: `${name} must be a string` };
  }
  if (path.length === 1 && TEXT_ARRAY_FIELDS.has(field)) {
    if (keyword === 'minItems') return { code: 'EMPTY_BATCH', message: `${name} must hold at least one text` };
    if (keyword === 'maxItems') return { code: 'BATCH_TOO_LARGE', message: `${name} holds more than the limit of ${String(params.limit)} texts` };
    return { code: 'INVALID_TEXT', message: `${name} must be an array of strings` };
  }
  if (field === 'label') return { code: 'INVALID_LABEL', message: ERROR_CODES.INVALID_LABEL.message };
  return { code: 'INVALID_REQUEST', message: `${name} is invalid` };
}

/** Translate any error reaching the error handler to a code and a client-safe message. */
export function classifyError(error: FastifyError | ApiError | Error): { code: ErrorCode; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const fe = error as FastifyError;
  if (fe.validation) return classifyValidation(fe.validation);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'INVALID_JSON', message: ERROR_CODES.INVALID_JSON.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'INVALID_JSON', message: 'Request body is empty but Content-Type is application/json' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE.message };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'BODY_TOO_LARGE', message: ERROR_CODES.BODY_TOO_LARGE.message };
    default:
      break;
  }
  // secure-json-parse rejects __proto__ / constructor keys with a SyntaxError.
  if (error instanceof SyntaxError) return { code: 'INVALID_JSON', message: ERROR_CODES.INVALID_JSON.message };
  const status = fe.statusCode ?? 500;
  if (status === 413) return { code: 'BODY_TOO_LARGE', message: ERROR_CODES.BODY_TOO_LARGE.message };
  if (status === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', message: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE.message };
  if (status >= 400 && status < 500) return { code: 'INVALID_REQUEST', message: ERROR_CODES.INVALID_REQUEST.message };
  return { code: 'INTERNAL_ERROR', message: ERROR_CODES.INTERNAL_ERROR.message };
}
