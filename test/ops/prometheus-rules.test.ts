/**
 * deploy/prometheus and deploy/alertmanager, statically: promtool check config / check rules /
 * test rules, amtool check-config and routing, plus the conventions promtool does not check:
 * every alert has a severity, summary, description and a runbook anchor that exists; every alert
 * has promtool cases that fire and that stay silent; every recording rule is named
 * level:metric:operations and has a promql_expr_test; every metric a rule reads is in the
 * catalogue; the drift baseline equals the model card.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/spawn.js';
import { ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG, PROMETHEUS_DIR, findBinary, readRuleGroups, ruleFilePaths } from '../helpers/prometheus.js';
import { ALL_METRICS } from '../../shared/metrics.js';
import { parsePromQL } from '../helpers/promql.js';

const TESTS_DIR = join(PROMETHEUS_DIR, 'tests');
const RUNBOOKS = join(REPO_ROOT, 'docs', 'runbooks.md');
const MODEL_CARD = join(REPO_ROOT, 'models', 'spam-classifier.card.json');

const groups = readRuleGroups();
const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
const records = groups.flatMap((g) => g.rules).filter((r) => r.record !== undefined);
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.yml')).sort();

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function requireTool(t: { fail(message: string): boolean }, name: string): boolean {
  if (findBinary(name)) return true;
  t.fail(`${name} is missing: apt-get install prometheus prometheus-alertmanager (.ci/run does)`);
  return false;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

/** Metric-like identifiers a PromQL expression reads (string literals removed first). */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const ids = withoutStrings.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(ids.filter((id) => id.startsWith('spam_detector') || id.includes(':') || id.startsWith('http_request_') || id === 'up'))];
}

t.test('promtool accepts the configuration and the rule files', async (t) => {
  if (!requireTool(t, 'promtool')) return;
  const config = run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
  t.equal(config.status, 0, `promtool check config\n${config.out}`);
  const rules = run('promtool', ['check', 'rules', ...ruleFilePaths()]);
  t.equal(rules.status, 0, `promtool check rules\n${rules.out}`);
  t.match(rules.out, new RegExp(`SUCCESS: ${alerts.length} rules found`), 'all alerts were read');
});

