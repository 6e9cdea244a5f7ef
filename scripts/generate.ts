/**
 * Runs every generator of committed files:
 * - the Grafana dashboard and alerting provisioning (deploy/grafana/src/generate.ts),
 * - docs/metrics.md from the metric catalogue (scripts/gen-metrics-doc.ts),
 * - the Kubernetes PrometheusRule from the Prometheus rule files (scripts/gen-k8s-rules.ts).
 *
 *   npm run generate                # write every generated file
 *   npm run generate -- --check     # write nothing; exit 1 naming each file that differs
 *   ... --root DIR                  # read the rule files from, and compare with or write into, DIR
 *                                   # (a copy of the repository) instead of this checkout
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderAll as renderGrafana } from '../deploy/grafana/src/generate.js';
import { METRICS_DOC_PATH, renderMetricsDoc } from './gen-metrics-doc.js';
import { OUTPUT as PROMETHEUS_RULE_PATH, renderPrometheusRule } from './gen-k8s-rules.js';
import { REPO_ROOT } from '../shared/paths.js';

/** Every generated file under `root`: path relative to the root -> exact content. */
export function renderOutputs(root = REPO_ROOT): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const [path, text] of renderGrafana()) outputs.set(relative(REPO_ROOT, path), text);
  outputs.set(relative(REPO_ROOT, METRICS_DOC_PATH), renderMetricsDoc());
  outputs.set(relative(REPO_ROOT, PROMETHEUS_RULE_PATH), renderPrometheusRule(root));
  return outputs;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The generated files (relative paths) whose content under `root` differs from a fresh generation; a missing file differs. */
export function staleOutputs(root = REPO_ROOT): string[] {
  return [...renderOutputs(root)].filter(([path, text]) => readOrEmpty(join(root, path)) !== text).map(([path]) => path);
}

function main(argv: string[]): number {
  // strict: an unknown or misspelt option (--chek) is an error, not a silent write.
  let values: { check?: boolean; root?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: 'boolean' }, root: { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: npm run generate [-- --check] [--root DIR]`);
    return 2;
  }
  const root = values.root === undefined ? REPO_ROOT : resolve(values.root);
  if (values.check) {
    const stale = staleOutputs(root);
    for (const path of stale) console.error(`stale: ${path}`);
    if (stale.length > 0) console.error(`${stale.length} generated file(s) differ from their sources: run npm run generate and commit the result`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const [path, text] of renderOutputs(root)) {
    const target = join(root, path);
    if (readOrEmpty(target) === text) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${path}`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
