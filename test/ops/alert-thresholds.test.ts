/**
 * deploy/prometheus/rules/alerts.yml is written by hand; its thresholds are defined once in
 * deploy/alert-thresholds.ts, which the Grafana generators read. This fails when the two disagree:
 * a threshold of the module missing from its rule (or under another `for`), or a rule comparing
 * with a number the module does not hold.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../shared/paths.js';
import { THRESHOLDS, percent, type AlertThreshold } from '../../deploy/alert-thresholds.js';
import { PREDECESSOR_ALERTS } from '../../deploy/grafana/src/alerting.js';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
}

const ALERTS_FILE = join(REPO_ROOT, 'deploy', 'prometheus', 'rules', 'alerts.yml');

function readAlertRules(text: string): AlertRule[] {
  const doc = parse(text) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => typeof r.alert === 'string');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `op value` as a whole token in a PromQL expression (`> 0.5` does not match `> 0.55`). */
function comparison(th: AlertThreshold): RegExp {
  return new RegExp(`(^|[^<>=!])${escape(th.op)}\\s*${escape(String(th.value))}(?![\\d.])`);
}

/** Every non-zero number the expression compares with (`> 0.05`, `>= 100`) or subtracts as a margin (`- 0.05`). */
function comparedNumbers(expr: string): number[] {
  const found = [...expr.matchAll(/(?:>=|<=|>|<|-)\s*(\d+(?:\.\d+)?)(?![\d.])/g)].map((m) => Number(m[1]));
  return found.filter((n) => n !== 0);
}

/** Problems between a rule file and the module; empty when they agree. */
function disagreements(rules: AlertRule[]): string[] {
  const problems: string[] = [];
  const all: AlertThreshold[] = Object.values(THRESHOLDS);
  for (const [name, th] of Object.entries(THRESHOLDS) as [string, AlertThreshold][]) {
    const rule = rules.find((r) => r.alert === th.alert && r.labels?.severity === th.severity);
    if (!rule) {
      problems.push(`${name}: no ${th.severity} rule ${th.alert}`);
      continue;
    }
    if (!comparison(th).test(rule.expr)) problems.push(`${name}: ${th.alert} (${th.severity}) does not compare "${th.op} ${th.value}"`);
    if (rule.for !== th.for) problems.push(`${name}: ${th.alert} (${th.severity}) has for ${String(rule.for)}, the module ${th.for}`);
  }
  for (const rule of rules) {
    const mine = all.filter((th) => th.alert === rule.alert && th.severity === rule.labels?.severity).map((th) => th.value);
    for (const n of comparedNumbers(rule.expr)) {
      if (!mine.includes(n)) problems.push(`${rule.alert} (${String(rule.labels?.severity)}) compares with ${n}, which deploy/alert-thresholds.ts does not hold`);
    }
  }
  return problems;
}

const committed = readFileSync(ALERTS_FILE, 'utf8');

t.test('alerts.yml uses the thresholds of deploy/alert-thresholds.ts', async (t) => {
  t.same(disagreements(readAlertRules(committed)), []);
});

t.test('the check sees a changed threshold, a changed duration and a new number', async (t) => {
  const raised = committed.replace('job:spam_detector_errors_per_requests:ratio_rate1m > 0.05', 'job:spam_detector_errors_per_requests:ratio_rate1m > 0.07');
  t.not(raised, committed);
  t.match(disagreements(readAlertRules(raised)), [/errorRatio: HighErrorRate \(critical\) does not compare "> 0.05"/, /HighErrorRate \(critical\) compares with 0.07/]);

  const rules = readAlertRules(committed);
  const slow = rules.find((r) => r.alert === 'SlowResponseTime')!;
  slow.for = '5m';
  t.match(disagreements(rules), [/responseTimeP99Seconds: SlowResponseTime \(warning\) has for 5m, the module 1m/]);

  const fresh = readAlertRules(committed);
  fresh.find((r) => r.alert === 'TargetDown')!.expr += ' and on () vector(1) > 0.5';
  t.match(disagreements(fresh), [/TargetDown \(critical\) compares with 0.5/]);
});

t.test('the Grafana alert rules take their thresholds from the module, in percent where the query is a percentage', async (t) => {
  const above = Object.fromEntries(PREDECESSOR_ALERTS.map((a) => [a.uid, a.above]));
  t.same(above, {
    'spam-detector-high-error-rate': percent(THRESHOLDS.errorRatio.value),
    'spam-detector-slow-response-time': THRESHOLDS.responseTimeP99Seconds.value,
    'spam-detector-high-memory-usage': percent(THRESHOLDS.memoryUsageRatio.value),
  });
  t.equal(percent(0.07), 7, 'percent() leaves no floating-point dust');
  // The dashboard draws one set of PSI bands for both drift alerts.
  t.equal(THRESHOLDS.scorePsiModerate.value, THRESHOLDS.inputPsiModerate.value);
  t.equal(THRESHOLDS.scorePsiSignificant.value, THRESHOLDS.inputPsiSignificant.value);
});