t.test('every recording and alert rule parses offline (lezer-promql), here and in the Kubernetes PrometheusRule', async (t) => {
  const k8s = parse(readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', 'prometheusrule.yaml'), 'utf8')) as { spec: { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] } };
  const all = [
    ...groups.flatMap((g) => g.rules).map((r) => ({ where: 'rules/', r })),
    ...k8s.spec.groups.flatMap((g) => g.rules).map((r) => ({ where: 'kubernetes/', r })),
  ];
  t.ok(all.length >= 2 * (alerts.length + records.length), `${all.length} rule expressions`);
  for (const { where, r } of all) {
    const parsed = parsePromQL(r.expr);
    t.same(parsed.errors, [], `${where}${r.record ?? r.alert} parses`);
    t.ok(parsed.selectors.length > 0 || /vector\(/.test(r.expr), `${where}${r.record ?? r.alert} reads series (or is a constant)`);
  }
});

t.test('promtool unit tests pass', async (t) => {
  if (!requireTool(t, 'promtool')) return;
  t.ok(testFiles.length >= 2, `test files: ${testFiles.join(', ')}`);
  const r = run('promtool', ['test', 'rules', ...testFiles.map((f) => join(TESTS_DIR, f))]);
  t.equal(r.status, 0, `promtool test rules\n${r.out}`);
  t.notMatch(r.out, /FAILED/, 'no failed case');
});

// Each mutant loosens one threshold from ">" to ">=" and must be caught by that alert's edge case.
const MUTANTS: Array<{ alert: string; from: string; to: string; caughtBy: RegExp }> = [
  { alert: 'HighErrorRate', from: 'job:spam_detector_errors_per_requests:ratio_rate1m > 0.05', to: 'job:spam_detector_errors_per_requests:ratio_rate1m >= 0.05', caughtBy: /HighErrorRate stays silent at exactly 5%/ },
  { alert: 'InputDrift', from: '{signal=~"text_length|known_term_ratio"} >= 0.25', to: '{signal=~"text_length|known_term_ratio"} > 0.25', caughtBy: /InputDrift is critical after 15m at PSI 0.25 exactly/ },
  { alert: 'ScoreDrift', from: '{signal="spam_probability"} >= 0.1', to: '{signal="spam_probability"} > 0.1', caughtBy: /ScoreDrift is critical after 15m at PSI 0.25, warns after 30m at 0.1/ },
  { alert: 'HostDiskSpaceLow', from: 'instance_mountpoint:spam_detector_host_disk_usage:ratio > 0.9', to: 'instance_mountpoint:spam_detector_host_disk_usage:ratio >= 0.9', caughtBy: /HostDiskSpaceLow fires after 5m above 90%, not at exactly 90%/ },
];

t.test('the unit tests are not vacuous: a broken threshold fails them', async (t) => {
  if (!requireTool(t, 'promtool')) return;
  for (const m of MUTANTS) {
    const dir = mkdtempSync(join(tmpdir(), 'monitoring-rules-mutant-'));
    try {
      const rulesDir = join(dir, 'rules');
      const testsDir = join(dir, 'tests');
      for (const d of [rulesDir, testsDir]) mkdirSync(d);
      for (const f of ruleFilePaths()) {
        let text = readFileSync(f, 'utf8');
        if (f.endsWith('alerts.yml')) {
          const mutated = text.replace(m.from, m.to);
          t.not(mutated, text, `${m.alert}: mutation applied`);
          text = mutated;
        }
        writeFileSync(join(rulesDir, f.split('/').pop()!), text);
      }
      writeFileSync(join(testsDir, 'alerts.test.yml'), readFileSync(join(TESTS_DIR, 'alerts.test.yml')));
      const r = run('promtool', ['test', 'rules', join(testsDir, 'alerts.test.yml')]);
      t.not(r.status, 0, `${m.alert}: promtool test rules fails on the mutant`);
      t.match(r.out, m.caughtBy, `${m.alert}: the edge case caught it`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

t.test('every alert has a severity, a summary, a description and a runbook section', async (t) => {
  const runbooks = readFileSync(RUNBOOKS, 'utf8');
  const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) => slug(m[1]!)));
  t.ok(alerts.length >= 11, `${alerts.length} alerts`);
  for (const a of alerts) {
    t.match(a.labels?.severity, /^(critical|warning)$/, `${a.alert}: severity`);
    t.ok((a.annotations?.summary ?? '').length > 10, `${a.alert}: summary`);
    t.ok((a.annotations?.description ?? '').length > 20, `${a.alert}: description`);
    const url = a.annotations?.runbook_url ?? '';
    t.equal(url, `docs/runbooks.md#${a.alert!.toLowerCase()}`, `${a.alert}: runbook_url`);
    t.ok(anchors.has(a.alert!.toLowerCase()), `${a.alert}: docs/runbooks.md has a "## ${a.alert}" section`);
  }
  for (const name of ['HighErrorRate', 'SlowResponseTime', 'HighMemoryUsage']) {
    t.ok(alerts.some((a) => a.alert === name), `the seed's ${name} is kept`);
  }
  const seed = Object.fromEntries(alerts.map((a) => [a.alert, a]));
  t.match(seed.HighErrorRate?.expr, /> 0\.05$/, 'HighErrorRate: above 5%');
  t.equal(seed.HighErrorRate?.for, '1m');
  t.match(seed.SlowResponseTime?.expr, /quantile="0\.99"\} > 0\.5$/, 'SlowResponseTime: p99 above 0.5 s');
  t.equal(seed.SlowResponseTime?.for, '1m');
  t.match(seed.HighMemoryUsage?.expr, /> 0\.8$/, 'HighMemoryUsage: above 80%');
  t.equal(seed.HighMemoryUsage?.for, '2m');
});

interface PromtoolTests {
  tests: {
    name: string;
    alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
    promql_expr_test?: { expr: string }[];
  }[];
}

t.test('every alert has promtool cases that fire and that stay silent', async (t) => {
  const cases = testFiles.flatMap((f) => (parse(readFileSync(join(TESTS_DIR, f), 'utf8')) as PromtoolTests).tests);
  const alertCases = cases.flatMap((c) => c.alert_rule_test ?? []);
  for (const a of alerts) {
    const mine = alertCases.filter((c) => c.alertname === a.alert);
    t.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert}: a case where it fires`);
    t.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert}: a case where it stays silent`);
  }
  const exprs = cases.flatMap((c) => c.promql_expr_test ?? []).map((e) => e.expr);
  for (const r of records) {
    t.ok(exprs.some((e) => metricNames(e).includes(r.record!)), `${r.record}: has a promql_expr_test`);
  }
});

t.test('recording rules follow level:metric:operations', async (t) => {
  t.ok(records.length >= 20, `${records.length} recording rules`);
  for (const r of records) {
    t.match(r.record, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, `${r.record}`);
  }
  const names = records.map((r) => `${r.record}${JSON.stringify(r.labels ?? {})}`);
  t.equal(new Set(names).size, names.length, 'no two recording rules write the same series');
});

t.test('every metric the rules read is in the catalogue or recorded', async (t) => {
  const known = new Set<string>(['up']);
  for (const m of ALL_METRICS) {
    known.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(m.name + s);
  }
  for (const r of records) known.add(r.record!);
  for (const r of [...records, ...alerts]) {
    for (const name of metricNames(r.expr)) t.ok(known.has(name), `${r.record ?? r.alert}: ${name}`);
  }
});

t.test('the drift baseline equals the model card\'s spam share', async (t) => {
  const card = JSON.parse(readFileSync(MODEL_CARD, 'utf8')) as { corpus: { spam: number; messages: number } };
  const share = card.corpus.spam / card.corpus.messages;
  const rule = records.find((r) => r.record === 'spam_detector:training_spam_ratio:constant');
  const value = Number(/^vector\(([0-9.]+)\)$/.exec(rule?.expr.trim() ?? '')?.[1]);
  t.ok(Math.abs(value - share) < 0.0005, `baseline ${value} vs card ${card.corpus.spam}/${card.corpus.messages} = ${share.toFixed(4)}`);
});

t.test('amtool accepts the Alertmanager config and routes by severity', async (t) => {
  if (!requireTool(t, 'amtool')) return;
  const check = run('amtool', ['check-config', ALERTMANAGER_CONFIG]);
  t.equal(check.status, 0, `amtool check-config\n${check.out}`);
  const route = (labels: string[]): string => run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, ...labels]).out.split('\n')[0]!.trim();
  t.equal(route(['alertname=HighErrorRate', 'severity=critical']), 'webhook-critical');
  t.equal(route(['alertname=PredictionDrift', 'severity=warning']), 'webhook-warning');
  t.equal(route(['alertname=Unknown']), 'webhook-default');
  // Every alert's severity has its own route.
  for (const a of alerts) t.equal(route([`alertname=${a.alert}`, `severity=${a.labels!.severity}`]), `webhook-${a.labels!.severity}`, `${a.alert} routed`);
});

t.test('the commented email and Slack examples are valid once uncommented', async (t) => {
  if (!requireTool(t, 'amtool')) return;
  const example = /^(smtp_[a-z_]+|slack_api_url_file|email_configs|slack_configs|- to|- channel|send_resolved|title|text):/;
  let uncommented = 0;
  const text = readFileSync(ALERTMANAGER_CONFIG, 'utf8')
    .split('\n')
    .map((line) => {
      const m = /^(\s*)# (.*)$/.exec(line);
      if (!m || !example.test(m[2]!.trimStart())) return line;
      uncommented++;
      return m[1]! + m[2]!;
    })
    .join('\n');
  t.ok(uncommented >= 10, `${uncommented} example lines uncommented`);
  const parsed = parse(text) as { receivers: { name: string; email_configs?: unknown[]; slack_configs?: unknown[] }[] };
  t.ok(parsed.receivers.some((r) => r.email_configs && r.slack_configs), 'a receiver with email and Slack');
  const dir = mkdtempSync(join(tmpdir(), 'monitoring-am-'));
  try {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, text);
    const r = run('amtool', ['check-config', file]);
    t.equal(r.status, 0, `amtool check-config with the examples\n${r.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
