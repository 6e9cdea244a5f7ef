/**
 * Capture settings (docs/capture.md). Capture is off unless CAPTURE_DIR is set:
 *   CAPTURE_DIR            directory of the capture files (created 0700); unset: no capture
 *   CAPTURE_RATE           share of texts captured, 0-1 (default 0.1)
 *   CAPTURE_MAX_BYTES      bound of the directory's size; the oldest files go first (default 256 MiB)
 *   CAPTURE_MAX_AGE_HOURS  files older than this are deleted (default 720 = 30 days)
 */
import { isAbsolute, resolve } from 'node:path';
import { readInt, readNumber, readOptionalString, type Env } from '../../../../shared/env.js';

export interface CaptureSettings {
  dir: string;
  rate: number;
  maxBytes: number;
  maxAgeMs: number;
}

export const DEFAULT_CAPTURE_RATE = 0.1;
export const DEFAULT_CAPTURE_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CAPTURE_MAX_AGE_HOURS = 720;
const HOUR_MS = 3_600_000;

/** The settings, or undefined when capture is off (CAPTURE_DIR unset). */
export function readCaptureSettings(env: Env = process.env): CaptureSettings | undefined {
  const dir = readOptionalString(env, 'CAPTURE_DIR');
  // The others are validated even when capture is off, so a typo never waits for the day it is turned on.
  const rate = readNumber(env, 'CAPTURE_RATE', DEFAULT_CAPTURE_RATE, 0, 1);
  const maxBytes = readInt(env, 'CAPTURE_MAX_BYTES', DEFAULT_CAPTURE_MAX_BYTES, 1024 * 1024, Number.MAX_SAFE_INTEGER);
  const maxAgeHours = readNumber(env, 'CAPTURE_MAX_AGE_HOURS', DEFAULT_CAPTURE_MAX_AGE_HOURS, 0.01, 24 * 3650);
  if (dir === undefined) return undefined;
  return { dir: isAbsolute(dir) ? dir : resolve(dir), rate, maxBytes, maxAgeMs: maxAgeHours * HOUR_MS };
}
