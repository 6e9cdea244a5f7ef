/**
 * The "Spam Detection Model" dashboard, built with @grafana/grafana-foundation-sdk from the metric
 * catalogue (shared/metrics.ts): a renamed metric changes every query here at the next
 * `npm run dashboard`, and the staleness test fails until the JSON is regenerated.
 *
 * Layout: the Python predecessor's 11 panels first (same titles, same panel types, queries as its or
 * better), then one row each for traffic, model behaviour, the event channel and exporter, load
 * shedding and readiness, per-worker views and host saturation.
 *
 * Queries avoid NaN at no traffic by dividing by `(... > 0)`: the panel shows "No data" instead
 * of a misleading 0 or NaN. Where a labelled series only appears after its first event (the 503
 * share), `or 0 * ...` records a true 0 while there is traffic.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import { EXPORTER_METRICS as E, INFERENCE_METRICS as I } from '../../../shared/metrics.js';
import { DASHBOARD_TITLE, DASHBOARD_UID } from './names.js';
import { THRESHOLDS, percent } from '../../alert-thresholds.js';

/** Grafana picks max(4 x scrape interval, step + scrape interval): never fewer than 4 samples. */
const RI = '$__rate_interval';
const DS: { type: string; uid: string } = { type: 'prometheus', uid: '${datasource}' };
const WORKER = 'worker=~"$worker"';

// Threshold lines and the alert texts in panel descriptions come from the alert thresholds.
const slow = THRESHOLDS.responseTimeP99Seconds;
const memory = THRESHOLDS.memoryUsageRatio;
const errorPercentRed = percent(THRESHOLDS.errorRatio.value);
/** The error-rate gauge turns yellow here, before HighErrorRate fires (the dashboard's own band, no alert). */
const ERROR_PERCENT_YELLOW = 2;

/** A rule's `for` ('15m') as a number of minutes. */
function minuteCount(duration: string): number {
  const m = /^(\d+)m$/.exec(duration);
  if (!m) throw new Error(`expected a duration in minutes, got ${duration}`);
  return Number(m[1]);
}

/** A rule's `for` in words: '1m' -> '1 minute', '2m' -> '2 minutes'. */
function minutes(duration: string): string {
  const n = minuteCount(duration);
  return `${n} minute${n === 1 ? '' : 's'}`;
}

/**
 * Template variables, as the monitoring mixins do: the scrape jobs and instances are picked in
 * the dashboard (defaults: every job that exposes the service's metrics), so the panels work
 * under any job name. The exporter and the inference service are two jobs with their own
 * instances (host:8000 and host:5000), hence a job and an instance variable for each.
 */
export const TEMPLATE_VARIABLES = {
  job: 'job',
  instance: 'instance',
  inferenceJob: 'inference_job',
  inferenceInstance: 'inference_instance',
  worker: 'worker',
} as const;
/** What every exporter series is filtered by. */
const EXPORTER_MATCHERS = 'job=~"$job", instance=~"$instance"';
/** What every series the inference service exposes itself is filtered by. */
const INFERENCE_MATCHERS = 'job=~"$inference_job", instance=~"$inference_instance"';

const withMatchers = (base: string) => (name: string, extra = ''): string => `${name}{${base}${extra === '' ? '' : `, ${extra}`}}`;
/** An exporter metric's selector with the job/instance filters (and more matchers, if any). */
const ex = withMatchers(EXPORTER_MATCHERS);
/** A selector of a metric the inference service exposes on its own /metrics. */
const inf = withMatchers(INFERENCE_MATCHERS);

const bucket = (name: string): string => `${name}_bucket`;
const sum = (name: string): string => `${name}_sum`;
const count = (name: string): string => `${name}_count`;
const rate = (selector: string, window = RI): string => `rate(${selector}[${window}])`;

/** A selector: a metric name, or a name with matchers (ex, inf). */
type Select = (name: string, extra?: string) => string;
/** No template variables: Grafana-managed alert rules cannot use them. */
const bare: Select = (name, extra = '') => (extra === '' ? name : `${name}{${extra}}`);

