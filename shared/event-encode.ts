/**
 * Writers' side of the channel schema (shared/events.ts): frames built from string templates.
 * Frames are pure ASCII (non-ASCII characters are written as JSON \u escapes), so a frame's
 * length in characters is its length in bytes and a writer can copy it into a Buffer with
 * latin1Write, the cheapest conversion there is.
 *
 * A worker writes one frame per request, so this is on the hot path of every request: templates
 * with precomputed per-publisher prefixes cost a fraction of JSON.stringify on an object, and
 * every string that goes in is either from a closed set or escaped once and cached. Readers use
 * JSON.parse, so any valid JSON is accepted; the templates only have to produce valid JSON, which
 * test/unit/shared/event-encode.test.ts checks against the exporter's parser.
 */
import { isErrorCode } from './error-codes.js';
import {
  EVENT_SCHEMA_VERSION,
  MODEL_DOMAINS,
  type AckFrame,
  type ModelDomain,
  type EventRoute,
  type PredictionSummary,
  type PublisherBooks,
  type PublisherIdentity,
} from './events.js';
import type { Label } from './model-io.js';
import type { DriftReference } from './drift-reference.js';

/** What a finished request contributes to its event. */
export interface RequestFields {
  route: EventRoute;
  method: string;
  status: number;
  errorCode?: string | undefined;
  latencySeconds: number;
  inferenceSeconds?: number | undefined;
  batchSize?: number | undefined;
  predictions?: readonly PredictionSummary[] | undefined;
  /** Version of the model that made the predictions; written only when it is not the connection's base version. */
  modelVersion?: string | undefined;
}

/** What else a feedback event may say about the prediction it scores. */
export interface FeedbackModels {
  /** The model that made the prediction (written when it is not the base version). */
  modelVersion?: string | undefined;
  /** The shadow model's label for the same prediction id, if it scored it. */
  shadowPredicted?: Label | undefined;
  shadowVersion?: string | undefined;
}

/** One text as the shadow model scored it. */
export interface ShadowFields {
  label: Label;
  confidence: number;
  agree: boolean;
}

/** The models a worker holds, for its hello frames. */
export interface LoadedModels {
  current: string;
  previous?: string | undefined;
  shadow?: string | undefined;
}

