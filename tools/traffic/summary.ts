/**
 * The end-of-run report: one JSON object for machines (--json) and the same facts as a short
 * table for people. Field names are snake_case and stable: scripts read them.
 */
import type { AdaptiveStep } from './adaptive.js';
import type { Mode, Settings } from './modes.js';
import { NO_RESPONSE, type Counts, type StatsSnapshot } from './stats.js';

export interface Report {
  target: string;
  mode: Mode;
  seed: number;
  messages: string;
  elapsed_s: number;
  interrupted: boolean;
  /** False when no request got any answer (the exit code is then 1). */
  reachable: boolean;
  settings: {
    count: number | null;
    duration_s: number | null;
    rate: number | null;
    delay_ms: number | null;
    concurrency: number;
    error_ratio: number;
    error_kinds: string[];
    spam_ratio: number | null;
    batch_size: number;
    feedback_ratio: number;
    min_length: number | null;
    max_length: number | null;
    headers: 'raw' | 'strip';
    timeout_ms: number;
    target_p99_ms: number | null;
  };
  /** With --target-p99: each adaptation window's p99 and the connections chosen after it. */
  adaptive: {
    target_p99_ms: number;
    max_concurrency: number;
    final_concurrency: number;
    steps: { at_s: number; concurrency: number; window_p99_ms: number | null; requests: number; overloaded: number }[];
  } | null;
  requests: {
    sent: number;
    succeeded: number;
    failed: number;
    per_second: number;
    by_status: Counts;
    by_code: Counts;
    invalid_responses: number;
    malformed: { sent: number; by_kind: Record<string, { sent: number; by_code: Counts }> };
  };
  latency_ms: { p50: number; p95: number; p99: number; max: number; mean: number } | null;
  predictions: {
    texts: number;
    spam: number;
    ham: number;
    correct: number;
    accuracy: number | null;
    /** The model card's accuracy on the whole held-out split, to compare with (null without a card). */
    card_accuracy: number | null;
    confusion: StatsSnapshot['predictions']['confusion'];
  };
  feedback: { sent: number; accepted: number; failed: number; by_code: Counts };
}

export interface ReportInput {
  target: string;
  mode: Mode;
  seed: number;
  messages: string;
  cardAccuracy?: number | undefined;
  settings: Settings;
  elapsedMs: number;
  interrupted: boolean;
  stats: StatsSnapshot;
  adaptive?: { targetP99Ms: number; maxConcurrency: number; steps: AdaptiveStep[] } | undefined;
}

