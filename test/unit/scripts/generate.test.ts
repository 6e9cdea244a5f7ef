/**
 * scripts/generate.ts (`npm run generate [-- --check]`): the committed generated files are up to
 * date, and --check, run by the compiled script against a temporary copy of the repository's
 * generated files and their rule-file sources, names a stale file, exits 1 and writes nothing;
 * a plain run then brings the copy up to date.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../../shared/paths.js';
import { renderOutputs, staleOutputs } from '../../../scripts/generate.js';

const SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'generate.js');

function generate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temporary root holding every generated file and the Prometheus configuration they are made from. */
function copyOfRepo(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'generate-check-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(REPO_ROOT, 'deploy', 'prometheus'), join(root, 'deploy', 'prometheus'), { recursive: true });
  for (const path of renderOutputs().keys()) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    cpSync(join(REPO_ROOT, path), join(root, path));
  }
  return root;
}

t.test('every generator has an output and the committed outputs are up to date', async (t) => {
  const paths = [...renderOutputs().keys()].sort();
  t.same(paths, [
    'deploy/grafana/dashboards/spam-detection-model.json',
    'deploy/grafana/provisioning/alerting/alert-rules.yml',
    'deploy/grafana/provisioning/alerting/contact-points.yml',
    'deploy/grafana/provisioning/alerting/notification-policies.yml',
    'deploy/kubernetes/prometheusrule.yaml',
    'docs/metrics.md',
  ]);
  t.same(staleOutputs(), [], 'no stale file (run npm run generate and commit the result)');
});

t.test('the compiled script: --check passes on the repository', async (t) => {
  t.ok(existsSync(SCRIPT), 'built (npm run build)');
  const r = generate('--check');
  t.equal(r.status, 0, r.stderr);
});

t.test('--check on a copy with a stale file names it, exits 1 and writes nothing; a plain run repairs it', async (t) => {
  const root = copyOfRepo(t);
  t.equal(generate('--check', '--root', root).status, 0, 'a faithful copy is up to date');

  const doc = join(root, 'docs', 'metrics.md');
  const dashboard = join(root, 'deploy', 'grafana', 'dashboards', 'spam-detection-model.json');
  writeFileSync(doc, readFileSync(doc, 'utf8').replace('# Metrics reference', '# Metrics reference (edited by hand)'));
  rmSync(dashboard);
  // A rule file changed without regenerating: the PrometheusRule made from it is stale.
  const alerts = join(root, 'deploy', 'prometheus', 'rules', 'alerts.yml');
  writeFileSync(alerts, readFileSync(alerts, 'utf8').replace('ratio_rate1m > 0.05', 'ratio_rate1m > 0.06'));
  const before = readFileSync(doc, 'utf8');

  const r = generate('--check', '--root', root);
  t.equal(r.status, 1, 'exit 1');
  t.same(
    r.stderr.split('\n').filter((l) => l.startsWith('stale: ')).sort(),
    ['stale: deploy/grafana/dashboards/spam-detection-model.json', 'stale: deploy/kubernetes/prometheusrule.yaml', 'stale: docs/metrics.md'],
    'names the edited, the missing and the out-of-date file, nothing else',
  );
  t.match(r.stderr, /run npm run generate/);
  t.equal(readFileSync(doc, 'utf8'), before, '--check did not rewrite the stale file');
  t.notOk(existsSync(dashboard), '--check did not create the missing file');

  const w = generate('--root', root);
  t.equal(w.status, 0, w.stderr);
  t.match(w.stdout, /wrote docs\/metrics\.md/);
  t.notMatch(w.stdout, /alert-rules\.yml/, 'an up-to-date file is not rewritten');
  t.equal(generate('--check', '--root', root).status, 0, 'up to date after the plain run');
  t.match(readFileSync(join(root, 'deploy', 'kubernetes', 'prometheusrule.yaml'), 'utf8'), /ratio_rate1m > 0\.06/, 'the PrometheusRule follows the copy\'s rule file');
});

t.test('a misspelt option is an error, not a write', async (t) => {
  const r = generate('--chek');
  t.equal(r.status, 2);
  t.match(r.stderr, /Unknown option '--chek'[\s\S]*usage: npm run generate/);
});
