/**
 * deploy/grafana, statically (Grafana itself cannot be installed on these machines): the
 * committed dashboard JSON and alerting files equal a fresh generation; the dashboard has the
 * seed's 11 panels and the added rows; every query parses (promtool check rules on a rule file
 * made of them), reads only catalogue metrics or recorded series, and every catalogue metric is
 * shown somewhere; the provisioning files agree with each other and with prometheus.yml.
 * test/e2e/monitoring.test.ts runs the same queries against a live Prometheus.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../helpers/spawn.js';
import { DASHBOARD_JSON, dashboardPanels, dashboardQueries, dashboardRawQueries, dashboardVariableValues, findBinary, readPrometheusConfig, readRuleGroups, type DashboardPanel } from '../helpers/prometheus.js';
import { parsePromQL, substituteVariables } from '../helpers/promql.js';
import { ALL_METRICS, EXPORTER_METRICS, INFERENCE_METRICS } from '../../shared/metrics.js';
import { renderAll } from '../../deploy/grafana/src/generate.js';
import { PREDECESSOR_ALERTS, CONTACT_POINT } from '../../deploy/grafana/src/alerting.js';
import { DASHBOARD_TITLE, DASHBOARD_UID, DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID, JOB_EXPORTER, JOB_INFERENCE } from '../../deploy/grafana/src/names.js';
import { TEMPLATE_VARIABLES } from '../../deploy/grafana/src/dashboard.js';

const PROVISIONING = join(REPO_ROOT, 'deploy', 'grafana', 'provisioning');
const yaml = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;

const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: unknown; allValue?: string; includeAll?: boolean; multi?: boolean }[] };
};
const panels = dashboardPanels();
const queries = dashboardQueries();
const byTitle = (title: string): DashboardPanel => {
  const p = panels.find((x) => x.title === title);
  if (!p) throw new Error(`no panel "${title}"`);
  return p;
};

/** Metric-like identifiers of a PromQL expression (string literals removed). */
function metricNames(expr: string): string[] {
  const ids = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(ids.filter((id) => id.startsWith('spam_detector') || id.includes(':') || id.startsWith('http_request_') || id === 'up'))];
}

t.test('the committed generated files are up to date', async (t) => {
  const files = renderAll();
  t.equal(files.size, 4, 'dashboard + 3 alerting files');
  const stale = [...files].filter(([path, text]) => readFileSync(path, 'utf8') !== text).map(([path]) => relative(REPO_ROOT, path));
  t.same(stale, [], 'no stale file (run npm run generate and commit the result)');
  // Generation is deterministic: two runs give the same bytes.
  const again = renderAll();
  for (const [path, text] of files) t.equal(again.get(path), text, `${relative(REPO_ROOT, path)} is deterministic`);
});

t.test('the dashboard keeps the seed\'s 11 panels', async (t) => {
  t.equal(dashboard.title, DASHBOARD_TITLE);
  t.equal(dashboard.uid, DASHBOARD_UID);
  const seed: [string, string][] = [
    ['Total Requests', 'stat'],
    ['Spam Predictions', 'stat'],
    ['Ham Predictions', 'stat'],
    ['Error Rate (%)', 'gauge'],
    ['Response Time - p50', 'timeseries'],
    ['Response Time - p95', 'timeseries'],
    ['Response Time - p99', 'timeseries'],
    ['CPU Usage (%)', 'timeseries'],
    ['Memory Usage (%)', 'timeseries'],
    ['Model Accuracy', 'stat'],
    ['Requests per Minute', 'timeseries'],
  ];
  for (const [title, type] of seed) t.equal(byTitle(title).type, type, `${title} is a ${type} panel`);
  const gauge = byTitle('Error Rate (%)') as DashboardPanel & { fieldConfig: { defaults: { thresholds: { steps: { value: number | null; color: string }[] } } } };
  t.same(
    gauge.fieldConfig.defaults.thresholds.steps.map((s) => s.value),
    [null, 2, 5],
    'error-rate gauge thresholds at 2 and 5 (percent)',
  );
  t.match(byTitle('Spam Predictions').targets?.[0]?.expr, /spam_detector_predictions_total\{job=~"\$job", instance=~"\$instance", result="spam"\}/);
  t.match(byTitle('Ham Predictions').targets?.[0]?.expr, /spam_detector_predictions_total\{job=~"\$job", instance=~"\$instance", result="ham"\}/);
  for (const [q, title] of [['0.5', 'p50'], ['0.95', 'p95'], ['0.99', 'p99']] as const) {
    t.match(byTitle(`Response Time - ${title}`).targets?.[0]?.expr, new RegExp(`^histogram_quantile\\(${q}, .*spam_detector_response_time_seconds_bucket`));
  }
  t.match(byTitle('Requests per Minute').targets?.[0]?.expr, /rate\(spam_detector_requests_total\{[^}]*\}\[\$__rate_interval\]\)\) \* 60/);
});

