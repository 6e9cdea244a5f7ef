/**
 * What a request did, filled in by the route handlers and the error handler, and read once in
 * onResponse by the events plugin (one channel event per request) and the access log.
 * Keeping it on the request object means handlers never talk to the channel directly.
 */
import type { ErrorCode } from '../../../shared/error-codes.js';
import type { PredictionSummary } from '../../../shared/events.js';
import type { Label } from '../../../shared/model-io.js';
import type { FastifyRequest } from 'fastify';

export interface FeedbackOutcome {
  predicted: Label;
  actual: Label;
  /** The model that made the prediction, when still known. */
  modelVersion?: string | undefined;
  /** The shadow model's prediction for the same id, when it scored it. */
  shadowPredicted?: Label | undefined;
  shadowVersion?: string | undefined;
}

export interface RequestOutcome {
  /**
   * The matched route's pattern (undefined: no route matched), read once when the request
   * starts: Fastify's `request.routeOptions` getter builds a new object on every read, and the
   * metrics, the access log and the events each need the pattern.
   */
  route?: string | undefined;
  errorCode?: ErrorCode;
  inferenceSeconds?: number;
  batchSize?: number;
  predictions?: PredictionSummary[];
  /** The version of the model that made the predictions. */
  modelVersion?: string;
  /** Set by POST /feedback when ground truth was accepted. */
  feedback?: FeedbackOutcome;
}

declare module 'fastify' {
  interface FastifyRequest {
    outcome: RequestOutcome;
  }
}

/**
 * The route pattern of a finished request: the one read when it started, or (for a request
 * answered before the request-context hook ran, e.g. a framework error) Fastify's own.
 */
export function routeOf(request: FastifyRequest): string | undefined {
  const outcome = request.outcome as RequestOutcome | null;
  return outcome !== null && 'route' in outcome ? outcome.route : request.routeOptions.url;
}
