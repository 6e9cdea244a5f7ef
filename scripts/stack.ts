/**
 * `npm run stack`: the local monitoring demo. Starts, on loopback, the exporter and the inference
 * service (compiled, from dist/), Prometheus with deploy/prometheus/prometheus.yml and its rules,
 * Alertmanager with deploy/alertmanager/alertmanager.yml, and a webhook receiver that prints every
 * alert notification. Ctrl-C (or SIGTERM) stops everything.
 *
 * Every address comes from the committed configuration, so the demo runs exactly those files:
 * the services listen on the scrape targets of prometheus.yml (5000, 8000), Alertmanager on its
 * alerting target (9093), the receiver on the port of alertmanager.yml's webhooks (9095), and
 * Prometheus on 9090 (what deploy/grafana's datasource points at; PROMETHEUS_PORT overrides).
 * State lives under .stack/ (Prometheus TSDB, Alertmanager silences, service logs, the event
 * socket), kept between runs; delete the directory to start afresh.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { nodeFlagsFor, serviceEnvFor } from '../shared/node-flags.js';
import { REPO_ROOT } from '../shared/paths.js';
import { spawnNode, waitForReady } from './lib/service-process.js';
import { startAlertmanager, startPrometheus, waitForTargetsUp, type ManagedProcess } from '../deploy/prometheus/launch.js';
import { startWebhookReceiver, type WebhookNotification } from '../deploy/alertmanager/webhook-receiver.js';

const STACK_DIR = join(REPO_ROOT, '.stack');
const PROMETHEUS_CONFIG = join(REPO_ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const ALERTMANAGER_CONFIG = join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
const READY_TIMEOUT_MS = 60_000;

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

function hostPort(address: string): { host: string; port: number } {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port) };
}

/** Addresses the committed configuration expects. */
function addressesFromConfig(): { inference: number; exporter: number; alertmanager: number; webhook: number } {
  const prom = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  };
  const target = (job: string): number => {
    const t = prom.scrape_configs.find((s) => s.job_name === job)?.static_configs[0]?.targets[0];
    if (!t) throw new Error(`${PROMETHEUS_CONFIG}: no static target for job ${job}`);
    return hostPort(t).port;
  };
  const am = (parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as { receivers: { webhook_configs?: { url: string }[] }[] }).receivers;
  const webhookPorts = new Set(am.flatMap((r) => r.webhook_configs ?? []).map((w) => Number(new URL(w.url).port)));
  if (webhookPorts.size !== 1) throw new Error(`${ALERTMANAGER_CONFIG}: the webhooks should share one loopback port`);
  return {
    inference: target('spam-detector-inference'),
    exporter: target('spam-detector-exporter'),
    alertmanager: hostPort(prom.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!).port,
    webhook: [...webhookPorts][0]!,
  };
}

/** Starts a compiled service with its log in .stack/logs/<name>.log; resolves on its ready line. */
async function startService(name: string, script: string, env: Record<string, string>): Promise<Stoppable & { child: ChildProcess; url: string }> {
  const logFile = join(STACK_DIR, 'logs', `${name}.log`);
  const p = spawnNode({ script, execArgv: nodeFlagsFor(script), env: serviceEnvFor(script, { ...process.env, ...env }), stderr: openSync(logFile, 'a'), killOnExit: false });
  p.onStdoutLine((line) => appendFileSync(logFile, `${line}\n`));
  const { url } = await waitForReady(p, { name, timeoutMs: READY_TIMEOUT_MS, details: () => `see ${logFile}` });
  return { name, child: p.child, url, stop: async () => void (await p.stop('SIGTERM', 15_000)) };
}

function printNotification(n: WebhookNotification): void {
  for (const a of n.body.alerts ?? []) {
    const when = new Date().toISOString().slice(11, 19);
    console.log(`${when} ${n.path} ${a.status.toUpperCase()} ${a.labels.alertname} [${a.labels.severity ?? '-'}] ${a.annotations.summary ?? ''} ${a.annotations.runbook_url ?? ''}`);
  }
}

async function main(): Promise<void> {
  for (const d of ['logs', 'prometheus', 'alertmanager', 'run']) mkdirSync(join(STACK_DIR, d), { recursive: true });
  const ports = addressesFromConfig();
  const prometheusPort = Number(process.env.PROMETHEUS_PORT ?? 9090);
  const started: Stoppable[] = [];
  let stopping = false;

  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('stopping...');
    for (const p of [...started].reverse()) {
      await p.stop().catch((err: unknown) => console.error(`${p.name}: ${String(err)}`));
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const webhook = await startWebhookReceiver({ port: ports.webhook, onNotification: printNotification });
    started.push({ name: 'webhook', stop: () => webhook.close() });

    const serviceEnv = { HOST: '127.0.0.1', EVENTS_SOCKET: join(STACK_DIR, 'run', 'events.sock') };
    const exporter = await startService('exporter', 'dist/services/exporter/src/main.js', { ...serviceEnv, EXPORTER_PORT: String(ports.exporter) });
    started.push(exporter);
    const inference = await startService('inference', 'dist/services/inference/src/main.js', { ...serviceEnv, INFERENCE_PORT: String(ports.inference) });
    started.push(inference);
    for (const s of [exporter, inference]) {
      s.child.once('exit', (code) => {
        if (!stopping) {
          console.error(`${s.name} exited unexpectedly (code ${code}); see .stack/logs/${s.name}.log`);
          void stopAll(1);
        }
      });
    }

    const alertmanager: ManagedProcess = await startAlertmanager({
      configFile: ALERTMANAGER_CONFIG,
      dataDir: join(STACK_DIR, 'alertmanager'),
      port: ports.alertmanager,
    });
    started.push(alertmanager);
    const prometheus: ManagedProcess = await startPrometheus({
      configFile: PROMETHEUS_CONFIG,
      dataDir: join(STACK_DIR, 'prometheus'),
      port: prometheusPort,
    });
    started.push(prometheus);
    for (const p of [alertmanager, prometheus]) {
      void p.exited.then((code) => {
        if (!stopping) {
          console.error(`${p.name} exited unexpectedly (code ${code}):\n${p.logTail()}`);
          void stopAll(1);
        }
      });
    }
    await waitForTargetsUp(prometheus.url, ['spam-detector-inference', 'spam-detector-exporter']);

    console.log(
      [
        'spam-detector monitoring stack is up (Ctrl-C stops everything):',
        `  inference     ${inference.url}   (POST /predict, /feedback; GET /metrics)`,
        `  exporter      ${exporter.url}   (GET /metrics)`,
        `  prometheus    ${prometheus.url}/classic/graph   (rules: /classic/rules, alerts: /classic/alerts)`,
        `  alertmanager  ${alertmanager.url}   (API: /api/v2/alerts)`,
        `  webhook       ${webhook.url}/alerts/<severity>   (notifications are printed below)`,
        '  Grafana: point deploy/grafana/provisioning at this Prometheus (docs/monitoring.md).',
        '  Traffic: npm run traffic -- --help',
        `  State and logs: ${STACK_DIR}`,
      ].join('\n'),
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await stopAll(1);
  }
}

void main();
