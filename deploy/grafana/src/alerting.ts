/**
 * Grafana-managed alerting for the Python predecessor's three alerts (High Error Rate, Slow Response Time,
 * High Memory Usage), a webhook contact point and a notification policy, as Grafana file
 * provisioning (provisioning/alerting/*.yml). The rules are built with the foundation SDK's
 * alerting builders and use the same PromQL as the dashboard panels they watch.
 *
 * These mirror the Prometheus alerts of the same intent (deploy/prometheus/rules/alerts.yml) for
 * teams that alert from Grafana; run one or the other, or route both to different receivers.
 * Provisioning format: Grafana 10.x-12.x (file provisioning of alerting exists since 9.1).
 */
import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { errorRatePercentExpr, memoryUsagePercentExpr, responseTimeQuantileExpr } from './dashboard.js';
import { DATASOURCE_UID, FOLDER_TITLE } from './names.js';
import { THRESHOLDS, percent } from '../../alert-thresholds.js';

const ORG_ID = 1;
export const CONTACT_POINT = 'spam-detector-webhook';
/** Where `npm run stack`'s loopback receiver listens; change for a real incident tool. */
export const GRAFANA_WEBHOOK_URL = 'http://127.0.0.1:9095/grafana';
const EXPRESSION_DS = { type: '__expr__', uid: '__expr__' };

interface PredecessorAlert {
  uid: string;
  title: string;
  /** PromQL of query A (instant). */
  query: string;
  /** Alert when the last value of A is above this. */
  above: number;
  for: string;
  severity: 'critical' | 'warning';
  summary: string;
  runbook: string;
}

/** The predecessor's three alerts, thresholds from deploy/alert-thresholds.ts, over fixed 1m windows. */
export const PREDECESSOR_ALERTS: readonly PredecessorAlert[] = [
  {
    uid: 'spam-detector-high-error-rate',
    title: 'High Error Rate',
    query: errorRatePercentExpr('1m'),
    above: percent(THRESHOLDS.errorRatio.value),
    for: THRESHOLDS.errorRatio.for,
    severity: THRESHOLDS.errorRatio.severity,
    summary: `More than ${percent(THRESHOLDS.errorRatio.value)}% of prediction requests fail (percentage over the last minute).`,
    runbook: 'docs/runbooks.md#higherrorrate',
  },
  {
    uid: 'spam-detector-slow-response-time',
    title: 'Slow Response Time',
    query: responseTimeQuantileExpr(0.99, '1m'),
    above: THRESHOLDS.responseTimeP99Seconds.value,
    for: THRESHOLDS.responseTimeP99Seconds.for,
    severity: THRESHOLDS.responseTimeP99Seconds.severity,
    summary: `99th percentile prediction latency is above ${THRESHOLDS.responseTimeP99Seconds.value} s.`,
    runbook: 'docs/runbooks.md#slowresponsetime',
  },
  {
    uid: 'spam-detector-high-memory-usage',
    title: 'High Memory Usage',
    query: memoryUsagePercentExpr(),
    above: percent(THRESHOLDS.memoryUsageRatio.value),
    for: THRESHOLDS.memoryUsageRatio.for,
    severity: THRESHOLDS.memoryUsageRatio.severity,
    summary: `Host memory usage is above ${percent(THRESHOLDS.memoryUsageRatio.value)}%.`,
    runbook: 'docs/runbooks.md#highmemoryusage',
  },
];

function rule(a: PredecessorAlert): alerting.RuleBuilder {
  return new alerting.RuleBuilder(a.title)
    .uid(a.uid)
    .condition('C')
    .withQuery(
      new alerting.QueryBuilder('A')
        .datasourceUid(DATASOURCE_UID)
        .relativeTimeRange({ from: 600, to: 0 })
        .model(new prometheus.DataqueryBuilder().expr(a.query).instant().refId('A')),
    )
    .withQuery(
      new alerting.QueryBuilder('B')
        .datasourceUid('__expr__')
        .model(new expr.TypeReduceBuilder().expression('A').reducer('last').settings({ mode: 'dropNN' }).datasource(EXPRESSION_DS).refId('B')),
    )
    .withQuery(
      new alerting.QueryBuilder('C')
        .datasourceUid('__expr__')
        .model(
          new expr.TypeThresholdBuilder()
            .expression('B')
            .conditions([{ evaluator: { type: 'gt', params: [a.above] } }])
            .datasource(EXPRESSION_DS)
            .refId('C'),
        ),
    )
    // No traffic means no error rate and no latency: that is not an incident.
    .noDataState('OK')
    .execErrState('Error')
    .forDuration(a.for)
    .labels({ severity: a.severity, service: 'spam-detector' })
    .annotations({ summary: a.summary, runbook_url: a.runbook })
    .isPaused(false);
}

/** provisioning/alerting/alert-rules.yml */
export function alertRulesFile(): Record<string, unknown> {
  // The group keeps its first name: renaming it would provision a second group beside the old one.
  const group = new alerting.RuleGroupBuilder('spam-detector-seed-alerts')
    .interval(60)
    .rules(PREDECESSOR_ALERTS.map(rule))
    .build();
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: ORG_ID,
        name: group.title,
        folder: FOLDER_TITLE,
        interval: '1m',
        rules: (group.rules ?? []).map((r) => ({
          uid: r.uid,
          title: r.title,
          condition: r.condition,
          data: r.data,
          noDataState: r.noDataState,
          execErrState: r.execErrState,
          for: r.for,
          labels: r.labels,
          annotations: r.annotations,
          isPaused: r.isPaused,
        })),
      },
    ],
  };
}

/** provisioning/alerting/contact-points.yml */
export function contactPointsFile(): Record<string, unknown> {
  const cp = new alerting.ContactPointBuilder()
    .uid(CONTACT_POINT)
    .name(CONTACT_POINT)
    .type('webhook')
    .settings({ url: GRAFANA_WEBHOOK_URL, httpMethod: 'POST' })
    .disableResolveMessage(false)
    .build();
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: ORG_ID,
        name: cp.name,
        // The SDK types a contact point's settings as any: they are the object given to .settings() above.
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
        receivers: [{ uid: cp.uid, type: cp.type, settings: cp.settings, disableResolveMessage: cp.disableResolveMessage }],
      },
    ],
  };
}

/**
 * provisioning/alerting/notification-policies.yml. Grafana keeps ONE policy tree per organisation
 * and a provisioned tree replaces it whole: merge these routes into yours if you already have one.
 */
export function notificationPoliciesFile(): Record<string, unknown> {
  const policy = new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([
      new alerting.NotificationPolicyBuilder()
        .receiver(CONTACT_POINT)
        .objectMatchers([['severity', '=', 'critical']])
        .groupWait('10s')
        .repeatInterval('1h'),
    ])
    .build();
  return { apiVersion: 1, policies: [{ orgId: ORG_ID, ...policy }] };
}