t.test('the dashboard has the added rows', async (t) => {
  const rows = panels.filter((p) => p.type === 'row').map((p) => p.title);
  for (const want of [/^Model behaviour$/, /^Event channel and exporter$/, /^Load shedding and readiness$/, /^Per worker$/]) {
    t.ok(rows.some((r) => want.test(r)), `row ${want}`);
  }
  // Panels of a row are the ones after it (expanded rows), up to the next row.
  const inRow = (row: string): string[] => {
    const start = panels.findIndex((p) => p.type === 'row' && p.title === row);
    const rest = panels.slice(start + 1);
    const end = rest.findIndex((p) => p.type === 'row');
    return (end === -1 ? rest : rest.slice(0, end)).map((p) => p.title);
  };
  const model = inRow('Model behaviour');
  for (const want of [/Confidence distribution/, /Spam ratio/, /Live accuracy/, /Input length/]) t.ok(model.some((p) => want.test(p)), `Model behaviour: ${want}`);
  t.equal(byTitle('Confidence distribution').type, 'heatmap');
  const channel = inRow('Event channel and exporter');
  for (const want of [/dropped/, /received/, /Malformed/, /Last event age/]) t.ok(channel.some((p) => want.test(p)), `Event channel: ${want}`);
  t.ok(inRow('Load shedding and readiness').some((p) => /Load shed/.test(p)), 'Load shedding panel');
  const perWorker = panels.filter((p) => (p.targets ?? []).some((q) => /worker=~"\$worker"/.test(q.expr ?? '')));
  t.ok(perWorker.length >= 4, `${perWorker.length} panels filter by the $worker variable`);
  t.ok(dashboard.templating.list.some((v) => v.name === 'worker' && v.type === 'query'), 'worker variable');
  t.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'), 'datasource variable');
});

t.test('panels are well formed', async (t) => {
  const ids = panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels.filter((x) => x.type !== 'row')) {
    t.ok((p.targets ?? []).length > 0, `${p.title}: has queries`);
    const refIds = (p.targets ?? []).map((q) => q.refId);
    t.equal(new Set(refIds).size, refIds.length, `${p.title}: refIds are unique`);
    for (const q of p.targets ?? []) {
      t.ok((q.expr ?? '').length > 0, `${p.title} ${q.refId}: has an expression`);
      t.equal(q.datasource?.uid ?? (p.datasource as { uid?: string } | undefined)?.uid, '${datasource}', `${p.title} ${q.refId}: uses the datasource variable`);
    }
  }
});

t.test('every query reads catalogue metrics or recorded series, and every catalogue metric is shown', async (t) => {
  const known = new Set<string>(['up']);
  for (const m of ALL_METRICS) {
    known.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(m.name + s);
  }
  for (const g of readRuleGroups()) for (const r of g.rules) if (r.record) known.add(r.record);
  const used = new Set<string>();
  for (const q of queries) {
    for (const name of metricNames(q.expr)) {
      used.add(name.replace(/_(bucket|sum|count)$/, ''));
      t.ok(known.has(name), `${q.panel} ${q.refId}: ${name} exists`);
    }
  }
  const unshown = ALL_METRICS.map((m) => m.name).filter((n) => !used.has(n));
  t.same(unshown, [], 'every catalogue metric has a panel');
});

