/**
 * The event schema of the local channel (inference workers -> exporter). docs/channel.md is the
 * design; this file holds the definitions both sides compile against.
 *
 * Framing: newline-delimited JSON (one frame per line, UTF-8, at most MAX_FRAME_BYTES). Every
 * frame carries `v`, the schema version. A reader accepts every version it knows and counts the
 * rest as malformed with reason "unsupported_version"; within a version a writer only ever adds
 * optional fields and readers ignore fields they do not know, so an old worker and a new
 * exporter coexist during a rolling restart.
 *
 * Two kinds of frames flow from a worker:
 * - data events (request, feedback): one per fact, counted in the worker's books
 *   (since version 2 without the worker's identity: the connection's hello carries it)
 *   (published = delivered + dropped + queued + in flight) and never silently lost;
 * - control frames (hello, stats): snapshots of state, sent only while connected; a newer one
 *   supersedes an older one, so they are not counted as events.
 * The exporter answers with ack frames carrying how many lines it has received on the
 * connection, which is how a worker knows what was delivered and what a crash lost.
 */
import type { Label } from './model-io.js';
import type { DriftReference } from './drift-reference.js';
import { INFERENCE_ROUTES, type InferenceRoutePath } from './routes.js';

/**
 * Version 2 (the one writers use): data events (request, feedback) no longer repeat what the
 * connection's hello already says (worker, pid, model version) nor a timestamp nobody read, and
 * carry times in integer microseconds and confidences in integer millionths, which are several
 * times cheaper to format than shortest-round-trip doubles (docs/channel.md, Performance).
 * Hello and stats frames are the same in both versions. Readers still accept version 1 frames,
 * so an exporter upgraded first keeps counting the events of workers not yet restarted.
 */
export const EVENT_SCHEMA_VERSION = 2;
export type SchemaVersion = 1 | 2;
/** Versions this code can read. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1, 2];

/** Longest frame (bytes, newline excluded) a reader accepts; longer ones are dropped whole. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Routes that can appear in events: the route list's paths (shared/routes.ts, in its order), never
 * raw URLs, and `unmatched` for anything else (404s, unknown methods).
 */
export type EventRoute = InferenceRoutePath | 'unmatched';
export const EVENT_ROUTES: readonly EventRoute[] = [...INFERENCE_ROUTES.map((r) => r.path), 'unmatched'];

/** The routes whose requests count as prediction requests (as the Python predecessor counted them). */
export const PREDICTION_ROUTES: readonly EventRoute[] = ['/predict', '/invocations'];

/** Worker slot ids: short and from a small alphabet, because they become a label value. */
export const WORKER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Model versions: printable, no quotes or backslashes, bounded length (they become a label value). */
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9._:+@-]{1,64}$/;

export interface PublisherIdentity {
  /** Stable slot of the worker (cluster/pm2 instance index), bounded: safe as a label. */
  worker: string;
  pid: number;
}

/** A worker's lifetime event books, carried by hello and stats frames. */
export interface PublisherBooks {
  /** Data events the worker produced since it started. */
  published_events: number;
  /** Data events an exporter acknowledged (received) since the worker started. */
  delivered_events: number;
  /** Data events dropped instead of delivered since the worker started, all reasons. */
  dropped_events: number;
  /** Data events waiting in the worker's queue right now. */
  queued_events: number;
}

/**
 * First frame on every connection; sent again when the served model changes. The exporter
 * attributes everything a connection sends to the worker and model its latest hello named.
 */
export interface HelloEvent extends PublisherIdentity, PublisherBooks {
  v: SchemaVersion;
  type: 'hello';
  ts: number; // unix ms
  model_version: string;
  /** Test-split accuracy from the served model's card, 0-1. */
  model_accuracy: number;
  /**
   * The served model's drift reference (its card's `reference`), when it has one: how the
   * exporter learns what the texts of this version are compared with. Optional (added within
   * version 2); a reader drops a malformed one and keeps the hello.
   */
  reference?: DriftReference;
  /**
   * Held-out accuracy per evaluation domain (MODEL_DOMAINS) from the card, 0-1; absent when the
   * card has none (older models).
   */
  model_domain_accuracy?: Partial<Record<ModelDomain, number>>;
  /**
   * The version this process started with, when it is no longer model_version (after a reload).
   * Data events without a model_version of their own were made by this version; absent: by
   * model_version. Optional (added with model reloads): older writers never reload.
   */
  base_model_version?: string;
  /** The model the last reload replaced, kept loaded for a rollback. */
  previous_model_version?: string;
  /** The shadow model (SHADOW_MODEL_PATH), scored off the response path. */
  shadow_model_version?: string;
}

/** The card's evaluation domains (shared/model-card.ts DOMAINS): a bounded metric label. */
export const MODEL_DOMAINS = ['rawEmail', 'headerlessEmail', 'sms', 'short', 'userText'] as const;
export type ModelDomain = (typeof MODEL_DOMAINS)[number];

