/**
 * The one place prom-client metrics are built: every counter and gauge of both
 * services comes from a catalogue entry (shared/metrics.ts), so its name, help, type, label
 * names and buckets cannot drift from what docs/metrics.md, the dashboard and the rules read.
 * A metric whose value lives elsewhere passes `collect`, which prom-client calls at each scrape.
 *
 * Histograms, and the counters of the exporter's ingest hot path, are typed-array vectors
 * (shared/metric-vectors.ts), built from the same catalogue entries and checked the same way.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricDef, MetricType } from './metrics.js';

function expectType(def: MetricDef, type: MetricType): void {
  if (def.type !== type) throw new Error(`metric ${def.name} is a ${def.type}, not a ${type}`);
}

export function counterFrom(def: MetricDef, registry: Registry, collect?: (this: Counter<string>) => void): Counter<string> {
  expectType(def, 'counter');
  return new Counter({
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(collect ? { collect } : {}),
  });
}

export function gaugeFrom(def: MetricDef, registry: Registry, collect?: (this: Gauge<string>) => void): Gauge<string> {
  expectType(def, 'gauge');
  return new Gauge({
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(collect ? { collect } : {}),
  });
}
