/**
 * Collects what happened during a run: outcomes by status and error code, latency in an HDR
 * histogram (constant memory however long a stress run lasts, 3 significant digits), accuracy
 * of the predictions against the known labels, and feedback outcomes.
 */
import * as hdr from 'hdr-histogram-js';
import type { Label } from '../../shared/model-io.js';
import type { MalformedKind, RequestSpec } from './mix.js';

/** Status key used when no HTTP answer came back (refused, reset, timed out). */
export const NO_RESPONSE = 'no_response';

export interface Counts {
  [key: string]: number;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface StatsSnapshot {
  sent: number;
  succeeded: number;
  failed: number;
  byStatus: Counts;
  byCode: Counts;
  malformed: { sent: number; byKind: Record<string, { sent: number; byCode: Counts }> };
  /** 2xx answers whose body did not hold the predictions the contract promises. */
  invalidResponses: number;
  latencyMs: LatencySummary | null;
  predictions: {
    texts: number;
    spam: number;
    ham: number;
    correct: number;
    accuracy: number | null;
    /** confusion[actual][predicted] */
    confusion: Record<Label, Record<Label, number>>;
  };
  feedback: { sent: number; accepted: number; failed: number; byCode: Counts };
}

function bump(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export class RunStats {
  private sent = 0;
  private succeeded = 0;
  private readonly byStatus: Counts = {};
  private readonly byCode: Counts = {};
  private malformedSent = 0;
  private readonly byKind: Record<string, { sent: number; byCode: Counts }> = {};
  private invalidResponses = 0;
  // Microseconds; 1 us resolution, auto-resizing so a 60 s timeout still fits.
  private readonly latency = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  private readonly confusion: Record<Label, Record<Label, number>> = { spam: { spam: 0, ham: 0 }, ham: { spam: 0, ham: 0 } };
  private readonly feedbackByCode: Counts = {};
  private feedbackSent = 0;
  private feedbackAccepted = 0;

  /** Requests that got an answer or failed on the wire (feedback excluded). */
  get completed(): number {
    return this.sent;
  }

  /** Failed requests so far, for the progress bar. */
  get failures(): number {
    return this.sent - this.succeeded;
  }

  /**
   * One finished request. `status` is undefined when no answer came back; `code` is the JSON
   * error code of a non-2xx answer, or the network error code.
   */
  recordRequest(spec: RequestSpec, latencyUs: number, status: number | undefined, code: string | undefined): void {
    this.sent++;
    this.latency.recordValue(Math.max(1, Math.round(latencyUs)));
    bump(this.byStatus, status === undefined ? NO_RESPONSE : String(status));
    const ok = status !== undefined && status >= 200 && status < 300;
    if (ok) this.succeeded++;
    else bump(this.byCode, code ?? 'UNKNOWN');
    if (spec.kind !== 'predict') {
      this.malformedSent++;
      const entry = (this.byKind[spec.kind satisfies MalformedKind] ??= { sent: 0, byCode: {} });
      entry.sent++;
      bump(entry.byCode, ok ? `${status}_ACCEPTED` : (code ?? 'UNKNOWN'));
    }
  }

  /** The predicted labels of a successful prediction request, in the order of its texts. */
  recordPredictions(actual: readonly Label[], predicted: readonly Label[]): void {
    actual.forEach((label, i) => {
      const got = predicted[i];
      if (got !== undefined) this.confusion[label][got]++;
    });
  }

  recordInvalidResponse(): void {
    this.invalidResponses++;
  }

  recordFeedback(status: number | undefined, code: string | undefined): void {
    this.feedbackSent++;
    if (status !== undefined && status >= 200 && status < 300) this.feedbackAccepted++;
    else bump(this.feedbackByCode, code ?? (status === undefined ? NO_RESPONSE : 'UNKNOWN'));
  }

  snapshot(): StatsSnapshot {
    const c = this.confusion;
    const texts = c.spam.spam + c.spam.ham + c.ham.spam + c.ham.ham;
    const correct = c.spam.spam + c.ham.ham;
    // HDR percentiles report the top of their bucket, which can sit above the exact maximum.
    const us = (p: number): number => round3(Math.min(this.latency.getValueAtPercentile(p), this.latency.maxValue) / 1000);
    return {
      sent: this.sent,
      succeeded: this.succeeded,
      failed: this.sent - this.succeeded,
      byStatus: { ...this.byStatus },
      byCode: { ...this.byCode },
      malformed: { sent: this.malformedSent, byKind: structuredClone(this.byKind) },
      invalidResponses: this.invalidResponses,
      latencyMs:
        this.latency.totalCount === 0
          ? null
          : { p50: us(50), p95: us(95), p99: us(99), max: round3(this.latency.maxValue / 1000), mean: round3(this.latency.mean / 1000) },
      predictions: {
        texts,
        spam: c.spam.spam + c.ham.spam,
        ham: c.spam.ham + c.ham.ham,
        correct,
        accuracy: texts === 0 ? null : correct / texts,
        confusion: structuredClone(c),
      },
      feedback: { sent: this.feedbackSent, accepted: this.feedbackAccepted, failed: this.feedbackSent - this.feedbackAccepted, byCode: { ...this.feedbackByCode } },
    };
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
