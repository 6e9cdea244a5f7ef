/**
 * Every alert threshold, defined once, in the units the Prometheus rules use (ratios 0-1,
 * seconds, counts).
 *
 * - deploy/prometheus/rules/alerts.yml is written by hand (its comments explain each rule);
 *   test/ops/alert-thresholds.test.ts fails when one of its comparisons or `for` durations
 *   differs from this list, or when it compares with a number this list does not hold.
 * - The Grafana alert rules (deploy/grafana/src/alerting.ts) and the dashboard's threshold lines
 *   and panel descriptions (deploy/grafana/src/dashboard.ts) are generated from it
 *   (`npm run generate`).
 */

export interface AlertThreshold {
  /** The alert in alerts.yml that compares with this value. */
  alert: string;
  severity: 'critical' | 'warning';
  /** How the value stands in the rule's expression: `> 0.05`, `>= 100`, or `- 0.05` (a margin). */
  op: '>' | '>=' | '-';
  value: number;
  /** The rule's `for` duration. */
  for: string;
}

export const THRESHOLDS = {
  /** HighErrorRate: share of prediction requests answered non-2xx over 1 minute. */
  errorRatio: { alert: 'HighErrorRate', severity: 'critical', op: '>', value: 0.05, for: '1m' },
  /** SlowResponseTime: p99 time to answer a prediction request, seconds. */
  responseTimeP99Seconds: { alert: 'SlowResponseTime', severity: 'warning', op: '>', value: 0.5, for: '1m' },
  /** HighMemoryUsage: share of the host's memory in use. */
  memoryUsageRatio: { alert: 'HighMemoryUsage', severity: 'warning', op: '>', value: 0.8, for: '2m' },
  /** HostDiskSpaceLow: share of the monitored disk in use. */
  diskUsageRatio: { alert: 'HostDiskSpaceLow', severity: 'warning', op: '>', value: 0.9, for: '5m' },
  /** HostDiskFillingUp: only judged above this share in use. */
  diskFillingFromRatio: { alert: 'HostDiskFillingUp', severity: 'critical', op: '>', value: 0.8, for: '15m' },
  /** ExporterNotReceivingEvents: seconds since the exporter's last event. */
  exporterSilentSeconds: { alert: 'ExporterNotReceivingEvents', severity: 'critical', op: '>', value: 60, for: '2m' },
  /** LoadShedding: share of requests answered 503 across workers. */
  shedRatio: { alert: 'LoadShedding', severity: 'warning', op: '>', value: 0.01, for: '2m' },
  /** PredictionDrift: absolute distance of the hourly spam share from the training baseline. */
  spamShareDistance: { alert: 'PredictionDrift', severity: 'warning', op: '>', value: 0.2, for: '15m' },
  spamShareMinPredictions: { alert: 'PredictionDrift', severity: 'warning', op: '>=', value: 100, for: '15m' },
  /** InputDrift and ScoreDrift: population stability index bands (moderate shift, significant shift). */
  inputPsiSignificant: { alert: 'InputDrift', severity: 'critical', op: '>=', value: 0.25, for: '15m' },
  inputPsiModerate: { alert: 'InputDrift', severity: 'warning', op: '>=', value: 0.1, for: '30m' },
  scorePsiSignificant: { alert: 'ScoreDrift', severity: 'critical', op: '>=', value: 0.25, for: '15m' },
  scorePsiModerate: { alert: 'ScoreDrift', severity: 'warning', op: '>=', value: 0.1, for: '30m' },
  /** LiveAccuracyLow: how far under the model card's accuracy the last hour's feedback may fall. */
  liveAccuracyMargin: { alert: 'LiveAccuracyLow', severity: 'warning', op: '-', value: 0.05, for: '15m' },
  liveAccuracyMinFeedback: { alert: 'LiveAccuracyLow', severity: 'warning', op: '>=', value: 50, for: '15m' },
  /** ShadowDisagreementHigh: share of texts on which the shadow model gives another label. */
  shadowDisagreementRatio: { alert: 'ShadowDisagreementHigh', severity: 'warning', op: '>', value: 0.2, for: '15m' },
  shadowMinComparisons: { alert: 'ShadowDisagreementHigh', severity: 'warning', op: '>=', value: 200, for: '15m' },
  /** ShadowWorseOnFeedback: how far under the answering model's feedback accuracy the shadow may fall. */
  shadowAccuracyMargin: { alert: 'ShadowWorseOnFeedback', severity: 'warning', op: '-', value: 0.05, for: '15m' },
  shadowMinFeedback: { alert: 'ShadowWorseOnFeedback', severity: 'warning', op: '>=', value: 50, for: '15m' },
} as const satisfies Record<string, AlertThreshold>;

/** A ratio as a percentage, without floating-point dust (0.07 -> 7, not 7.000000000000001). */
export function percent(ratio: number): number {
  return Number((ratio * 100).toPrecision(12));
}
