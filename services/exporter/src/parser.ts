/**
 * Line parser and validator: one channel frame (a JSON line) in, a typed event or the reason it
 * was rejected out. Nothing a publisher sends can throw past this function.
 *
 * JSON.parse is the one parser (a hand-written scanner was no faster on these short lines:
 * docs/benchmarks.md#frame-parser); the fast path is the validation after it: hand-written type checks for each frame
 * type in the order the template writes them, with no schema library, no copies and no
 * allocation beyond the parsed object, and the worker id of the previous frame remembered so the
 * regex runs once per connection rather than once per event. Both schema versions are read
 * (shared/events.ts): version 2 data events carry no identity and integer times; version 1 ones
 * (workers not restarted yet after an upgrade) are validated as they always were.
 */
import {
  MAX_FRAME_BYTES,
  MODEL_DOMAINS,
  MODEL_VERSION_PATTERN,
  SUPPORTED_SCHEMA_VERSIONS,
  WORKER_ID_PATTERN,
  type ChannelEvent,
  type MalformedReason,
} from '../../../shared/events.js';
import { readDriftReference } from '../../../shared/drift-reference.js';

/** Longest string field accepted where a value is not checked against a pattern. */
const MAX_SHORT_STRING = 64;

type Obj = Record<string, unknown>;

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isNonNegative(x: unknown): x is number {
  return typeof x === 'number' && x >= 0 && x < Number.POSITIVE_INFINITY;
}

function isUnit(x: unknown): x is number {
  return typeof x === 'number' && x >= 0 && x <= 1;
}

function isPpm(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 1e6;
}

function isShortString(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_SHORT_STRING;
}

function isLabel(x: unknown): boolean {
  return x === 'spam' || x === 'ham';
}

/** Optional; when present an object of known domains (a bounded label) to values in 0..1. */
function domainAccuracyValid(x: unknown): boolean {
  if (x === undefined) return true;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  return Object.entries(x).every(([k, v]) => (MODEL_DOMAINS as readonly string[]).includes(k) && isUnit(v));
}

/** An optional model version: absent, or a string a label may hold. */
function optionalVersion(x: unknown): boolean {
  return x === undefined || (typeof x === 'string' && MODEL_VERSION_PATTERN.test(x));
}

function booksValid(o: Obj): boolean {
  return isCount(o.published_events) && isCount(o.delivered_events) && isCount(o.dropped_events) && isCount(o.queued_events);
}

export class FrameParser {
  private lastWorker = '';

  private identityValid(o: Obj): boolean {
    const w = o.worker;
    if (typeof w !== 'string') return false;
    if (w !== this.lastWorker) {
      if (!WORKER_ID_PATTERN.test(w)) return false;
      this.lastWorker = w;
    }
    return typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0 && typeof o.ts === 'number' && Number.isFinite(o.ts);
  }

  parse(line: string): ChannelEvent | MalformedReason {
    if (line.length > MAX_FRAME_BYTES) return 'oversized';
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return 'invalid_json';
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not_object';
    const f = o as Obj;
    const v = f.v;
    if (v !== 2 && v !== 1) {
      return typeof v === 'number' && !SUPPORTED_SCHEMA_VERSIONS.includes(v) ? 'unsupported_version' : 'invalid_field';
    }
    switch (f.type) {
      case 'request':
        return v === 2 ? this.request(f) : this.requestV1(f);
      case 'feedback':
        // Version 2 data events carry no identity: the connection's hello does.
        return (v === 2 ? feedbackModelsValid(f) : this.identityValid(f) && isShortString(f.model_version)) && isLabel(f.predicted) && isLabel(f.actual)
          ? asEvent(f)
          : 'invalid_field';
      case 'shadow':
        return v === 2 &&
          typeof f.model_version === 'string' &&
          MODEL_VERSION_PATTERN.test(f.model_version) &&
          shadowPredictionsValid(f.predictions)
          ? asEvent(f)
          : 'invalid_field';
      case 'hello':
        if (
          !this.identityValid(f) ||
          typeof f.model_version !== 'string' ||
          !MODEL_VERSION_PATTERN.test(f.model_version) ||
          !isUnit(f.model_accuracy) ||
          !domainAccuracyValid(f.model_domain_accuracy) ||
          !optionalVersion(f.base_model_version) ||
          !optionalVersion(f.previous_model_version) ||
          !optionalVersion(f.shadow_model_version) ||
          !booksValid(f)
        ) {
          return 'invalid_field';
        }
        // A malformed drift reference costs that version its PSI, not the worker its hello.
        if (f.reference !== undefined) {
          const reference = readDriftReference(f.reference);
          if (reference === undefined) delete f.reference;
          else f.reference = reference;
        }
        return asEvent(f);
      case 'stats':
        return this.identityValid(f) &&
          isCount(f.active_connections) &&
          isCount(f.in_flight_requests) &&
          typeof f.ready === 'boolean' &&
          booksValid(f)
          ? asEvent(f)
          : 'invalid_field';
      default:
        return typeof f.type === 'string' ? 'unknown_type' : 'invalid_field';
    }
  }

