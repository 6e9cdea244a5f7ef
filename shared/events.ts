/**
 * The event schema of the local channel (inference workers -> exporter).
 *
 * Framing: newline-delimited JSON (one event per line, UTF-8). Every event carries `v`, the
 * schema version. A reader accepts every version it knows and counts the rest as malformed
 * with reason "unsupported_version"; a writer only ever adds optional fields within a version,
 * so an old worker and a new exporter coexist during a rolling restart.
 */
import type { Label } from './model-io.js';

export const EVENT_SCHEMA_VERSION = 1;

/** Routes that can appear in events: route patterns, never raw URLs. */
export const EVENT_ROUTES = [
  '/predict',
  '/invocations',
  '/feedback',
  '/',
  '/health',
  '/ready',
  '/model',
  '/model/report',
  '/metrics',
  '/openapi.json',
  '/docs',
  'unmatched',
] as const;
export type EventRoute = (typeof EVENT_ROUTES)[number];

/** The routes whose requests the seed counted as prediction requests. */
export const PREDICTION_ROUTES: readonly EventRoute[] = ['/predict', '/invocations'];

export interface PublisherIdentity {
  /** Stable slot of the worker (cluster/pm2 instance index), bounded: safe as a label. */
  worker: string;
  pid: number;
}

/** First frame on every connection. */
export interface HelloEvent extends PublisherIdentity {
  v: 1;
  type: 'hello';
  ts: number; // unix ms
  model_version: string;
  /** Test-split accuracy from the served model's card. */
  model_accuracy: number;
}

export interface PredictionSummary {
  label: Label;
  confidence: number; // probability of the predicted label, 0.5..1
  text_length: number; // characters of the input as received
}

/** One per finished HTTP request, whatever its route or outcome. */
export interface RequestEvent extends PublisherIdentity {
  v: 1;
  type: 'request';
  ts: number;
  route: EventRoute;
  method: string;
  status: number;
  /** Stable error code of a non-2xx answer (from the error catalogue), absent on success. */
  error_code?: string;
  latency_s: number;
  inference_s?: number;
  batch_size?: number;
  predictions?: PredictionSummary[];
  model_version: string;
}

/** Delayed ground truth accepted by POST /feedback. */
export interface FeedbackEvent extends PublisherIdentity {
  v: 1;
  type: 'feedback';
  ts: number;
  predicted: Label;
  actual: Label;
  model_version: string;
}

/** Periodic gauges a worker alone can know (sent every few seconds). */
export interface StatsEvent extends PublisherIdentity {
  v: 1;
  type: 'stats';
  ts: number;
  active_connections: number;
  in_flight_requests: number;
  /** Events this publisher dropped since it started (monotonic per publisher). */
  dropped_events: number;
  ready: boolean;
}

export type ChannelEvent = HelloEvent | RequestEvent | FeedbackEvent | StatsEvent;
export type ChannelEventType = ChannelEvent['type'];
