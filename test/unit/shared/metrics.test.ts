/**
 * The metric catalogue (shared/metrics.ts) against the live registries of both services: every
 * entry is registered by its owner with the catalogue's type and label names, and every
 * spam-detector metric a registry exposes is in the catalogue. The inference side is a real app
 * with its publisher plus the cluster primary's own registry; the exporter side is a started
 * exporter (collectors included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { ALL_METRICS, type MetricDef, type MetricOwner } from '../../../shared/metrics.js';
import { createProcessRegistry } from '../../../services/inference/src/metrics.js';
import { createPrimaryMetrics } from '../../../services/inference/src/cluster/primary.js';
import { createEventPublisher, readPublisherSettings } from '../../../services/inference/src/events/index.js';
import { startExporter } from '../../../services/exporter/src/exporter.js';
import { readExporterConfig } from '../../../services/exporter/src/config.js';
import { bundledModel, makeApp, TEST_EVENTS_SOCKET } from '../../helpers/inference.js';

const silent = pino({ level: 'silent' });

/** prom-client's metrics and the exporter's vectors both carry their label names at runtime. */
function labelNamesOf(metric: object): readonly string[] | undefined {
  if (!('labelNames' in metric) || !Array.isArray(metric.labelNames)) return undefined;
  return metric.labelNames.map(String);
}

async function checkOwner(t: Test, owner: MetricOwner, registries: readonly Registry[]): Promise<void> {
  const defs = ALL_METRICS.filter((d) => d.owner === owner);
  const find = (name: string) => registries.map((r) => r.getSingleMetric(name)).find((m) => m !== undefined);
  for (const def of defs) {
    const metric = find(def.name);
    if (!t.ok(metric, `${owner} registers ${def.name}`) || metric === undefined) continue;
    const exposed = await metric.get();
    t.equal(String(exposed.type), def.type, `${def.name} is a ${def.type}`);
    t.same([...(labelNamesOf(metric) ?? [])].sort(), [...def.labelNames].sort(), `${def.name} labels: ${def.labelNames.join(', ') || 'none'}`);
  }
  const catalogued = new Set(defs.map((d: MetricDef) => d.name));
  const exposed = (await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).flat();
  for (const m of exposed) {
    if (m.name.startsWith('spam_detector_') || m.name === 'http_request_duration_seconds') {
      t.ok(catalogued.has(m.name), `${m.name} exposed by the ${owner} is in the catalogue`);
    }
  }
}

t.test('inference: worker registry (app, publisher) and the cluster primary', async (t) => {
  const registry = createProcessRegistry('0');
  const model = await bundledModel();
  const publisher = createEventPublisher({
    socketPath: TEST_EVENTS_SOCKET,
    workerId: '0',
    model,
    registry,
    log: silent,
    settings: readPublisherSettings({}),
  });
  const app = await makeApp({}, { registry, publisher });
  t.teardown(() => app.close());
  await checkOwner(t, 'inference', [registry, createPrimaryMetrics().registry]);
});

t.test('exporter: a started exporter with its collectors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-catalogue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = readExporterConfig({ EVENTS_SOCKET: join(dir, 'events.sock'), EXPORTER_PORT: '0', SAMPLE_INTERVAL_MS: '3600000' });
  const exporter = await startExporter(config, silent);
  t.teardown(() => exporter.close());
  await checkOwner(t, 'exporter', [exporter.registry]);
});
