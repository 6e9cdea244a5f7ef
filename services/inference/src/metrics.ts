/**
 * prom-client metrics of one inference process, built from the shared catalogue
 * (shared/metrics.ts) so names, help and buckets are defined once. Every process labels its
 * series with `worker`, so the cluster primary's aggregation keeps workers apart.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricDef } from '../../../shared/metrics.js';

function check(def: MetricDef, type: MetricDef['type']): void {
  if (def.type !== type) throw new Error(`metric ${def.name} is a ${def.type}, not a ${type}`);
}

export function counterFrom(def: MetricDef, registry: Registry): Counter<string> {
  check(def, 'counter');
  return new Counter({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] });
}

export function gaugeFrom(def: MetricDef, registry: Registry, collect?: (this: Gauge<string>) => void): Gauge<string> {
  check(def, 'gauge');
  return new Gauge({
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(collect ? { collect } : {}),
  });
}

export function histogramFrom(def: MetricDef, registry: Registry): Histogram<string> {
  check(def, 'histogram');
  return new Histogram({
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(def.buckets ? { buckets: [...def.buckets] } : {}),
  });
}

/**
 * A registry with prom-client's process and Node runtime metrics, minus the gauges whose
 * names end in `_total` (promtool rejects them as counters-by-name; the same values are in the
 * `{type}`-labelled gauges without the suffix).
 */
export function createProcessRegistry(workerId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ worker: workerId });
  collectDefaultMetrics({ register: registry });
  for (const metric of registry.getMetricsAsArray()) {
    const { name } = metric as unknown as { name: string };
    if (metric instanceof Gauge && name.endsWith('_total')) registry.removeSingleMetric(name);
  }
  return registry;
}
