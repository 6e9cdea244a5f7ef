import { STATUS_CODES } from 'node:http';

/**
 * Stable error codes of the HTTP API. Clients branch on them and the exporter uses them as a
 * label value, so the set is closed: anything else is reported as "INTERNAL_ERROR".
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content-Type must be application/json' },
  INVALID_REQUEST: { status: 400, message: 'Request body does not match the schema' },
  INVALID_TEXT: { status: 400, message: 'text must be a string' },
  EMPTY_TEXT: { status: 400, message: 'text must not be empty' },
  TEXT_TOO_LONG: { status: 413, message: 'text is longer than the limit' },
  EMPTY_BATCH: { status: 400, message: 'the batch must hold at least one text' },
  BATCH_TOO_LARGE: { status: 413, message: 'the batch holds more texts than the limit' },
  BODY_TOO_LARGE: { status: 413, message: 'request body is larger than the limit' },
  HEADERS_TOO_LARGE: { status: 431, message: 'request headers are larger than the limit' },
  REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  INVALID_LABEL: { status: 400, message: 'label must be "spam" or "ham"' },
  UNKNOWN_PREDICTION: { status: 404, message: 'no recent prediction has this id' },
  PREDICTION_EXPIRED: { status: 410, message: 'the prediction is too old to accept feedback' },
  FEEDBACK_ALREADY_RECORDED: { status: 409, message: 'feedback for this prediction was already recorded' },
  NOT_FOUND: { status: 404, message: 'route not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed on this route' },
  UNAUTHORIZED: { status: 401, message: 'a valid bearer token is required' },
  OVERLOADED: { status: 503, message: 'service is under pressure, retry later' },
  NOT_READY: { status: 503, message: 'model is not loaded' },
  SHUTTING_DOWN: { status: 503, message: 'service is shutting down' },
  MODEL_REFUSED: { status: 422, message: 'the model file was refused; the current model keeps serving' },
  NO_PREVIOUS_MODEL: { status: 409, message: 'no previous model is loaded to roll back to' },
  RELOAD_IN_PROGRESS: { status: 409, message: 'another reload or rollback is in progress' },
  MODEL_VERSION_MISMATCH: { status: 409, message: 'the workers read different model versions; nothing changed' },
  RELOAD_TIMEOUT: { status: 504, message: 'a worker did not finish the reload in time; nothing changed' },
  INTERNAL_ERROR: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  requestId?: string;
}

/** The one error body both services answer with: a catalogued code, its status and message, no echo of the request. */
export function errorBody(code: ErrorCode, message: string = ERROR_CODES[code].message, requestId?: string): ErrorBody {
  const statusCode = ERROR_CODES[code].status;
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (requestId !== undefined) body.requestId = requestId;
  return body;
}
