/**
 * Cheap unique ids: a random per-process boot tag plus a counter, no crypto per request.
 * Prediction ids also carry the worker id so POST /feedback on any worker of a cluster can
 * route the lookup to the worker that holds the prediction.
 */
import { randomBytes } from 'node:crypto';

export interface IdSource {
  readonly boot: string;
  requestId(): string;
  predictionId(): string;
  /**
   * The counter of a prediction id this source issued (this worker, this boot), or undefined for
   * any other string. Exact: "0.<boot>.01" is not "0.<boot>.1".
   */
  predictionKey(id: string): number | undefined;
}

/** `<worker>.<boot>.<counter>`: worker ids are [A-Za-z0-9_-], so '.' splits unambiguously. */
const PREDICTION_ID_RE = /^([A-Za-z0-9_-]{1,32})\.([a-z0-9]{8})\.([a-z0-9]{1,11})$/;

export function createIdSource(workerId: string): IdSource {
  const boot = randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(-8);
  let requests = 0;
  let predictions = 0;
  const predictionPrefix = `${workerId}.${boot}.`;
  const requestPrefix = `${boot}-`;
  return {
    boot,
    requestId: () => requestPrefix + (++requests).toString(36),
    predictionId: () => predictionPrefix + (++predictions).toString(36),
    predictionKey(id) {
      if (!id.startsWith(predictionPrefix)) return undefined;
      const digits = id.slice(predictionPrefix.length);
      const n = parseInt(digits, 36);
      return n > 0 && n <= predictions && n.toString(36) === digits ? n : undefined;
    },
  };
}

/** The worker id inside a well-formed prediction id, or undefined for anything else. */
export function predictionOwner(id: string): string | undefined {
  return PREDICTION_ID_RE.exec(id)?.[1];
}

/** A client-supplied x-request-id we are willing to echo and log. */
const SAFE_REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

export function isSafeRequestId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_REQUEST_ID_RE.test(value);
}