t.test('datasource, job and instance are template variables; no panel names a job', async (t) => {
  const vars = dashboard.templating.list;
  const names = vars.map((v) => v.name);
  t.same(names, ['datasource', ...Object.values(TEMPLATE_VARIABLES)], 'variables, in order');
  for (const v of vars.filter((x) => x.type === 'query')) {
    t.ok(v.includeAll && v.multi && v.allValue === '.*', `${v.name}: multi-valued, "All" = .*`);
    const query = typeof v.query === 'string' ? v.query : JSON.stringify(v.query);
    t.match(query, /^"?label_values\(/, `${v.name}: label_values query`);
    t.notMatch(query, new RegExp(`${JOB_EXPORTER}|${JOB_INFERENCE}`), `${v.name}: no job name in its query`);
  }
  const exporterNames = new Set<string>(['up']);
  const inferenceNames = new Set<string>(['up']);
  const withSeries = (set: Set<string>, m: { name: string; type: string }): void => {
    set.add(m.name);
    if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) set.add(m.name + suffix);
  };
  for (const m of Object.values(EXPORTER_METRICS)) withSeries(exporterNames, m);
  for (const m of Object.values(INFERENCE_METRICS)) withSeries(inferenceNames, m);
  let checked = 0;
  for (const q of dashboardRawQueries()) {
    t.notMatch(q.expr, new RegExp(`${JOB_EXPORTER}|${JOB_INFERENCE}`), `${q.panel} ${q.refId}: no hard-coded job name`);
    // Parsed with the variables still in: they sit inside string literals, where PromQL allows anything.
    for (const sel of parsePromQL(q.expr).selectors) {
      if (sel.name.includes(':')) continue; // recorded series: aggregated already (the constant has no labels)
      const job = sel.matchers.get('job')?.[1];
      const instance = sel.matchers.get('instance')?.[1];
      const ok =
        (exporterNames.has(sel.name) && job === '$job' && instance === '$instance') ||
        (inferenceNames.has(sel.name) && job === '$inference_job' && instance === '$inference_instance');
      t.ok(ok, `${q.panel} ${q.refId}: ${sel.text} is filtered by its job and instance variables`);
      checked++;
    }
  }
  t.ok(checked >= 80, `${checked} selectors checked`);
});

t.test('every panel query and Grafana alert expression parses offline (lezer-promql)', async (t) => {
  const values = dashboardVariableValues();
  t.same(Object.keys(values).sort(), Object.values(TEMPLATE_VARIABLES).sort(), 'every query variable gets a value');
  // "All", and one concrete pick per variable (the job names prometheus.yml uses).
  const picks: Record<string, string>[] = [
    values,
    { ...values, job: JOB_EXPORTER, inference_job: JOB_INFERENCE, instance: '127.0.0.1:8000', inference_instance: '127.0.0.1:5000', worker: '0' },
  ];
  const raw = dashboardRawQueries();
  t.ok(raw.length >= 60, `${raw.length} panel queries`);
  for (const pick of picks) {
    for (const q of raw) {
      const expr = substituteVariables(q.expr, pick);
      const parsed = parsePromQL(expr);
      t.same(parsed.errors, [], `${q.panel} ${q.refId} (job=${pick.job}) parses: ${expr}`);
      t.ok(parsed.selectors.length > 0, `${q.panel} ${q.refId}: reads at least one series`);
    }
  }
  for (const a of PREDECESSOR_ALERTS) {
    t.notMatch(a.query, /\$/, `Grafana alert ${a.title}: no template variable (Grafana alerting has none)`);
    t.same(parsePromQL(a.query).errors, [], `Grafana alert ${a.title} parses: ${a.query}`);
  }
  // The parser is not lenient: a broken expression is reported.
  for (const broken of ['sum(rate(x[5m])', 'x{job=~"$job"', 'histogram_quantile(0.5 x)', 'rate(x[5m]) >', 'no_such_function(x)']) {
    t.not(parsePromQL(broken).errors.length, 0, `rejects ${broken}`);
  }
  t.throws(() => substituteVariables('x{job=~"$jbo"}', values), /undefined template variable \$jbo/, 'an undefined variable is an error, not a literal');
});

