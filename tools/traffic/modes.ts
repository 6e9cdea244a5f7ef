/**
 * The run modes and how a mode's preset combines with the operator's options. The menu and
 * the command line both end here, so a mode means the same thing whichever way it is chosen.
 */
import { MALFORMED_KINDS, PREDICTION_ERROR_KINDS, type MalformedKind } from './mix.js';

export const MODES = ['normal', 'extended', 'stress', 'custom', 'alert-errors', 'alert-latency', 'alert-memory'] as const;
export type Mode = (typeof MODES)[number];

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** Everything a run needs besides the target and the message source. */
export interface Settings {
  count?: number | undefined;
  durationS?: number | undefined;
  rate?: number | undefined;
  delayMs?: number | undefined;
  concurrency: number;
  errorRatio: number;
  errorKinds: readonly MalformedKind[];
  /** undefined: the held-out split's own spam/ham mix. */
  spamRatio?: number | undefined;
  batchSize: number;
  feedbackRatio: number;
  /** Only messages at least this long (characters). */
  minLength?: number | undefined;
  /**
   * Only messages at most this long: the service refuses longer ones. Unset: the target's
   * request limit from GET /model, else DEFAULT_MAX_TEXT_CHARS.
   */
  maxLength?: number | undefined;
  /** Send the raw emails (headers included, as in the test split) or their bodies alone. */
  headers: 'raw' | 'strip';
  timeoutMs: number;
  /** Adapt the active connections (up to concurrency) toward this p99, in ms. */
  targetP99Ms?: number | undefined;
}

/** The inference service's default MAX_TEXT_CHARS. */
export const DEFAULT_MAX_TEXT_CHARS = 100_000;

export const BASE_SETTINGS: Settings = {
  count: 100,
  concurrency: 1,
  errorRatio: 0,
  errorKinds: MALFORMED_KINDS,
  batchSize: 1,
  feedbackRatio: 0,
  headers: 'raw',
  timeoutMs: 30_000,
};

export interface ModeInfo {
  title: string;
  /** One paragraph for the menu and the docs. */
  about: string;
  preset: Partial<Settings>;
  /** alert-memory sends nothing: traffic alone cannot fire that alert (see alerts.ts). */
  sendsTraffic: boolean;
}

export const MODE_INFO: Record<Mode, ModeInfo> = {
  normal: {
    title: 'Normal traffic (100 requests)',
    about: '100 valid predictions at 10 requests/s on 2 connections (about 10 s).',
    preset: { count: 100, rate: 10, concurrency: 2 },
    sendsTraffic: true,
  },
  extended: {
    title: 'Extended traffic (500 requests)',
    about:
      '500 requests at 10/s on 2 connections (about 50 s): 2% malformed (under the 5% alert), ' +
      'true labels sent to /feedback for 20% of predictions, so every dashboard panel gets data.',
    preset: { count: 500, rate: 10, concurrency: 2, errorRatio: 0.02, feedbackRatio: 0.2 },
    sendsTraffic: true,
  },
  stress: {
    title: 'Stress test (for a duration)',
    about: 'As fast as the service answers on 16 connections for 60 s (change with --duration, --concurrency).',
    preset: { durationS: 60, concurrency: 16 },
    sendsTraffic: true,
  },
  custom: {
    title: 'Custom',
    about: 'Whatever the options say; unset ones default to 100 valid single-text requests on 1 connection.',
    preset: {},
    sendsTraffic: true,
  },
  'alert-errors': {
    title: 'Alert demo: HighErrorRate (error rate > 5% for 1m)',
    about:
      '25% malformed prediction requests (bad JSON, missing text, empty text, wrong type) at 20 requests/s ' +
      'for 3 minutes. The 60 s error rate sits near 25% from the first seconds; the alert is pending ' +
      'at the next rule evaluation and fires 1 minute later (about 1.5 minutes in, depending on the ' +
      'scrape and evaluation intervals).',
    preset: { durationS: 180, rate: 20, concurrency: 4, errorRatio: 0.25, errorKinds: PREDICTION_ERROR_KINDS },
    sendsTraffic: true,
  },
  'alert-latency': {
    title: 'Alert demo: SlowResponseTime (p99 > 0.5 s for 1m)',
    about:
      'Batches of 16 long held-out emails (4000 to 12000 characters; the model reads the first 4000) ' +
      'for 4 minutes, with the connections adapted every 5 s (up to 64) to hold the p99 near 0.7 s. ' +
      'A worker runs one model call at a time, so each request waits for those that arrived with it: ' +
      'latency grows with connections x time per request. 0.7 s stays under the 1 s event-loop lag at ' +
      'which the service sheds load with 503 (that would fire HighErrorRate instead).',
    preset: { durationS: 240, concurrency: 64, batchSize: 16, minLength: 4000, maxLength: 12_000, targetP99Ms: 700 },
    sendsTraffic: true,
  },
  'alert-memory': {
    title: 'Alert demo: HighMemoryUsage (host memory > 80% for 2m)',
    about:
      'Traffic cannot fire this alert: it watches HOST memory, and the service uses ~100 MB. ' +
      'This mode sends nothing; it prints how much memory must be taken and the command an operator runs.',
    preset: {},
    sendsTraffic: false,
  },
};

/**
 * The settings of a run: the base, then the mode's preset, then the operator's options. Giving
 * a count or a duration replaces both of the preset's, so "--mode stress --count 1000" is a
 * count-bounded stress run rather than both.
 */
export function resolveSettings(mode: Mode, given: Partial<Settings>): Settings {
  const preset: Partial<Settings> = { ...MODE_INFO[mode].preset };
  if (given.count !== undefined || given.durationS !== undefined) {
    delete preset.count;
    delete preset.durationS;
  }
  const base: Settings = { ...BASE_SETTINGS };
  if (preset.durationS !== undefined || given.durationS !== undefined) delete base.count;
  const out: Settings = { ...base, ...preset };
  for (const [key, value] of Object.entries(given)) {
    // eslint-disable-next-line no-restricted-syntax -- `given` is a Partial<Settings>: its keys and values are the Settings' own
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}