export interface StatsFields extends PublisherBooks {
  activeConnections: number;
  inFlightRequests: number;
  ready: boolean;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

/** A JSON string literal in pure ASCII. */
export function jsonAscii(s: string): string {
  const json = JSON.stringify(s);
  // eslint-disable-next-line no-control-regex -- everything outside ASCII, which starts at NUL
  return /[^\x00-\x7f]/.test(json) ? json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** JSON has no NaN or Infinity: a non-finite number would make the whole frame unreadable. */
function num(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

function count(x: number): number {
  return Number.isSafeInteger(x) && x >= 0 ? x : 0;
}

/**
 * Seconds -> whole microseconds (non-finite or negative: 0). Integers format several times faster
 * than doubles, which need a shortest-round-trip conversion, and a time has no meaning below 1 us.
 */
export function micros(seconds: number): number {
  const us = Math.round(seconds * 1e6);
  return us >= 0 && us <= Number.MAX_SAFE_INTEGER ? us : 0;
}

/** A probability -> whole millionths, within 0..1e6 (non-finite: 0). */
export function ppm(p: number): number {
  const x = Math.round(p * 1e6);
  return x >= 0 ? (x <= 1e6 ? x : 1e6) : 0;
}

export class EventEncoder {
  private readonly requestPrefix: string;
  private readonly feedbackPrefix: string;
  private readonly helloPrefix: string;
  private readonly statsPrefix: string;
  private readonly shadowPrefix: string;
  private modelVersion = '';
  private modelVersionJson = '""';
  /** `,"reference":{...}` of the served model, or '' (built once per model, sent in hellos only). */
  private referenceJson = '';

  /**
   * The version this process started with. Data events of that version carry no model_version
   * (the hello names it as base_model_version); events of any other version name theirs. It never
   * changes in a process, so an event is attributed right whichever connection it is written to.
   */
  private readonly baseVersion: string;
  private loadedJson = '';
  /** Escaped versions seen (a handful: current, previous, shadow and their predecessors). */
  private readonly versionJson = new Map<string, string>();

  constructor(identity: PublisherIdentity, modelVersion = '', reference?: DriftReference) {
    this.baseVersion = modelVersion;
    // Identity never changes for a process: its escaped form is built once. Data events (schema
    // version 2) do not carry it: the hello that opens every connection does.
    const id = `"worker":${jsonAscii(identity.worker)},"pid":${count(identity.pid)}`;
    const v = EVENT_SCHEMA_VERSION;
    this.requestPrefix = `{"v":${v},"type":"request","route":"`;
    this.feedbackPrefix = `{"v":${v},"type":"feedback","predicted":"`;
    this.helloPrefix = `{"v":${v},"type":"hello",${id},"ts":`;
    this.statsPrefix = `{"v":${v},"type":"stats",${id},"ts":`;
    this.shadowPrefix = `{"v":${v},"type":"shadow","model_version":`;
    this.setModelVersion(modelVersion, reference);
  }

  /**
   * The served model: its version, and its drift reference for the hellos (none: hellos carry
   * none). One call for both, so a hello can never pair a version with another model's reference.
   */
  setModelVersion(version: string, reference?: DriftReference): void {
    // Numbers and fixed keys only: JSON.stringify is ASCII here.
    this.referenceJson = reference === undefined ? '' : `,"reference":${JSON.stringify(reference)}`;
    if (version === this.modelVersion) return;
    this.modelVersion = version;
    this.modelVersionJson = jsonAscii(version);
  }

  /**
   * The models held now: the hello names them all (the exporter's bounded set of per-version
   * series), with the current model's drift reference.
   */
  setLoaded(m: LoadedModels, reference?: DriftReference): void {
    this.setModelVersion(m.current, reference);
    let s = '';
    if (this.baseVersion !== '' && this.baseVersion !== m.current) s += `,"base_model_version":${this.json(this.baseVersion)}`;
    if (m.previous !== undefined) s += `,"previous_model_version":${this.json(m.previous)}`;
    if (m.shadow !== undefined) s += `,"shadow_model_version":${this.json(m.shadow)}`;
    this.loadedJson = s;
  }

  private json(version: string): string {
    let j = this.versionJson.get(version);
    if (j === undefined) {
      if (this.versionJson.size >= 32) this.versionJson.clear();
      j = jsonAscii(version);
      this.versionJson.set(version, j);
    }
    return j;
  }

  getModelVersion(): string {
    return this.modelVersion;
  }

  request(f: RequestFields): string {
    const method = HTTP_METHODS.has(f.method) ? f.method : 'OTHER';
    let s = `${this.requestPrefix}${f.route}","method":"${method}","status":${count(f.status)}`;
    if (f.errorCode !== undefined) {
      // Catalogued codes are [A-Z_]: safe verbatim. Anything else is escaped (and later mapped
      // to the fallback by the exporter).
      s += isErrorCode(f.errorCode) ? `,"error_code":"${f.errorCode}"` : `,"error_code":${jsonAscii(String(f.errorCode))}`;
    }
    s += `,"latency_us":${micros(f.latencySeconds)}`;
    if (f.inferenceSeconds !== undefined) s += `,"inference_us":${micros(f.inferenceSeconds)}`;
    if (f.batchSize !== undefined) s += `,"batch_size":${count(f.batchSize)}`;
    const p = f.predictions;
    if (p !== undefined && p.length > 0) {
      s += ',"predictions":[';
      for (let i = 0; i < p.length; i++) {
        const x = p[i]!;
        const label = x.label === 'spam' ? 'spam' : 'ham';
        s += `${i === 0 ? '' : ','}{"label":"${label}","confidence_ppm":${ppm(x.confidence)},"text_length":${count(x.text_length)}`;
        if (x.prepared_length !== undefined) s += `,"prepared_length":${count(x.prepared_length)}`;
        s += x.known_term_ratio === undefined ? '}' : `,"known_ppm":${ppm(x.known_term_ratio)}}`;
      }
      s += ']';
    }
    if (f.modelVersion !== undefined && f.modelVersion !== this.baseVersion) s += `,"model_version":${this.json(f.modelVersion)}`;
    return `${s}}\n`;
  }

  feedback(predicted: Label, actual: Label, f: FeedbackModels = {}): string {
    const p = predicted === 'spam' ? 'spam' : 'ham';
    const a = actual === 'spam' ? 'spam' : 'ham';
    let s = `${this.feedbackPrefix}${p}","actual":"${a}"`;
    if (f.modelVersion !== undefined && f.modelVersion !== this.baseVersion) s += `,"model_version":${this.json(f.modelVersion)}`;
    if (f.shadowPredicted !== undefined && f.shadowVersion !== undefined) {
      s += `,"shadow_predicted":"${f.shadowPredicted === 'spam' ? 'spam' : 'ham'}","shadow_model_version":${this.json(f.shadowVersion)}`;
    }
    return `${s}}\n`;
  }

  /** One batch the shadow model scored: its version and, per text, label, confidence and agreement. */
  shadow(version: string, results: readonly ShadowFields[]): string {
    let s = `${this.shadowPrefix}${this.json(version)},"predictions":[`;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      s += `${i === 0 ? '' : ','}{"label":"${r.label === 'spam' ? 'spam' : 'ham'}","confidence_ppm":${ppm(r.confidence)},"agree":${r.agree ? 'true' : 'false'}}`;
    }
    return `${s}]}\n`;
  }

  hello(modelAccuracy: number, books: PublisherBooks, ts: number = Date.now(), domainAccuracy: Partial<Record<ModelDomain, number>> = {}): string {
    let domains = '';
    for (const d of MODEL_DOMAINS) {
      const a = domainAccuracy[d];
      if (a !== undefined) domains += `${domains ? ',' : ''}"${d}":${num(a)}`;
    }
    const domainJson = domains ? `,"model_domain_accuracy":{${domains}}` : '';
    return `${this.helloPrefix}${ts},"model_version":${this.modelVersionJson},"model_accuracy":${num(modelAccuracy)}${domainJson}${this.loadedJson}${booksJson(books)}${this.referenceJson}}\n`;
  }

  stats(f: StatsFields, ts: number = Date.now()): string {
    return (
      `${this.statsPrefix}${ts},"active_connections":${count(f.activeConnections)},` +
      `"in_flight_requests":${count(f.inFlightRequests)},"ready":${f.ready ? 'true' : 'false'}${booksJson(f)}}\n`
    );
  }
}

function booksJson(b: PublisherBooks): string {
  return (
    `,"published_events":${count(b.published_events)},"delivered_events":${count(b.delivered_events)}` +
    `,"dropped_events":${count(b.dropped_events)},"queued_events":${count(b.queued_events)}`
  );
}

/** The exporter's acknowledgement line. */
export function encodeAck(received: number): string {
  const frame: AckFrame = { v: EVENT_SCHEMA_VERSION, type: 'ack', received };
  return `${JSON.stringify(frame)}\n`;
}