t.test('every query parses (promtool check rules on a rule file made of them)', async (t) => {
  if (!findBinary('promtool')) {
    t.fail('promtool is missing: apt-get install prometheus (.ci/run does)');
    return;
  }
  const alertQueries = PREDECESSOR_ALERTS.map((a, i) => ({ panel: `Grafana alert ${a.title}`, refId: String(i), expr: a.query }));
  const all = [...queries, ...alertQueries];
  const rules = all.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: q.expr }));
  const dir = mkdtempSync(join(tmpdir(), 'monitoring-grafana-'));
  try {
    const file = join(dir, 'queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, `all ${all.length} queries parse\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('provisioning files agree with each other and with prometheus.yml', async (t) => {
  const jobs = readPrometheusConfig().scrape_configs.map((s) => s.job_name).sort();
  t.same(jobs, [JOB_EXPORTER, JOB_INFERENCE].sort(), 'the dashboard\'s job names are prometheus.yml\'s');

  const ds = yaml<{ apiVersion: number; datasources: { uid: string; type: string; url: string; jsonData: { timeInterval: string } }[] }>(join(PROVISIONING, 'datasources', 'prometheus.yml'));
  t.equal(ds.apiVersion, 1);
  t.equal(ds.datasources[0]?.uid, DATASOURCE_UID, 'datasource uid');
  t.equal(ds.datasources[0]?.type, 'prometheus');
  t.equal(ds.datasources[0]?.jsonData.timeInterval, readPrometheusConfig().global.scrape_interval, 'timeInterval = scrape interval');

  const provider = yaml<{ providers: { folder: string; folderUid: string; type: string; options: { path: string } }[] }>(join(PROVISIONING, 'dashboards', 'spam-detector.yml'));
  t.equal(provider.providers[0]?.type, 'file');
  t.equal(provider.providers[0]?.folder, FOLDER_TITLE);
  t.equal(provider.providers[0]?.folderUid, FOLDER_UID);
  t.match(provider.providers[0]?.options.path, /^\//, 'absolute dashboards path');

  interface AlertQuery { refId: string; datasourceUid: string; model: { expr?: string; type?: string; expression?: string; conditions?: { evaluator: { type: string; params: number[] } }[] } }
  const rules = yaml<{ groups: { folder: string; rules: { title: string; condition: string; for: string; data: AlertQuery[]; labels: Record<string, string>; annotations: Record<string, string> }[] }[] }>(join(PROVISIONING, 'alerting', 'alert-rules.yml'));
  const group = rules.groups[0]!;
  t.equal(group.folder, FOLDER_TITLE, 'alert rules live in the dashboard\'s folder');
  const want: [string, number, string][] = [
    ['High Error Rate', 5, '1m'],
    ['Slow Response Time', 0.5, '1m'],
    ['High Memory Usage', 80, '2m'],
  ];
  t.same(group.rules.map((r) => r.title), want.map((w) => w[0]), 'the seed\'s three alerts');
  for (const [title, threshold, forDuration] of want) {
    const r = group.rules.find((x) => x.title === title)!;
    t.equal(r.for, forDuration, `${title}: for ${forDuration}`);
    const a = r.data.find((d) => d.refId === 'A')!;
    t.equal(a.datasourceUid, DATASOURCE_UID, `${title}: queries the provisioned datasource`);
    const condition = r.data.find((d) => d.refId === r.condition)!;
    t.equal(condition.model.type, 'threshold', `${title}: condition is a threshold`);
    t.same(condition.model.conditions?.[0]?.evaluator, { type: 'gt', params: [threshold] }, `${title}: above ${threshold}`);
    t.match(r.annotations.runbook_url, /^docs\/runbooks\.md#/, `${title}: runbook link`);
  }

  const cps = yaml<{ contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[] }>(join(PROVISIONING, 'alerting', 'contact-points.yml'));
  t.equal(cps.contactPoints[0]?.name, CONTACT_POINT);
  t.equal(cps.contactPoints[0]?.receivers[0]?.type, 'webhook');
  const policies = yaml<{ policies: { receiver: string; routes: { receiver: string }[] }[] }>(join(PROVISIONING, 'alerting', 'notification-policies.yml'));
  const receivers = [policies.policies[0]!.receiver, ...policies.policies[0]!.routes.map((r) => r.receiver)];
  for (const r of receivers) t.equal(r, CONTACT_POINT, 'every policy sends to the provisioned contact point');
});
