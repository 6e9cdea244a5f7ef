/**
 * docs/metrics.md is generated from the metric catalogue; this fails when someone changed a
 * metric (or a closed label set) without regenerating it.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { METRICS_DOC_PATH, renderMetricsDoc } from '../../../scripts/gen-metrics-doc.js';
import { ALL_METRICS } from '../../../shared/metrics.js';

t.test('docs/metrics.md is up to date with shared/metrics.ts', async (t) => {
  const committed = readFileSync(METRICS_DOC_PATH, 'utf8');
  t.ok(committed === renderMetricsDoc(), 'stale: run `npm run generate` and commit docs/metrics.md');
});

t.test('every catalogued metric is documented', async (t) => {
  const doc = renderMetricsDoc();
  for (const m of ALL_METRICS) t.ok(doc.includes(`\`${m.name}\``), m.name);
});
