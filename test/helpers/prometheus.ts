/**
 * Prometheus and Alertmanager for tests: the committed configurations (deploy/prometheus,
 * deploy/alertmanager) re-targeted at the test's own loopback ports, started with their own temp
 * dirs, plus a loopback webhook receiver and PromQL query helpers. Process start/stop lives in
 * deploy/prometheus/launch.ts, shared with `npm run stack`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './spawn.js';
import { substituteVariables } from './promql.js';
import {
  startAlertmanager,
  startPrometheus,
  waitForTargetsUp,
  type ManagedProcess,
} from '../../deploy/prometheus/launch.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../deploy/alertmanager/webhook-receiver.js';

export { freePort, findBinary, waitForTargetsUp, type ManagedProcess } from '../../deploy/prometheus/launch.js';
export { startWebhookReceiver, type WebhookReceiver, type WebhookNotification } from '../../deploy/alertmanager/webhook-receiver.js';

export const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy', 'prometheus');
export const PROMETHEUS_CONFIG = join(PROMETHEUS_DIR, 'prometheus.yml');
export const ALERTMANAGER_CONFIG = join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
  scrape_interval?: string;
  [key: string]: unknown;
}
interface PrometheusConfig {
  global: { scrape_interval?: string; evaluation_interval?: string; scrape_timeout?: string; [key: string]: unknown };
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}

export function readPrometheusConfig(file = PROMETHEUS_CONFIG): PrometheusConfig {
  return parse(readFileSync(file, 'utf8')) as PrometheusConfig;
}

/** Absolute paths of the rule files prometheus.yml loads. */
export function ruleFilePaths(file = PROMETHEUS_CONFIG): string[] {
  return readPrometheusConfig(file).rule_files.map((f) => resolve(dirname(file), f));
}

export interface RuleDef {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: RuleDef[];
}

/** Every rule group of the rule files prometheus.yml loads, in load order. */
export function readRuleGroups(file = PROMETHEUS_CONFIG): RuleGroup[] {
  return ruleFilePaths(file).flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups);
}

export interface PrometheusTargets {
  inference: string; // host:port
  exporter: string;
  alertmanager: string;
}

/**
 * The committed prometheus.yml with only the addresses and intervals changed: same jobs, same
 * rule files (absolute paths to the repository's own), same Alertmanager wiring.
 */
export function templatePrometheusConfig(targets: PrometheusTargets, interval: string): string {
  const config = readPrometheusConfig();
  config.global.scrape_interval = interval;
  config.global.evaluation_interval = interval;
  config.global.scrape_timeout = interval;
  config.rule_files = ruleFilePaths();
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [targets.alertmanager] }] }];
  const byJob: Record<string, string> = {
    'spam-detector-inference': targets.inference,
    'spam-detector-exporter': targets.exporter,
  };
  for (const sc of config.scrape_configs) {
    const target = byJob[sc.job_name];
    if (!target) throw new Error(`prometheus.yml has a job the test does not know: ${sc.job_name}`);
    sc.static_configs = [{ targets: [target] }];
  }
  return stringify(config);
}

interface AmRoute {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AmRoute[];
  [key: string]: unknown;
}
interface AmConfig {
  route: AmRoute;
  receivers: { name: string; webhook_configs?: { url: string; [key: string]: unknown }[]; [key: string]: unknown }[];
  [key: string]: unknown;
}

/**
 * The committed alertmanager.yml with every webhook re-pointed at `webhookBase` (keeping each
 * receiver's path, so the test can tell which route delivered) and group timings shortened to 1s.
 */
export function templateAlertmanagerConfig(webhookBase: string): string {
  const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as AmConfig;
  const shorten = (r: AmRoute): void => {
    r.group_wait = '1s';
    r.group_interval = '1s';
    r.repeat_interval = '1m';
    for (const child of r.routes ?? []) shorten(child);
  };
  shorten(config.route);
  for (const receiver of config.receivers) {
    for (const w of receiver.webhook_configs ?? []) w.url = webhookBase + new URL(w.url).pathname;
  }
  return stringify(config);
}