/** histogram_quantile over every series of a histogram, optionally split by `by` labels. */
function quantile(q: number, histogram: string, by: string[] = [], select: Select = ex, extra = ''): string {
  const labels = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${labels}) (${rate(select(bucket(histogram), extra))}))`;
}

/** a / b with the no-traffic guard: absent instead of NaN when b is 0. */
const ratio = (a: string, b: string): string => `${a} / (${b} > 0)`;

function target(expr: string, legend?: string, refId = 'A'): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().expr(expr).refId(refId).range();
  return legend === undefined ? q : q.legendFormat(legend);
}

function thresholds(steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

const GREEN_ONLY = thresholds([[null, 'green']]);

let nextId = 1;
function withId<T extends { id(id: number): T }>(panel: T): T {
  return panel.id(nextId++);
}

interface PanelOpts {
  unit?: string;
  min?: number;
  max?: number;
  w?: number;
  h?: number;
  description?: string;
}

function statPanel(title: string, targets: prometheus.DataqueryBuilder[], o: PanelOpts = {}): stat.PanelBuilder {
  let p = withId(new stat.PanelBuilder())
    .title(title)
    .datasource(DS)
    .gridPos({ x: 0, y: 0, w: o.w ?? 6, h: o.h ?? 5 })
    .unit(o.unit ?? 'short')
    .thresholds(GREEN_ONLY)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value);
  if (o.description) p = p.description(o.description);
  for (const t of targets) p = p.withTarget(t);
  return p;
}

function seriesPanel(title: string, targets: prometheus.DataqueryBuilder[], o: PanelOpts = {}): timeseries.PanelBuilder {
  let p = withId(new timeseries.PanelBuilder())
    .title(title)
    .datasource(DS)
    .gridPos({ x: 0, y: 0, w: o.w ?? 8, h: o.h ?? 8 })
    .unit(o.unit ?? 'short')
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (o.min !== undefined) p = p.min(o.min);
  if (o.max !== undefined) p = p.max(o.max);
  if (o.description) p = p.description(o.description);
  for (const t of targets) p = p.withTarget(t);
  return p;
}

function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).id(nextId++);
}

// --- shared expressions (the Grafana-managed alert rules reuse the predecessor's three) ---

/** Percentage of prediction requests answered non-2xx (the predecessor's error-rate gauge, from counters). */
export function errorRatePercentExpr(window = RI, select: Select = bare): string {
  return `100 * ${ratio(`sum(${rate(select(E.errorsTotal.name), window)})`, `sum(${rate(select(E.requestsTotal.name), window)})`)}`;
}

export function responseTimeQuantileExpr(q: number, window = RI, select: Select = bare): string {
  const histogram = E.responseTimeSeconds.name;
  return `histogram_quantile(${q}, sum by (le) (${rate(select(bucket(histogram)), window)}))`;
}

/** Host memory in use, in percent (the predecessor's memory panel, from the byte gauges). */
export function memoryUsagePercentExpr(select: Select = bare): string {
  return `100 * ${ratio(select(E.hostMemoryUsedBytes.name), select(E.hostMemoryTotalBytes.name))}`;
}

/** A query variable over the label values of a metric, multi-valued, "All" meaning any value. */
function labelVariable(name: string, label: string, metric: string, title: string): dashboard.QueryVariableBuilder {
  const query = `label_values(${metric}, ${label})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(title)
    .datasource(DS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.NaturalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

export function buildDashboard(): dashboard.Dashboard {
  nextId = 1;
  const P = E.predictionsTotal.name;
  const FB = E.feedbackTotal.name;
  const HTTP = E.httpRequestsTotal.name;

  const b = new dashboard.DashboardBuilder(DASHBOARD_TITLE)
    .uid(DASHBOARD_UID)
    .description('Spam classifier: traffic, errors, latency, model behaviour, event channel, load shedding and saturation. Generated by deploy/grafana/src/dashboard.ts; do not edit the JSON by hand.')
    .tags(['spam-detector', 'generated'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    )
    // Each variable lists the values of a metric only its own job exposes, so the exporter's
    // and the inference service's jobs are told apart whatever they are called.
    .withVariable(labelVariable(TEMPLATE_VARIABLES.job, 'job', E.publishersConnected.name, 'Exporter job'))
    .withVariable(labelVariable(TEMPLATE_VARIABLES.instance, 'instance', `${E.publishersConnected.name}{job=~"$job"}`, 'Exporter instance'))
    .withVariable(labelVariable(TEMPLATE_VARIABLES.inferenceJob, 'job', I.ready.name, 'Inference job'))
    .withVariable(labelVariable(TEMPLATE_VARIABLES.inferenceInstance, 'instance', `${I.ready.name}{job=~"$inference_job"}`, 'Inference instance'))
    .withVariable(labelVariable(TEMPLATE_VARIABLES.worker, 'worker', ex(E.workerUp.name), 'Worker'));

  // --- the predecessor's 11 panels (the row title keeps its old name for existing links) ---
  b.withRow(row('Overview (the seed project\'s panels)'))
    .withPanel(statPanel('Total Requests', [target(`sum(${ex(E.requestsTotal.name)})`, 'requests')], {
      description: 'Prediction requests (/predict, /invocations) since the exporter started, failed ones included.',
    }))
    .withPanel(statPanel('Spam Predictions', [target(`sum(${ex(P, 'result="spam"')})`, 'spam')], {
      description: 'Texts predicted spam since the exporter started (a batch of n texts counts n).',
    }))
    .withPanel(statPanel('Ham Predictions', [target(`sum(${ex(P, 'result="ham"')})`, 'ham')], {
      description: 'Texts predicted ham since the exporter started (a batch of n texts counts n).',
    }))
    .withPanel(
      withId(new gauge.PanelBuilder())
        .title('Error Rate (%)')
        .description(`Share of prediction requests answered non-2xx. Green below ${ERROR_PERCENT_YELLOW}%, yellow from ${ERROR_PERCENT_YELLOW}%, red from ${errorPercentRed}% (the HighErrorRate threshold).`)
        .datasource(DS)
        .gridPos({ x: 0, y: 0, w: 6, h: 5 })
        .unit('percent')
        .min(0)
        .max(20)
        .thresholds(thresholds([[null, 'green'], [ERROR_PERCENT_YELLOW, 'yellow'], [errorPercentRed, 'red']]))
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
        .showThresholdMarkers(true)
        .withTarget(target(errorRatePercentExpr(RI, ex), 'error rate')),
    )
    .withPanel(seriesPanel('Response Time - p50', [target(responseTimeQuantileExpr(0.5, RI, ex), 'p50')], { unit: 's', w: 8 }))
    .withPanel(seriesPanel('Response Time - p95', [target(responseTimeQuantileExpr(0.95, RI, ex), 'p95')], { unit: 's', w: 8 }))
    .withPanel(
      seriesPanel('Response Time - p99', [target(responseTimeQuantileExpr(0.99, RI, ex), 'p99')], {
        unit: 's',
        w: 8,
        description: `SlowResponseTime fires when this stays above ${slow.value} s for ${minutes(slow.for)}.`,
      }).thresholds(thresholds([[null, 'green'], [slow.value, 'red']])).thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
      ),
    )
    .withPanel(seriesPanel('CPU Usage (%)', [target(ex(E.hostCpuUsageRatio.name), '{{instance}}')], { unit: 'percentunit', min: 0, max: 1, w: 6 }))
    .withPanel(
      seriesPanel('Memory Usage (%)', [target(ratio(ex(E.hostMemoryUsedBytes.name), ex(E.hostMemoryTotalBytes.name)), '{{instance}}')], {
        unit: 'percentunit',
        min: 0,
        max: 1,
        w: 6,
        description: `HighMemoryUsage fires above ${percent(memory.value)}% for ${minutes(memory.for)}.`,
      }).thresholds(thresholds([[null, 'green'], [memory.value, 'red']])).thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line),
      ),
    )
    .withPanel(statPanel('Model Accuracy', [target(`max by (model_version) (${ex(E.modelAccuracy.name)})`, '{{model_version}}')], {
      unit: 'percentunit',
      description: 'Test-split accuracy from the model card of the served model.',
    }))
    .withPanel(
      seriesPanel('Requests per Minute', [
        target(`sum(${rate(ex(E.requestsTotal.name))}) * 60`, 'requests/min'),
        target(`sum(${ex(E.requestRatePerMinute.name)})`, 'last 60 s (predecessor\'s gauge)', 'B'),
      ], { unit: 'reqpm', w: 6 }),
    );

  // --- traffic and errors ---
  b.withRow(row('Traffic and errors'))
    .withPanel(seriesPanel('HTTP requests by route and status', [target(`sum by (route, status_code) (${rate(ex(HTTP))})`, '{{route}} {{status_code}}')], { unit: 'reqps' }))
    .withPanel(seriesPanel('Errors by code', [target(`sum by (code) (${rate(ex(E.requestErrorsTotal.name))})`, '{{code}}')], { unit: 'reqps' }))
    .withPanel(
      seriesPanel('Model (ONNX) latency', [
        target(quantile(0.5, E.inferenceLatencySeconds.name), 'p50'),
        target(quantile(0.99, E.inferenceLatencySeconds.name), 'p99', 'B'),
      ], { unit: 's', description: 'Time inside the ONNX session per request (one call per batch).' }),
    )
    .withPanel(
      seriesPanel('Worker HTTP latency p99 by route', [
        target(quantile(0.99, I.httpRequestDurationSeconds.name, ['route'], inf), '{{route}}'),
      ], { unit: 's', description: 'From the inference service\'s own histogram (includes /metrics and probes).' }),
    )
    .withPanel(seriesPanel('Active connections', [target(`sum(${ex(E.activeConnections.name)})`, 'connections')]))
    .withPanel(seriesPanel('Batch size', [target(quantile(0.5, E.batchSize.name), 'p50'), target(quantile(0.95, E.batchSize.name), 'p95', 'B')], { unit: 'short' }));

  // --- model behaviour ---
  const spamShare = `(sum(${rate(ex(P, 'result="spam"'))}) or 0 * sum(${rate(ex(P))})) / (sum(${rate(ex(P))}) > 0)`;
  const correct = `sum(${rate(ex(FB, 'predicted="spam", actual="spam"'), '1h')} or ${rate(ex(FB, 'predicted="ham", actual="ham"'), '1h')})`;
  const liveAccuracy = `(${correct} or 0 * sum(${rate(ex(FB), '1h')})) / (sum(${rate(ex(FB), '1h')}) > 0)`;
  b.withRow(row('Model behaviour'))
    .withPanel(
      withId(new heatmap.PanelBuilder())
        .title('Confidence distribution')
        .description('Probability the model gave its predicted label (0.5-1), per bucket. Mass drifting left means less certain answers.')
        .datasource(DS)
        .gridPos({ x: 0, y: 0, w: 8, h: 8 })
        .calculate(false)
        .yAxis(new heatmap.YAxisConfigBuilder().unit('percentunit'))
        .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').steps(64))
        .cellValues(new heatmap.CellValuesBuilder().unit('reqps'))
        .withTarget(
          target(`sum by (le) (${rate(ex(bucket(E.predictionConfidence.name)))})`, '{{le}}').format(prometheus.PromQueryFormat.Heatmap),
        ),
    )
    .withPanel(
      seriesPanel('Mean confidence by predicted label', [
        target(ratio(`sum by (result) (${rate(ex(sum(E.predictionConfidence.name)))})`, `sum by (result) (${rate(ex(count(E.predictionConfidence.name)))})`), '{{result}}'),
      ], { unit: 'percentunit', max: 1 }),
    )
    .withPanel(
      seriesPanel('Spam ratio vs training baseline', [
        target(spamShare, 'spam share'),
        target('spam_detector:training_spam_ratio:constant', 'training baseline', 'B'),
      ], {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description: `Share of predictions that are spam, and the share of spam in the training data (recording rule). PredictionDrift fires when the hourly share is more than ${THRESHOLDS.spamShareDistance.value} away.`,
      }),
    )
    .withPanel(
      seriesPanel('Live accuracy (feedback, 1h) vs model card', [
        target(liveAccuracy, 'live accuracy (1h)'),
        target(`max by (model_version) (${ex(E.modelAccuracy.name)})`, 'model card {{model_version}}', 'B'),
      ], {
        unit: 'percentunit',
        max: 1,
        description: `Correct share of the predictions that received ground truth via POST /feedback over the last hour. LiveAccuracyLow fires ${percent(THRESHOLDS.liveAccuracyMargin.value)} points under the card.`,
      }),
    )
    .withPanel(seriesPanel('Feedback by predicted and actual label', [target(`sum by (predicted, actual) (${rate(ex(FB))})`, 'predicted {{predicted}}, actual {{actual}}')], { unit: 'reqps' }))
    .withPanel(
      seriesPanel('Input length (characters)', [
        target(quantile(0.5, E.inputLengthCharacters.name), 'p50'),
        target(quantile(0.95, E.inputLengthCharacters.name), 'p95', 'B'),
      ], { unit: 'short' }),
    )
    .withPanel(seriesPanel('Predictions by label', [target(`sum by (result) (${rate(ex(P))})`, '{{result}}')], { unit: 'short', w: 16 }))
    .withPanel(
      statPanel('Model version served', [
        target(`count by (model_version) (${ex(E.modelInfo.name)})`, '{{model_version}} (exporter: workers)'),
        target(`count by (model_version) (${inf(I.inferenceModelInfo.name)})`, '{{model_version}} (inference)', 'B'),
      ], { w: 8, h: 8, description: 'Model versions the connected workers serve; two versions at once mean a rollout is in progress.' }),
    );

  // --- drift against the training reference (PSI; reference beside live) ---
  const moderate = THRESHOLDS.inputPsiModerate;
  const significant = THRESHOLDS.inputPsiSignificant;
  const psiBands = thresholds([[null, 'green'], [moderate.value, 'yellow'], [significant.value, 'red']]);
  const bandLines = new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line);
  const mean = (signal: string): prometheus.DataqueryBuilder =>
    target(`max by (source, model_version) (${ex(E.driftSignalMean.name, `signal="${signal}"`)})`, '{{source}} {{model_version}}');
  b.withRow(row('Drift against the training reference'))
    .withPanel(
      seriesPanel('Drift: PSI by signal', [target(`max by (signal, model_version) (${ex(E.driftPsi.name)})`, '{{signal}} {{model_version}}')], {
        min: 0,
        w: 12,
        description: `Population stability index of the most recent DRIFT_WINDOW_TEXTS texts of each model version against its training reference (model card). Under ${moderate.value} stable, ${moderate.value}-${significant.value} moderate shift (InputDrift/ScoreDrift warning after ${moderate.for}), ${significant.value} and up significant (critical after ${significant.for}).`,
      }).thresholds(psiBands).thresholdsStyle(bandLines),
    )
    .withPanel(
      seriesPanel('Drift window', [target(`max by (signal, model_version) (${ex(E.driftWindowTexts.name)})`, '{{signal}} {{model_version}}')], {
        min: 0,
        w: 8,
        description: 'Texts in each drift window; PSI is reported from 100 texts (or the whole window, if smaller).',
      }),
    )
    .withPanel(
      statPanel('Drift reference in use', [target(`count by (model_version, reference) (${ex(E.driftReferenceInfo.name)})`, '{{reference}} ({{model_version}})')], {
        w: 4,
        h: 8,
        description: 'The part of each model\'s training reference PSI compares with: all training texts, or one kind of message (DRIFT_REFERENCE: email, sms, user). "all" where sms was asked for means the model card has no SMS part (older card, or trained on one kind): the exporter logged a warning.',
      }).textMode(common.BigValueTextMode.Name),
    )
    .withPanel(
      seriesPanel('Text length: reference vs live', [
        mean('text_length'),
        target(quantile(0.5, E.textLengthChars.name), 'live p50 (histogram)', 'B'),
      ], { unit: 'short', min: 0, description: 'Mean length in characters after the model\'s cap, over the training texts (reference) and the drift window (live), each bin at its midpoint; and the median of the live histogram.' }),
    )
    .withPanel(
      seriesPanel('Known-term ratio: reference vs live', [
        mean('known_term_ratio'),
        target(ratio(`sum(${rate(ex(sum(E.textKnownTermRatio.name)))})`, `sum(${rate(ex(count(E.textKnownTermRatio.name)))})`), 'live mean (histogram)', 'B'),
      ], { unit: 'percentunit', min: 0, max: 1, description: 'Share of a text\'s words that are in the model\'s vocabulary: training texts (reference) against the drift window (live). A fall means another language or a new vocabulary.' }),
    )
    .withPanel(
      seriesPanel('Spam probability: reference vs live', [mean('spam_probability')], {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description: 'Mean spam probability the model gave its training texts (reference) and the texts of the drift window (live).',
      }),
    );

  // --- model versions and shadow (model lifecycle, docs/deploying-a-model.md) ---
  const MP = E.modelPredictionsTotal.name;
  const SC = E.shadowComparisonsTotal.name;
  /** Correct share of the last hour's feedback, by model_version, from a {predicted, actual} counter. */
  const feedbackAccuracy = (name: string): string => {
    const inc = (extra: string): string => `sum by (model_version) (increase(${ex(name, extra)}[1h]))`;
    return ratio(`(${inc('predicted="spam", actual="spam"')} + ${inc('predicted="ham", actual="ham"')})`, inc(''));
  };
  const meanConfidence = (name: string): string =>
    ratio(`sum by (model_version) (${rate(ex(sum(name)))})`, `sum by (model_version) (${rate(ex(count(name)))})`);
  b.withRow(row('Model versions: primary vs shadow'))
    .withPanel(
      seriesPanel('Predictions by model version (primary) and shadow', [
        target(`sum by (model_version) (${rate(ex(MP))})`, 'answered by {{model_version}}'),
        target(`sum by (model_version) (${rate(ex(E.shadowPredictionsTotal.name))})`, 'shadow {{model_version}}', 'B'),
      ], { unit: 'reqps', description: 'Texts answered by each model version (two during a reload) and texts the shadow model scored after the answer.' }),
    )
    .withPanel(
      seriesPanel('Shadow agreement with the answering model', [
        target(ratio(`sum by (model_version) (${rate(ex(SC, 'outcome="agree"'))})`, `sum by (model_version) (${rate(ex(SC))})`), 'shadow {{model_version}}'),
      ], {
        unit: 'percentunit',
        max: 1,
        description: `Share of texts where the shadow model gave the same label as the model that answered. ShadowDisagreementHigh fires when more than ${percent(THRESHOLDS.shadowDisagreementRatio.value)}% disagree for ${minuteCount(THRESHOLDS.shadowDisagreementRatio.for)} min.`,
      }),
    )
    .withPanel(
      seriesPanel('Live accuracy (feedback, 1h): primary vs shadow', [
        target(feedbackAccuracy(E.modelFeedbackTotal.name), 'primary {{model_version}}'),
        target(feedbackAccuracy(E.shadowFeedbackTotal.name), 'shadow {{model_version}}', 'B'),
      ], {
        unit: 'percentunit',
        max: 1,
        description: `Correct share of the predictions that got ground truth (POST /feedback), for the version that answered and for the shadow's label on the same prediction ids. ShadowWorseOnFeedback fires ${percent(THRESHOLDS.shadowAccuracyMargin.value)} points under the primary.`,
      }),
    )
    .withPanel(
      seriesPanel('Mean confidence: primary vs shadow', [
        target(meanConfidence(E.modelPredictionConfidence.name), 'primary {{model_version}}'),
        target(meanConfidence(E.shadowPredictionConfidence.name), 'shadow {{model_version}}', 'B'),
      ], { unit: 'percentunit', max: 1 }),
    )
    .withPanel(
      seriesPanel('Inference latency p95 by model version', [
        target(quantile(0.95, E.modelInferenceLatencySeconds.name, ['model_version']), '{{model_version}}'),
      ], { unit: 's', min: 0 }),
    )
    .withPanel(
      seriesPanel('Canary: requests answered by the candidate (inference)', [
        target(`sum (${rate(inf(I.canaryRequestsTotal.name))})`, 'canary requests'),
      ], {
        unit: 'reqps',
        min: 0,
        description: 'Requests answered by the candidate model (SHADOW_MODEL_PATH) instead of the current one: the CANARY_PERCENT share. Their predictions count under the candidate\'s model_version in "Predictions by model version" and "Live accuracy".',
      }),
    )
    .withPanel(
      seriesPanel('Shadow texts dropped (inference)', [
        target(`sum by (reason) (${rate(inf(I.shadowDroppedTextsTotal.name))})`, '{{reason}}'),
      ], { unit: 'short', min: 0, description: 'Texts the shadow did not score: its queue was full (the shadow is slower than the traffic), it failed, or a reload removed it.' }),
    )
    .withPanel(
      statPanel('Models loaded', [
        target(`count by (model_version, role) (${ex(E.modelLoadedInfo.name)})`, '{{role}} {{model_version}} (exporter: workers)'),
        target(`count by (model_version, role) (${inf(I.inferenceModelLoadedInfo.name)})`, '{{role}} {{model_version}} (inference)', 'B'),
      ], { w: 12, h: 6, description: 'What the workers hold: current (answers), previous (for a rollback, kept in memory) and shadow.' }),
    )
    .withPanel(
      statPanel('Held-out accuracy by domain (model cards)', [
        target(`max by (model_version, domain) (${ex(E.modelDomainAccuracy.name)})`, '{{model_version}} {{domain}}'),
      ], { unit: 'percentunit', w: 12, h: 6, description: 'Test accuracy per evaluation domain from the card of each model version the workers serve.' }),
    )
    .withPanel(
      statPanel('Reloads and rollbacks (24h)', [
        target(`sum by (action, outcome) (increase(${inf(I.modelReloadsTotal.name)}[24h]))`, '{{action}} {{outcome}}'),
      ], { w: 12, h: 6, description: 'POST /admin/reload, /admin/rollback and SIGHUP, by outcome (refused: the file failed validation, or nothing to roll back to).' }),
    );

  // --- event channel and exporter ---
  b.withRow(row('Event channel and exporter'))
    .withPanel(
      seriesPanel('Events published, delivered and dropped (inference)', [
        target(`sum(${rate(inf(I.eventsPublishedTotal.name))})`, 'published'),
        target(`sum(${rate(inf(I.eventsDeliveredTotal.name))})`, 'delivered (acknowledged)', 'B'),
        target(`sum(${rate(inf(I.eventsSentTotal.name))})`, 'written to the socket', 'C'),
        target(`sum by (reason) (${rate(inf(I.eventsDroppedTotal.name))})`, 'dropped: {{reason}}', 'D'),
      ], { unit: 'ops', description: 'Each worker\'s books: published = delivered + dropped + queued + in flight. Any drop is a request the exporter does not count.' }),
    )
    .withPanel(seriesPanel('Events received by type (exporter)', [target(`sum by (type) (${rate(ex(E.eventsReceivedTotal.name))})`, '{{type}}')], { unit: 'ops' }))
    .withPanel(seriesPanel('Malformed frames by reason', [target(`sum by (reason) (${rate(ex(E.eventsMalformedTotal.name))})`, '{{reason}}')], { unit: 'ops' }))
    .withPanel(
      seriesPanel('Publisher queue depth', [
        target(`max by (worker) (${inf(I.eventsQueueDepth.name)})`, 'worker {{worker}} (inference)'),
        target(`max by (worker) (${ex(E.publisherQueuedEvents.name)})`, 'worker {{worker}} (exporter view)', 'B'),
      ], { w: 6 }),
    )
    .withPanel(
      seriesPanel('Channel connected / publishers', [
        target(`sum(${inf(I.eventsChannelConnected.name)})`, 'workers connected (inference view)'),
        target(`sum(${ex(E.publishersConnected.name)})`, 'publishers (exporter view)', 'B'),
      ], { w: 6 }),
    )
    .withPanel(
      seriesPanel('Last event age', [
        target(`max(${ex(E.lastEventAgeSeconds.name)})`, 'age'),
        target(`time() - max(${ex(E.lastEventTimestampSeconds.name)})`, 'now - last event timestamp', 'B'),
      ], {
        unit: 's',
        w: 6,
        description: 'Seconds since the exporter received an event (-1: none yet). Workers send stats every few seconds, so this stays low while the channel works.',
      }),
    )
    .withPanel(
      seriesPanel('Capture: records written and dropped', [
        target(`sum by (type) (${rate(inf(I.captureRecordsTotal.name))})`, 'written: {{type}}'),
        target(`sum by (reason) (${rate(inf(I.captureDroppedTotal.name))})`, 'dropped: {{reason}}', 'B'),
      ], {
        unit: 'ops',
        w: 6,
        description: 'Texts sampled for labelling (CAPTURE_DIR, docs/capture.md) and their feedback records; 0 while capture is off. A drop never delays or fails a request.',
      }),
    )
    .withPanel(
      seriesPanel('Scrape health and collector errors', [
        target(`${ex('up')} or ${inf('up')}`, 'up {{job}} {{instance}}'),
        target(`sum by (collector) (${rate(ex(E.collectorErrorsTotal.name))})`, 'collector errors/s: {{collector}}', 'B'),
      ], { min: 0, w: 6 }),
    );

  // --- load shedding and readiness ---
  const http503Share = `(sum(${rate(ex(HTTP, 'status_code="503"'))}) or 0 * sum(${rate(ex(HTTP))})) / (sum(${rate(ex(HTTP))}) > 0)`;
  b.withRow(row('Load shedding and readiness'))
    .withPanel(seriesPanel('Load shed (worker counter)', [target(`sum by (worker) (${rate(inf(I.loadShedTotal.name))})`, 'worker {{worker}}')], { unit: 'reqps' }))
    .withPanel(seriesPanel('503 share of all requests', [target(http503Share, '503 share')], { unit: 'percentunit', min: 0 }))
    .withPanel(
      seriesPanel('Ready', [
        target(`min by (worker) (${inf(I.ready.name)})`, 'worker {{worker}} (own gauge)'),
        target(`sum(${ex(E.workerReady.name)})`, 'workers ready (exporter view)', 'B'),
      ], { min: 0 }),
    );

  // --- per worker ---
  b.withRow(row('Per worker'))
    .withPanel(seriesPanel('Worker CPU (cores)', [target(ex(E.workerCpuUsageRatio.name, WORKER), 'worker {{worker}}')], { unit: 'short', min: 0 }))
    .withPanel(seriesPanel('Worker resident memory', [target(ex(E.workerResidentMemoryBytes.name, WORKER), 'worker {{worker}}')], { unit: 'bytes', min: 0 }))
    .withPanel(
      seriesPanel('Worker up / ready (exporter view)', [
        target(ex(E.workerUp.name, WORKER), 'up {{worker}}'),
        target(ex(E.workerReady.name, WORKER), 'ready {{worker}}', 'B'),
      ], { min: 0, max: 1 }),
    )
    .withPanel(
      seriesPanel('Event books by worker (exporter view)', [
        target(ex(E.publisherPublishedEvents.name, WORKER), 'published {{worker}}'),
        target(ex(E.publisherDeliveredEvents.name, WORKER), 'delivered {{worker}}', 'B'),
        target(ex(E.publisherDroppedEvents.name, WORKER), 'dropped {{worker}}', 'C'),
      ], { w: 8, description: 'Totals each worker reports in its hello/stats frames since it started.' }),
    )
    .withPanel(
      seriesPanel('Worker restarts (1h)', [target(`sum by (worker) (increase(${inf(I.workerRestartsTotal.name, WORKER)}[1h]))`, 'worker {{worker}}')], {
        w: 8,
        description: 'Workers the cluster primary re-forked after they died (WORKERS > 1). No data: no worker has died since the primary started.',
      }),
    )
    .withPanel(seriesPanel('Requests answered per worker', [target(`sum by (worker) (${rate(inf(count(I.httpRequestDurationSeconds.name), WORKER))})`, 'worker {{worker}}')], { unit: 'reqps', w: 8 }));

  // --- host saturation ---
  b.withRow(row('Host saturation'))
    .withPanel(
      seriesPanel('Disk usage', [
        target(ratio(ex(E.hostDiskUsedBytes.name), `(${ex(E.hostDiskUsedBytes.name)} + ${ex(E.hostDiskAvailableBytes.name)})`), '{{mountpoint}} (as df)'),
        target(`1 - ${ratio(ex(E.hostDiskAvailableBytes.name), ex(E.hostDiskSizeBytes.name))}`, '{{mountpoint}} (incl. reserved)', 'B'),
      ], { unit: 'percentunit', min: 0, max: 1 }),
    )
    .withPanel(
      seriesPanel('Host memory', [
        target(ex(E.hostMemoryUsedBytes.name), 'used'),
        target(ex(E.hostMemoryTotalBytes.name), 'total', 'B'),
      ], { unit: 'bytes', min: 0 }),
    )
    .withPanel(
      // Panel and row titles keep their first names: links and provisioned copies refer to them.
      seriesPanel('Seed gauges (percent)', [
        target(ex(E.cpuUsagePercent.name), 'cpu'),
        target(ex(E.memoryUsagePercent.name), 'memory', 'B'),
        target(ex(E.diskUsagePercent.name), 'disk', 'C'),
        target(ex(E.errorRatePercent.name), 'error rate (60 s)', 'D'),
      ], { unit: 'percent', description: 'The Python predecessor\'s percent gauges, kept for its users; the panels above use the base-unit metrics.' }),
    );

  return b.build();
}

/** The dashboard as committed: stable key order from the builder, 2-space indent, final newline. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
