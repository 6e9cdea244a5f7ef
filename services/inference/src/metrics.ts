/**
 * The metrics registry of one inference process. Its metrics are built from the shared
 * catalogue by shared/metric-builders.ts. Every process labels its series with `worker`, so the
 * cluster primary's aggregation keeps workers apart.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
    const { name } = metric;
    if (metric instanceof Gauge && name.endsWith('_total')) registry.removeSingleMetric(name);
  }
  return registry;
}