export interface MonitoringStack {
  prometheus: ManagedProcess;
  alertmanager: ManagedProcess;
  webhook: WebhookReceiver;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Webhook receiver + Alertmanager + Prometheus scraping `inference` and `exporter`, with the
 * repository's rules, every process on its own loopback port and data under one temp dir.
 * Waits until both scrape targets are up.
 */
export async function startMonitoringStack(o: { inference: string; exporter: string; interval: string; targetsTimeoutMs?: number }): Promise<MonitoringStack> {
  const dir = mkdtempSync(join(tmpdir(), 'spam-detector-monitoring-'));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const webhook = await startWebhookReceiver();
    started.push({ stop: () => webhook.close() });
    const amConfig = join(dir, 'alertmanager.yml');
    writeFileSync(amConfig, templateAlertmanagerConfig(webhook.url));
    const alertmanager = await startAlertmanager({ configFile: amConfig, dataDir: join(dir, 'alertmanager') });
    started.push(alertmanager);
    const promConfig = join(dir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      templatePrometheusConfig({ inference: o.inference, exporter: o.exporter, alertmanager: `127.0.0.1:${alertmanager.port}` }, o.interval),
    );
    const prometheus = await startPrometheus({ configFile: promConfig, dataDir: join(dir, 'prometheus') });
    started.push(prometheus);
    await waitForTargetsUp(prometheus.url, ['spam-detector-inference', 'spam-detector-exporter'], o.targetsTimeoutMs ?? 30_000);
    return { prometheus, alertmanager, webhook, dir, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query; throws on a PromQL error (so a typo fails loudly instead of "no data"). */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
  if (body.status !== 'success' || !body.data) throw new Error(`query failed: ${body.error ?? res.status}: ${expr}`);
  if (body.data.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${body.data.resultType}`);
  return body.data.result;
}

/** Names of the metrics a target exposes (from its # TYPE lines, even those with no series yet). */
export async function targetMetricNames(prometheusUrl: string): Promise<Set<string>> {
  const res = await fetch(`${prometheusUrl}/api/v1/targets/metadata`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { data: { metric: string }[] };
  return new Set(body.data.map((m) => m.metric));
}

export const DASHBOARD_JSON = join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'spam-detection-model.json');

export interface DashboardPanel {
  id?: number;
  type: string;
  title: string;
  targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[];
  panels?: DashboardPanel[];
  [key: string]: unknown;
}

/** Every panel of the committed dashboard JSON, rows' nested panels included, rows themselves too. */
export function dashboardPanels(file = DASHBOARD_JSON): DashboardPanel[] {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as { panels: DashboardPanel[] };
  return dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The dashboard's template variables with the value their "All" option sends (allValue, else `.*`). */
export function dashboardVariableValues(file = DASHBOARD_JSON): Record<string, string> {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as { templating: { list: { name: string; type: string; allValue?: string }[] } };
  const values: Record<string, string> = {};
  // The datasource variable only appears in datasource references, never in an expression.
  for (const v of dash.templating.list) if (v.type !== 'datasource') values[v.name] = v.allValue ?? '.*';
  return values;
}

export interface PanelQuery {
  panel: string;
  refId: string;
  /** Variables substituted (what Grafana sends). */
  expr: string;
}

/** Every query of every panel as written in the JSON, variables still in. */
export function dashboardRawQueries(file = DASHBOARD_JSON): PanelQuery[] {
  return dashboardPanels(file).flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, refId: target.refId ?? 'A', expr: target.expr ?? '' })));
}

/** Every query of every panel, variables substituted. */
export function dashboardQueries(file = DASHBOARD_JSON): PanelQuery[] {
  const values = dashboardVariableValues(file);
  return dashboardPanels(file).flatMap((p) =>
    (p.targets ?? []).map((target) => ({ panel: p.title, refId: target.refId ?? 'A', expr: substituteVariables(target.expr ?? '', values) })),
  );
}
