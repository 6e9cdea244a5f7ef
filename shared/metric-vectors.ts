/**
 * Metric vectors for hot paths (the exporter's ingest, the inference's per-request histogram),
 * exposed through prom-client's Registry.
 *
 * prom-client hashes a label object on every observe; an exporter event updates up to eight
 * series, which alone would cap ingest near its target (docs/benchmarks.md#exporter-label-hashing),
 * and in the inference the observe was a visible share of a request (docs/benchmarks.md#the-cuts).
 * Here a series is an index into typed arrays and an update is an array increment. Series come
 * from closed label sets (the exporter's registry/labels.ts), or are added on first use by the
 * caller (`addSeries`, for label values known only at run time, such as route patterns).
 * prom-client still renders the exposition: each vector implements the `get()` shape its Registry
 * reads from metrics (name, help, type, aggregator, values), so escaping and number formatting
 * stay prom-client's.
 */
import type { Metric, Registry } from 'prom-client';
import type { MetricDef } from './metrics.js';

/** Dimensions of a vector whose series the caller adds one by one (addSeries). */
export const OPEN = 'open';
export type Dims = readonly LabelDim[] | typeof OPEN;

function grown(from: Float64Array, length: number): Float64Array {
  const to = new Float64Array(length);
  to.set(from);
  return to;
}

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
  /** Slots allocated per series array; grows by doubling as series are added. */
  protected capacity: number;

  /**
   * @param zeroSeries series reported at 0 before their first update (e.g. both labels of
   *   predictions_total, so a ratio exists from the first scrape); the rest appear once touched.
   */
  constructor(
    def: MetricDef,
    dims: Dims,
    protected readonly zeroSeries: 'all' | 'none',
  ) {
    this.name = def.name;
    this.help = def.help;
    this.labelNames = def.labelNames;
    if (dims === OPEN) {
      this.rows = [];
    } else {
      checkDims(def, dims);
      this.rows = labelTable(dims);
    }
    this.capacity = Math.max(1, this.rows.length);
  }

  get size(): number {
    return this.rows.length;
  }

  /**
   * A new series with these labels (every catalogue label name, in any order); returns its index.
   * For a vector built with OPEN dimensions: the caller keeps its own lookup from label values to
   * index, and bounds what it adds.
   */
  addSeries(labels: Record<string, string>): number {
    const names = Object.keys(labels);
    if (names.length !== this.labelNames.length || !this.labelNames.every((n) => n in labels)) {
      throw new Error(`${this.name}: a series needs exactly the labels [${this.labelNames.join(',')}], got [${names.join(',')}]`);
    }
    // In catalogue order, as labelTable() builds rows, so the exposition's label order is stable.
    this.rows.push(Object.fromEntries(this.labelNames.map((n) => [n, labels[n]!])));
    if (this.rows.length > this.capacity) {
      this.capacity *= 2;
      this.grow(this.capacity);
    }
    return this.rows.length - 1;
  }

  /** Reallocates the per-series arrays for `capacity` series, keeping what they hold. */
  protected abstract grow(capacity: number): void;

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
  private values: Float64Array;

  constructor(def: MetricDef, dims: Dims = [], zeroSeries: 'all' | 'none' = 'all') {
    super(def, dims, zeroSeries);
    if (def.type !== 'counter') throw new Error(`${def.name} is a ${def.type}, not a counter`);
    this.values = new Float64Array(this.capacity);
  }

  protected grow(capacity: number): void {
    this.values = grown(this.values, capacity);
  }

  inc(series: number, by = 1): void {
    this.values[series]! += by;
  }

  value(series: number): number {
    return this.values[series]!;
  }

  total(): number {
    let sum = 0;
    for (let i = 0; i < this.rows.length; i++) sum += this.values[i]!;
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
  private buckets: Float64Array;
  private sums: Float64Array;
  private counts: Float64Array;
  private readonly stride: number;

  constructor(def: MetricDef, dims: Dims = [], zeroSeries: 'all' | 'none' = 'all') {
    super(def, dims, zeroSeries);
    if (def.type !== 'histogram' || !def.buckets) throw new Error(`${def.name} is not a histogram with buckets`);
    this.bounds = Float64Array.from(def.buckets);
    for (let i = 1; i < this.bounds.length; i++) {
      if (!(this.bounds[i]! > this.bounds[i - 1]!)) throw new Error(`${def.name}: buckets must increase`);
    }
    this.stride = this.bounds.length + 1;
    this.buckets = new Float64Array(this.capacity * this.stride);
    this.sums = new Float64Array(this.capacity);
    this.counts = new Float64Array(this.capacity);
  }

  protected grow(capacity: number): void {
    this.buckets = grown(this.buckets, capacity * this.stride);
    this.sums = grown(this.sums, capacity);
    this.counts = grown(this.counts, capacity);
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
