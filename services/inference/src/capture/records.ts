/**
 * What capture files hold (docs/capture.md): JSON Lines, one record per line, appended by one
 * worker process per file. A prediction record carries the text; a feedback record only the
 * prediction id and its label, appended when ground truth arrives, and joined at export.
 */
import { isLabel, type Label } from '../../../../shared/model-io.js';

export interface PredictionRecord {
  type: 'prediction';
  id: string;
  /** ISO 8601 time of the prediction. */
  ts: string;
  model_version: string;
  /** P(spam) the model gave the text. */
  probability: number;
  predicted: Label;
  /** The text as received. */
  text: string;
}

export interface FeedbackRecord {
  type: 'feedback';
  id: string;
  ts: string;
  label: Label;
}

export type CaptureRecord = PredictionRecord | FeedbackRecord;

/** Capture files: `capture-<worker>-<pid>-<start, base 36>-<sequence>.jsonl`. */
export const CAPTURE_FILE = /^capture-([A-Za-z0-9_-]{1,32})-(\d+)-([0-9a-z]+)-(\d+)\.jsonl$/;

export function captureFileName(worker: string, pid: number, startMs: number, sequence: number): string {
  return `capture-${worker}-${pid}-${startMs.toString(36)}-${sequence}.jsonl`;
}

export function encodeRecord(r: CaptureRecord): string {
  return `${JSON.stringify(r)}\n`;
}

type Obj = Record<string, unknown>;

/**
 * One line back into a record, or undefined for anything else (a line cut short by a crash or a
 * full disk is skipped, not fatal).
 */
export function decodeRecord(line: string): CaptureRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as Obj;
  if (typeof r.id !== 'string' || typeof r.ts !== 'string') return undefined;
  if (r.type === 'prediction') {
    return typeof r.text === 'string' && typeof r.model_version === 'string' && typeof r.probability === 'number' && isLabel(r.predicted)
      ? // eslint-disable-next-line no-restricted-syntax -- every field checked on the line above
        (r as unknown as PredictionRecord)
      : undefined;
  }
  // eslint-disable-next-line no-restricted-syntax -- id, ts and label checked above
  if (r.type === 'feedback') return isLabel(r.label) ? (r as unknown as FeedbackRecord) : undefined;
  return undefined;
}