/** One prediction as the worker knows it (and as version 1 frames carried it). */
export interface PredictionSummary {
  label: Label;
  confidence: number; // probability of the predicted label, 0..1 (below 0.5 when the threshold in force is not 0.5)
  text_length: number; // characters of the input as received
  /** Characters after the model's preparation (its cap): the drift signal. */
  prepared_length?: number;
  /** Share of the text's word tokens in the model's vocabulary, 0-1, when the model outputs it. */
  known_term_ratio?: number;
}

/** One prediction in a version 2 request frame. */
export interface PredictionFrame {
  label: Label;
  /** Probability of the predicted label in millionths (987654 = 0.987654), rounded. */
  confidence_ppm: number;
  text_length: number;
  /** Drift signals (optional, added within version 2): characters after the model's preparation. */
  prepared_length?: number;
  /** Known-term ratio in millionths. */
  known_ppm?: number;
}

/** One per finished HTTP request, whatever its route or outcome (version 2). */
export interface RequestEvent {
  v: 2;
  type: 'request';
  route: EventRoute;
  method: string;
  status: number;
  /** Stable error code of a non-2xx answer (from the error catalogue), absent on success. */
  error_code?: string;
  /** Request start to response end, whole microseconds. */
  latency_us: number;
  /** Time in the model, whole microseconds. */
  inference_us?: number;
  batch_size?: number;
  predictions?: PredictionFrame[];
  /** The model that made the predictions, when it is not the connection's base version (hello). */
  model_version?: string;
}

/** Delayed ground truth accepted by POST /feedback (version 2). */
export interface FeedbackEvent {
  v: 2;
  type: 'feedback';
  predicted: Label;
  actual: Label;
  /** The model that made the prediction, when it is not the base version (as in request events). */
  model_version?: string;
  /** The shadow model's label for the same prediction id, when it scored it, and its version. */
  shadow_predicted?: Label;
  shadow_model_version?: string;
}

/** One text as the shadow model scored it. */
export interface ShadowPredictionFrame {
  label: Label;
  confidence_ppm: number;
  /** Same label as the model that answered. */
  agree: boolean;
}

/** One batch of texts the shadow model scored after they were answered (version 2, data event). */
export interface ShadowEvent {
  v: 2;
  type: 'shadow';
  model_version: string;
  predictions: ShadowPredictionFrame[];
}

/** A version 1 request frame: identity, time and model on every event, times in seconds. */
export interface RequestEventV1 extends PublisherIdentity {
  v: 1;
  type: 'request';
  ts: number;
  route: EventRoute;
  method: string;
  status: number;
  error_code?: string;
  latency_s: number;
  inference_s?: number;
  batch_size?: number;
  predictions?: PredictionSummary[];
  model_version: string;
}

/** A version 1 feedback frame. */
export interface FeedbackEventV1 extends PublisherIdentity {
  v: 1;
  type: 'feedback';
  ts: number;
  predicted: Label;
  actual: Label;
  model_version: string;
}

/** Periodic gauges a worker alone can know (sent every few seconds). */
export interface StatsEvent extends PublisherIdentity, PublisherBooks {
  v: SchemaVersion;
  type: 'stats';
  ts: number;
  active_connections: number;
  in_flight_requests: number;
  ready: boolean;
}

/** Exporter -> worker: lines received on this connection so far (cumulative, every frame counts). */
export interface AckFrame {
  v: SchemaVersion;
  type: 'ack';
  received: number;
}

export type DataEvent = RequestEvent | FeedbackEvent | ShadowEvent | RequestEventV1 | FeedbackEventV1;
export type ControlEvent = HelloEvent | StatsEvent;
export type ChannelEvent = DataEvent | ControlEvent;
export type ChannelEventType = ChannelEvent['type'];
export const CHANNEL_EVENT_TYPES: readonly ChannelEventType[] = ['request', 'feedback', 'hello', 'stats', 'shadow'];

/** Why a worker dropped a data event instead of delivering it (closed set: a label). */
export const DROP_REASONS = [
  /** Queue at its bound while connected: the exporter reads slower than workers publish. */
  'queue_full',
  /** Queue at its bound while no exporter is connected. */
  'disconnected',
  /** Written to a connection that broke before the exporter acknowledged it. */
  'unacknowledged',
  /** Still queued when the worker's bounded shutdown flush ran out of time. */
  'shutdown',
  /** Larger than MAX_FRAME_BYTES: no exporter would accept it. */
  'oversized',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why the exporter rejected a frame (closed set: a label). */
export const MALFORMED_REASONS = [
  'invalid_json',
  'not_object',
  'unsupported_version',
  'unknown_type',
  'invalid_field',
  'oversized',
  /** An unfinished frame (no newline yet) when its connection closed. */
  'truncated',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];
