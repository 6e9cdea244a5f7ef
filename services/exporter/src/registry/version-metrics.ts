/**
 * Per model version series (model lifecycle, docs/deploying-a-model.md): predictions,
 * confidence, inference latency and feedback of each version that answered, and the shadow
 * model's predictions, agreement and feedback, all labelled `model_version`.
 *
 * The label set is bounded by what the workers hold: a version gets series only while a
 * connected worker's hello names it (current, previous, shadow, or the base its events default
 * to), at most MAX_VERSIONS; when a hello shows a version is no longer held anywhere, its series
 * are removed. Events of a version outside that set still count in the unlabelled metrics.
 *
 * Each version is a group of the typed-array vectors (vectors.ts) with the other labels; one
 * composite metric per name renders every group with model_version added, at scrape only.
 */
import type { Metric, Registry } from 'prom-client';
import { EXPORTER_METRICS as M, type MetricDef } from '../../../../shared/metrics.js';
import { ACTUAL_DIM, PREDICTED_DIM, RESULT_DIM } from './labels.js';
import { CounterVec, HistogramVec, type LabelDim } from '../../../../shared/metric-vectors.js';

/** Far above the three a worker holds; a bound against a publisher naming versions at will. */
export const MAX_VERSIONS = 16;

export const AGREEMENT_DIM: LabelDim = { name: 'outcome', values: ['agree', 'disagree'] };

/** The definition without its leading model_version label: what each group's vector carries. */
function inner(def: MetricDef): MetricDef {
  if (def.labelNames[0] !== 'model_version') throw new Error(`${def.name}: model_version must be its first label`);
  return { ...def, labelNames: def.labelNames.slice(1) };
}

const PREDICTIONS = inner(M.modelPredictionsTotal);
const CONFIDENCE = inner(M.modelPredictionConfidence);
const LATENCY = inner(M.modelInferenceLatencySeconds);
const FEEDBACK = inner(M.modelFeedbackTotal);
const SHADOW_PREDICTIONS = inner(M.shadowPredictionsTotal);
const SHADOW_COMPARISONS = inner(M.shadowComparisonsTotal);
const SHADOW_CONFIDENCE = inner(M.shadowPredictionConfidence);
const SHADOW_FEEDBACK = inner(M.shadowFeedbackTotal);

export class VersionGroup {
  readonly predictions = new CounterVec(PREDICTIONS, [RESULT_DIM]);
  readonly confidence = new HistogramVec(CONFIDENCE, [RESULT_DIM], 'none');
  readonly inferenceLatency = new HistogramVec(LATENCY, []);
  /** predicted * 2 + actual */
  readonly feedback = new CounterVec(FEEDBACK, [PREDICTED_DIM, ACTUAL_DIM]);
  readonly shadowPredictions = new CounterVec(SHADOW_PREDICTIONS, [RESULT_DIM]);
  /** 0 agree, 1 disagree */
  readonly shadowComparisons = new CounterVec(SHADOW_COMPARISONS, [AGREEMENT_DIM]);
  readonly shadowConfidence = new HistogramVec(SHADOW_CONFIDENCE, [RESULT_DIM], 'none');
  readonly shadowFeedback = new CounterVec(SHADOW_FEEDBACK, [PREDICTED_DIM, ACTUAL_DIM]);
}

type Pick = (g: VersionGroup) => CounterVec | HistogramVec;

function touched(v: CounterVec | HistogramVec): boolean {
  if (v instanceof CounterVec) return v.total() > 0;
  for (let i = 0; i < v.size; i++) if (v.count(i) > 0) return true;
  return false;
}

export class VersionMetrics {
  private readonly groups = new Map<string, VersionGroup>();
  /** Versions a connected worker holds (Publishers keeps it current). */
  private held: ReadonlySet<string> = new Set();
  private lastVersion = '';
  private lastGroup: VersionGroup | undefined;

  constructor(registry: Registry) {
    const metrics: [MetricDef, Pick][] = [
      [M.modelPredictionsTotal, (g) => g.predictions],
      [M.modelPredictionConfidence, (g) => g.confidence],
      [M.modelInferenceLatencySeconds, (g) => g.inferenceLatency],
      [M.modelFeedbackTotal, (g) => g.feedback],
      [M.shadowPredictionsTotal, (g) => g.shadowPredictions],
      [M.shadowComparisonsTotal, (g) => g.shadowComparisons],
      [M.shadowPredictionConfidence, (g) => g.shadowConfidence],
      [M.shadowFeedbackTotal, (g) => g.shadowFeedback],
    ];
    // eslint-disable-next-line no-restricted-syntax -- the Registry reads only get() and reset(), which the composite implements
    for (const [def, pick] of metrics) registry.registerMetric(this.composite(def, pick) as unknown as Metric);
  }

  /** The group of `version`, or undefined when no connected worker holds it (or the bound is reached). */
  group(version: string | undefined): VersionGroup | undefined {
    if (version === undefined) return undefined;
    if (version === this.lastVersion && this.lastGroup !== undefined) return this.lastGroup;
    let g = this.groups.get(version);
    if (g === undefined) {
      if (!this.held.has(version) || this.groups.size >= MAX_VERSIONS) return undefined;
      g = new VersionGroup();
      this.groups.set(version, g);
    }
    this.lastVersion = version;
    this.lastGroup = g;
    return g;
  }

  /** The versions workers hold now: series of any other version are removed. */
  setHeld(held: ReadonlySet<string>): void {
    this.held = held;
    for (const v of this.groups.keys()) if (!held.has(v)) this.groups.delete(v);
    this.lastVersion = '';
    this.lastGroup = undefined;
  }

  versions(): string[] {
    return [...this.groups.keys()];
  }

  private composite(def: MetricDef, pick: Pick) {
    const groups = this.groups;
    return {
      name: def.name,
      help: def.help,
      type: def.type,
      labelNames: def.labelNames,
      aggregator: 'sum',
      async get() {
        const values: { value: number; labels: Record<string, string | number>; metricName?: string }[] = [];
        for (const [version, g] of groups) {
          const v = pick(g);
          if (!touched(v)) continue;
          for (const row of (await v.get()).values) values.push({ ...row, labels: { model_version: version, ...row.labels } });
        }
        return { name: def.name, help: def.help, type: def.type, aggregator: 'sum', values };
      },
      reset() {
        groups.clear();
      },
    };
  }
}
