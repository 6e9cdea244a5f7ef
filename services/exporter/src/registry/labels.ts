/**
 * The closed label sets of the exporter's metrics and the lookups that map an event's values
 * onto them. Publishers are not trusted to send bounded values: anything outside a set lands on
 * that set's fallback, so no publisher can grow the exporter's series count.
 */
import { ERROR_CODES, type ErrorCode } from '../../../../shared/error-codes.js';
import { CHANNEL_EVENT_TYPES, EVENT_ROUTES, MALFORMED_REASONS, PREDICTION_ROUTES } from '../../../../shared/events.js';
import { LABELS } from '../../../../shared/model-io.js';
import type { LabelDim } from '../../../../shared/metric-vectors.js';

function indexOf(values: readonly string[]): Map<string, number> {
  return new Map(values.map((v, i) => [v, i]));
}

// --- route ---
export const ROUTE_DIM: LabelDim = { name: 'route', values: EVENT_ROUTES };
const ROUTE_INDEX = indexOf(EVENT_ROUTES);
export const ROUTE_FALLBACK = EVENT_ROUTES.indexOf('unmatched');
export function routeIndex(route: string): number {
  return ROUTE_INDEX.get(route) ?? ROUTE_FALLBACK;
}
/** isPredictionRoute[routeIndex] */
export const IS_PREDICTION_ROUTE: readonly boolean[] = EVENT_ROUTES.map((r) => PREDICTION_ROUTES.includes(r));

// --- status_code ---
/**
 * Status codes this service can answer (the error catalogue's plus the usual success and proxy
 * ones); anything else is reported as "other".
 */
const KNOWN_STATUSES = [
  ...new Set([
    200, 201, 202, 204, 206, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 413, 414, 415,
    422, 429, 431, 500, 501, 502, 503, 504,
    ...Object.values(ERROR_CODES).map((e) => e.status),
  ]),
].sort((a, b) => a - b);
export const STATUS_DIM: LabelDim = { name: 'status_code', values: [...KNOWN_STATUSES.map(String), 'other'] };
const STATUS_OTHER = KNOWN_STATUSES.length;
const STATUS_LOOKUP = new Uint8Array(600).fill(STATUS_OTHER);
KNOWN_STATUSES.forEach((s, i) => (STATUS_LOOKUP[s] = i));
/** `status` must be an integer (the parser checks 100-599). */
export function statusIndex(status: number): number {
  return status >= 0 && status < 600 ? STATUS_LOOKUP[status]! : STATUS_OTHER;
}

// --- code (stable error codes) ---
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
export const CODE_DIM: LabelDim = { name: 'code', values: CODES };
const CODE_INDEX = indexOf(CODES);
/** The catalogue's own rule: a code outside it (or none) is reported as INTERNAL_ERROR. */
export const CODE_FALLBACK = CODES.indexOf('INTERNAL_ERROR');
export function codeIndex(code: string | undefined): number {
  return code === undefined ? CODE_FALLBACK : (CODE_INDEX.get(code) ?? CODE_FALLBACK);
}

// --- prediction labels ---
export const RESULT_DIM: LabelDim = { name: 'result', values: LABELS };
export const PREDICTED_DIM: LabelDim = { name: 'predicted', values: LABELS };
export const ACTUAL_DIM: LabelDim = { name: 'actual', values: LABELS };
/** The parser only lets "ham" and "spam" through. */
export function labelIndex(label: string): number {
  return label === 'spam' ? 1 : 0;
}

// --- telemetry ---
export const TYPE_DIM: LabelDim = { name: 'type', values: CHANNEL_EVENT_TYPES };
const TYPE_INDEX = indexOf(CHANNEL_EVENT_TYPES);
export function typeIndex(type: string): number {
  return TYPE_INDEX.get(type)!;
}
export const REASON_DIM: LabelDim = { name: 'reason', values: MALFORMED_REASONS };
const REASON_INDEX = indexOf(MALFORMED_REASONS);
export function reasonIndex(reason: string): number {
  return REASON_INDEX.get(reason)!;
}
