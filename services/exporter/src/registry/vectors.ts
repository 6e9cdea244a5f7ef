/**
 * Metric vectors for the ingest hot path, exposed through prom-client's Registry.
 *
 * prom-client hashes a label object on every observe; an event updates up to eight series, which
 * alone would cap ingest near its target (docs/benchmarks.md#exporter-label-hashing). Every
 * label of these metrics comes from a closed set (registry/labels.ts), so a series is an index
 * into typed arrays and an update is an array increment. prom-client still renders the
 * exposition: each vector implements the `get()` shape its Registry reads from metrics
 * (name, help, type, aggregator, values), so escaping and number formatting stay prom-client's.
 */
import type { Metric, Registry } from 'prom-client';
import type { MetricDef } from '../../../../shared/metrics.js';

/** One label of a vector: its closed set of values and where unknown values go. */
export interface LabelDim {
  readonly name: string;
  readonly values: readonly string[];
}

interface ValueRow {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: ValueRow[];
}

/** Label objects for every series index, built once (series count is the product of set sizes). */
function labelTable(dims: readonly LabelDim[]): Record<string, string>[] {
  let rows: Record<string, string>[] = [{}];
  for (const dim of dims) {
    const next: Record<string, string>[] = [];
    for (const row of rows) for (const value of dim.values) next.push({ ...row, [dim.name]: value });
    rows = next;
  }
  return rows;
}

function checkDims(def: MetricDef, dims: readonly LabelDim[]): void {
  const names = dims.map((d) => d.name).join(',');
  if (names !== def.labelNames.join(',')) {
    throw new Error(`${def.name}: label dimensions [${names}] do not match the catalogue [${def.labelNames.join(',')}]`);
  }
}

abstract class Vector {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly rows: Record<string, string>[];

  /**
   * @param zeroSeries series reported at 0 before their first update (e.g. both labels of
   *   predictions_total, so a ratio exists from the first scrape); the rest appear once touched.
   */
  constructor(
    def: MetricDef,
    dims: readonly LabelDim[],
    protected readonly zeroSeries: 'all' | 'none',
  ) {
    checkDims(def, dims);
    this.name = def.name;
    this.help = def.help;
    this.labelNames = def.labelNames;
    this.rows = labelTable(dims);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Adds this vector to a prom-client registry (which reads it through `get()`). */
  registerIn(registry: Registry): this {
    // The Registry only calls get() (and reset() on resetMetrics); its type lists prom-client's
    // own classes, hence the cast.
    // eslint-disable-next-line no-restricted-syntax -- the Registry reads only get() and reset(), which this implements
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  abstract get(): Promise<MetricSnapshot>;
  abstract reset(): void;
}

export class CounterVec extends Vector {
  readonly type = 'counter' as const;
  readonly values: Float64Array;

  constructor(def: MetricDef, dims: readonly LabelDim[] = [], zeroSeries: 'all' | 'none' = 'all') {
    super(def, dims, zeroSeries);
    if (def.type !== 'counter') throw new Error(`${def.name} is a ${def.type}, not a counter`);
    this.values = new Float64Array(this.rows.length);
  }

  inc(series: number, by = 1): void {
    this.values[series]! += by;
  }

  value(series: number): number {
    return this.values[series]!;
  }

  total(): number {
    let sum = 0;
    for (const v of this.values) sum += v;
    return sum;
  }

  get(): Promise<MetricSnapshot> {
    const values: ValueRow[] = [];
    for (let i = 0; i < this.rows.length; i++) {
      const v = this.values[i]!;
      if (v > 0 || this.zeroSeries === 'all') values.push({ value: v, labels: this.rows[i]! });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }

  reset(): void {
    this.values.fill(0);
  }
}

export class HistogramVec extends Vector {
  readonly type = 'histogram' as const;
  private readonly bounds: Float64Array;
  /** Per series: one slot per bound plus +Inf, not cumulative. */
  private readonly buckets: Float64Array;
  private readonly sums: Float64Array;
  private readonly counts: Float64Array;
  private readonly stride: number;

  constructor(def: MetricDef, dims: readonly LabelDim[] = [], zeroSeries: 'all' | 'none' = 'all') {
    super(def, dims, zeroSeries);
    if (def.type !== 'histogram' || !def.buckets) throw new Error(`${def.name} is not a histogram with buckets`);
    this.bounds = Float64Array.from(def.buckets);
    for (let i = 1; i < this.bounds.length; i++) {
      if (!(this.bounds[i]! > this.bounds[i - 1]!)) throw new Error(`${def.name}: buckets must increase`);
    }
    this.stride = this.bounds.length + 1;
    this.buckets = new Float64Array(this.rows.length * this.stride);
    this.sums = new Float64Array(this.rows.length);
    this.counts = new Float64Array(this.rows.length);
  }

  observe(series: number, value: number): void {
    const bounds = this.bounds;
    const n = bounds.length;
    // Linear scan: a dozen bounds, and most values land in the first few.
    let b = 0;
    while (b < n && value > bounds[b]!) b++;
    this.buckets[series * this.stride + b]! += 1;
    this.sums[series]! += value;
    this.counts[series]! += 1;
  }

  count(series: number): number {
    return this.counts[series]!;
  }

  sum(series: number): number {
    return this.sums[series]!;
  }

  /** Cumulative count at each bound (Prometheus `le` semantics), +Inf last. */
  cumulative(series: number): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let b = 0; b < this.stride; b++) {
      acc += this.buckets[series * this.stride + b]!;
      out.push(acc);
    }
    return out;
  }

  get(): Promise<MetricSnapshot> {
    const values: ValueRow[] = [];
    const bucketName = `${this.name}_bucket`;
    for (let i = 0; i < this.rows.length; i++) {
      if (this.counts[i]! === 0 && this.zeroSeries === 'none') continue;
      const labels = this.rows[i]!;
      const cum = this.cumulative(i);
      for (let b = 0; b < this.bounds.length; b++) {
        values.push({ metricName: bucketName, labels: { ...labels, le: this.bounds[b]! }, value: cum[b]! });
      }
      values.push({ metricName: bucketName, labels: { ...labels, le: '+Inf' }, value: this.counts[i]! });
      values.push({ metricName: `${this.name}_sum`, labels, value: this.sums[i]! });
      values.push({ metricName: `${this.name}_count`, labels, value: this.counts[i]! });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }

  reset(): void {
    this.buckets.fill(0);
    this.sums.fill(0);
    this.counts.fill(0);
  }
}