export function buildReport(r: ReportInput): Report {
  const s = r.settings;
  const elapsedS = r.elapsedMs / 1000;
  return {
    target: r.target,
    mode: r.mode,
    seed: r.seed,
    messages: r.messages,
    elapsed_s: round(elapsedS, 3),
    interrupted: r.interrupted,
    reachable: r.stats.sent === 0 || (r.stats.byStatus[NO_RESPONSE] ?? 0) < r.stats.sent,
    settings: {
      count: s.count ?? null,
      duration_s: s.durationS ?? null,
      rate: s.rate !== undefined && s.rate > 0 ? s.rate : null,
      delay_ms: s.delayMs ?? null,
      concurrency: s.concurrency,
      error_ratio: s.errorRatio,
      error_kinds: [...s.errorKinds],
      spam_ratio: s.spamRatio ?? null,
      batch_size: s.batchSize,
      feedback_ratio: s.feedbackRatio,
      min_length: s.minLength ?? null,
      max_length: s.maxLength ?? null,
      headers: s.headers,
      timeout_ms: s.timeoutMs,
      target_p99_ms: s.targetP99Ms ?? null,
    },
    adaptive:
      r.adaptive === undefined
        ? null
        : {
            target_p99_ms: r.adaptive.targetP99Ms,
            max_concurrency: r.adaptive.maxConcurrency,
            final_concurrency: r.adaptive.steps.at(-1)?.concurrency ?? Math.min(4, r.adaptive.maxConcurrency),
            steps: r.adaptive.steps.map((st) => ({
              at_s: round(st.atS, 1),
              concurrency: st.concurrency,
              window_p99_ms: st.windowP99Ms === null ? null : round(st.windowP99Ms, 1),
              requests: st.requests,
              overloaded: st.overloaded,
            })),
          },
    requests: {
      sent: r.stats.sent,
      succeeded: r.stats.succeeded,
      failed: r.stats.failed,
      per_second: elapsedS > 0 ? round(r.stats.sent / elapsedS, 1) : 0,
      by_status: r.stats.byStatus,
      by_code: r.stats.byCode,
      invalid_responses: r.stats.invalidResponses,
      malformed: { sent: r.stats.malformed.sent, by_kind: mapValues(r.stats.malformed.byKind, (k) => ({ sent: k.sent, by_code: k.byCode })) },
    },
    latency_ms: r.stats.latencyMs,
    predictions: {
      texts: r.stats.predictions.texts,
      spam: r.stats.predictions.spam,
      ham: r.stats.predictions.ham,
      correct: r.stats.predictions.correct,
      accuracy: r.stats.predictions.accuracy === null ? null : round(r.stats.predictions.accuracy, 4),
      card_accuracy: r.cardAccuracy ?? null,
      confusion: r.stats.predictions.confusion,
    },
    feedback: { sent: r.stats.feedback.sent, accepted: r.stats.feedback.accepted, failed: r.stats.feedback.failed, by_code: r.stats.feedback.byCode },
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function mapValues<T, U>(obj: Record<string, T>, fn: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function counts(c: Counts): string {
  const entries = Object.entries(c).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The human table. */
export function formatReport(r: Report): string {
  const pad = (label: string): string => label.padEnd(13);
  const q = r.requests;
  const lines = [
    `Traffic summary: ${r.mode} -> ${r.target} (seed ${r.seed})${r.interrupted ? '  [interrupted]' : ''}`,
    `${pad('Messages')}${r.messages}`,
    `${pad('Elapsed')}${r.elapsed_s.toFixed(1)} s`,
    `${pad('Requests')}sent ${q.sent}, succeeded ${q.succeeded}, failed ${q.failed}, ${q.per_second} req/s`,
    `${pad('  by status')}${counts(q.by_status)}`,
    `${pad('  by code')}${counts(q.by_code)}`,
  ];
  if (q.malformed.sent > 0) {
    lines.push(`${pad('  malformed')}${q.malformed.sent} sent:`);
    for (const [kind, k] of Object.entries(q.malformed.by_kind)) lines.push(`${pad('')}  ${kind.padEnd(14)}${k.sent} -> ${counts(k.by_code)}`);
  }
  if (q.invalid_responses > 0) lines.push(`${pad('  invalid')}${q.invalid_responses} 2xx answers without the promised predictions`);
  const l = r.latency_ms;
  lines.push(`${pad('Latency ms')}${l === null ? '-' : `p50 ${l.p50}, p95 ${l.p95}, p99 ${l.p99}, max ${l.max}, mean ${l.mean}`}`);
  const a = r.adaptive;
  if (a !== null) {
    const p99s = a.steps.map((st) => st.window_p99_ms).filter((v): v is number => v !== null);
    const shed = a.steps.reduce((n, st) => n + st.overloaded, 0);
    lines.push(
      `${pad('Adaptive')}target p99 ${a.target_p99_ms} ms: ${a.steps.length} windows, connections ${Math.min(...a.steps.map((st) => st.concurrency), a.final_concurrency)}..` +
        `${Math.max(...a.steps.map((st) => st.concurrency), a.final_concurrency)} (last ${a.final_concurrency} of ${a.max_concurrency})` +
        (p99s.length > 0 ? `, last window p99 ${p99s.at(-1)} ms` : '') +
        (shed > 0 ? `, ${shed} shed (503)` : ''),
    );
  }
  const p = r.predictions;
  if (p.accuracy === null) lines.push(`${pad('Predictions')}none`);
  else {
    lines.push(
      `${pad('Predictions')}${p.texts} texts (predicted spam ${p.spam}, ham ${p.ham}); accuracy ${(p.accuracy * 100).toFixed(2)}% (${p.correct}/${p.texts})` +
        (p.card_accuracy === null ? '' : `, card ${(p.card_accuracy * 100).toFixed(2)}% on the whole split`),
      `${pad('  confusion')}actual spam -> spam ${p.confusion.spam.spam}, ham ${p.confusion.spam.ham}; actual ham -> spam ${p.confusion.ham.spam}, ham ${p.confusion.ham.ham}`,
    );
  }
  const f = r.feedback;
  lines.push(`${pad('Feedback')}sent ${f.sent}, accepted ${f.accepted}, failed ${f.failed}${f.failed > 0 ? ` (${counts(f.by_code)})` : ''}`);
  return lines.join('\n');
}