  /** The fields both versions of a request frame share. */
  private requestCommon(f: Obj): boolean {
    if (!isShortString(f.route) || !isShortString(f.method)) return false;
    const status = f.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return false;
    if (f.error_code !== undefined && !isShortString(f.error_code)) return false;
    return f.batch_size === undefined || isCount(f.batch_size);
  }

  private request(f: Obj): ChannelEvent | MalformedReason {
    if (!this.requestCommon(f) || !isCount(f.latency_us)) return 'invalid_field';
    if (f.inference_us !== undefined && !isCount(f.inference_us)) return 'invalid_field';
    if (!predictionsValid(f.predictions, confidencePpmValid)) return 'invalid_field';
    if (!optionalVersion(f.model_version)) return 'invalid_field';
    return asEvent(f);
  }

  private requestV1(f: Obj): ChannelEvent | MalformedReason {
    if (!this.identityValid(f) || !isShortString(f.model_version)) return 'invalid_field';
    if (!this.requestCommon(f) || !isNonNegative(f.latency_s)) return 'invalid_field';
    if (f.inference_s !== undefined && !isNonNegative(f.inference_s)) return 'invalid_field';
    if (!predictionsValid(f.predictions, confidenceUnitValid)) return 'invalid_field';
    return asEvent(f);
  }
}

// Version 2 sends confidences as whole millionths, version 1 as a 0-1 double; version 2 may add
// the drift signals.
const confidencePpmValid = (x: Obj): boolean =>
  isPpm(x.confidence_ppm) && (x.prepared_length === undefined || isCount(x.prepared_length)) && (x.known_ppm === undefined || isPpm(x.known_ppm));
const confidenceUnitValid = (x: Obj): boolean => isUnit(x.confidence);

/** An optional array of {label, confidence, text_length}, the confidence as its version writes it. */
function predictionsValid(p: unknown, confidenceValid: (x: Obj) => boolean): boolean {
  if (p === undefined) return true;
  if (!Array.isArray(p)) return false;
  for (let i = 0; i < p.length; i++) {
    const x = p[i] as Obj | null;
    if (typeof x !== 'object' || x === null || !isLabel(x.label) || !confidenceValid(x) || !isCount(x.text_length)) return false;
  }
  return true;
}

/** Version 2 feedback: optional model version, and the shadow's label with its version (both or neither). */
function feedbackModelsValid(f: Obj): boolean {
  if (!optionalVersion(f.model_version)) return false;
  if (f.shadow_predicted === undefined && f.shadow_model_version === undefined) return true;
  return isLabel(f.shadow_predicted) && typeof f.shadow_model_version === 'string' && MODEL_VERSION_PATTERN.test(f.shadow_model_version);
}

/** A shadow frame's non-empty array of {label, confidence_ppm, agree}. */
function shadowPredictionsValid(p: unknown): boolean {
  if (!Array.isArray(p) || p.length === 0) return false;
  for (let i = 0; i < p.length; i++) {
    const x = p[i] as Obj | null;
    if (typeof x !== 'object' || x === null || !isLabel(x.label) || !isPpm(x.confidence_ppm) || typeof x.agree !== 'boolean') return false;
  }
  return true;
}

/** A frame that passed the field-by-field checks of its type is the event that type names. */
function asEvent(f: Obj): ChannelEvent {
  // eslint-disable-next-line no-restricted-syntax -- the checks above are the type guard
  return f as unknown as ChannelEvent;
}
