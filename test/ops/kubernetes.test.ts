/**
 * deploy/kubernetes: every manifest validates against its schema (core resources and the
 * Prometheus Operator CRDs), the PrometheusRule is exactly what scripts/gen-k8s-rules.ts makes from
 * the rule files (so it cannot go stale), and the resources agree with each other and with the
 * host-side Prometheus configuration. Also checks the deploy/prometheus variants with promtool.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../helpers/spawn.js';
import { readManifests, validateManifest, type Manifest } from '../helpers/ops-k8s-validate.js';
import { readInferenceConfig } from '../../services/inference/src/config.js';
import { readExporterConfig } from '../../services/exporter/src/config.js';
import { OUTPUT, PROMETHEUS_CONFIG, renderPrometheusRule, ruleFiles } from '../../scripts/gen-k8s-rules.js';

const K8S_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');
const PROM_DIR = join(REPO_ROOT, 'deploy', 'prometheus');
// The contract (SIGTERM stops the services within 10 s) and each service's default drain.
const SHUTDOWN_GRACE_S = Math.max(10, readInferenceConfig({}).shutdownGraceMs / 1000, readExporterConfig({}).shutdownGraceMs / 1000);

const manifestFiles = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const all: { file: string; m: Manifest }[] = manifestFiles.flatMap((file) => readManifests(join(K8S_DIR, file)).map((m) => ({ file, m })));
const find = (kind: string): Manifest => {
  const hit = all.find(({ m }) => m.kind === kind);
  if (!hit) throw new Error(`no ${kind} in deploy/kubernetes`);
  return hit.m;
};

// Loose views of the parts the cross-checks read.
interface Container {
  name: string;
  restartPolicy?: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; emptyDir?: unknown }[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsUser?: number };
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

t.test('every manifest validates against its schema', async (t) => {
  t.ok(all.length >= 5, `found ${all.length} resources in ${manifestFiles.join(', ')}`);
  for (const { file, m } of all) {
    await t.resolves(validateManifest(m), `${file}: ${m.apiVersion} ${m.kind} ${m.metadata?.name ?? ''}`);
  }
});

t.test('the validator rejects broken manifests (it is not vacuous)', async (t) => {
  const deployment = structuredClone(find('Deployment')) as Manifest & { spec: { template: { spec: PodSpec } } };
  deployment.spec.template.spec.containers[0]!.ports = [{ name: 'http', containerPort: 'five thousand' as unknown as number }];
  await t.rejects(validateManifest(deployment), /containerPort must be integer/);
  const podMonitor = structuredClone(find('PodMonitor')) as Manifest & { spec: { podMetricsEndpoints: { interval?: string }[] } };
  podMonitor.spec.podMetricsEndpoints[0]!.interval = 'fifteen seconds';
  await t.rejects(validateManifest(podMonitor), /interval must match pattern/);
  const rule = structuredClone(find('PrometheusRule')) as Manifest & { spec: { groups: unknown } };
  rule.spec.groups = 'not a list';
  await t.rejects(validateManifest(rule), /groups must be array/);
});

t.test('prometheusrule.yaml is generated from the rule files and up to date', async (t) => {
  t.equal(readFileSync(OUTPUT, 'utf8'), renderPrometheusRule(), 'committed file equals a fresh generation (run npm run generate)');
  const generated = find('PrometheusRule') as Manifest & { spec: { groups: unknown[] } };
  const sourceGroups = ruleFiles().flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: unknown[] }).groups);
  t.same(generated.spec.groups, sourceGroups, 'same groups, rules, labels and annotations as the source files');
  if (has('promtool')) {
    const dir = mkdtempSync(join(tmpdir(), 'ops-k8s-rules-'));
    try {
      const file = join(dir, 'from-prometheusrule.yml');
      writeFileSync(file, stringify({ groups: generated.spec.groups }));
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
      t.equal(r.status, 0, `promtool check rules accepts the PrometheusRule's groups\n${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    t.fail('promtool missing: install Debian\'s prometheus package (.ci/run does)');
  }
});

t.test('the resources agree with each other and with the host configuration', async (t) => {
  const deployment = find('Deployment') as Manifest & {
    spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  };
  const pod = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  t.ok(matches(deployment.spec.selector.matchLabels), 'Deployment selector matches its pod template');
  const service = find('Service') as Manifest & { spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } };
  t.ok(matches(service.spec.selector), 'Service selects the pods');
  const pdb = find('PodDisruptionBudget') as Manifest & { spec: { selector: { matchLabels: Record<string, string> } } };
  t.ok(matches(pdb.spec.selector.matchLabels), 'PodDisruptionBudget selects the pods');
  const podMonitor = find('PodMonitor') as Manifest & {
    spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; relabelings?: { targetLabel?: string; replacement?: string }[] }[] };
  };
  t.ok(matches(podMonitor.spec.selector.matchLabels), 'PodMonitor selects the pods');

  const containers = [...pod.containers, ...(pod.initContainers ?? [])];
  const inference = containers.find((c) => c.name === 'inference');
  const exporter = containers.find((c) => c.name === 'exporter');
  if (!inference || !exporter) throw new Error('the pod needs an inference and an exporter container');
  t.equal(exporter.restartPolicy, 'Always', 'exporter is a native sidecar (starts first, stops last)');
  const portNames = new Set(containers.flatMap((c) => c.ports ?? []).map((p) => p.name));
  for (const p of service.spec.ports) t.ok(portNames.has(String(p.targetPort)), `Service targetPort ${p.targetPort} is a container port`);
  const jobs = podMonitor.spec.podMetricsEndpoints.map((e) => {
    t.ok(portNames.has(e.port), `PodMonitor port ${e.port} is a container port`);
    return e.relabelings?.find((r) => r.targetLabel === 'job')?.replacement;
  });
  const hostJobs = (parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((s) => s.job_name);
  t.same([...jobs].sort(), [...hostJobs].sort(), 'PodMonitor job labels are the job names the rules expect (prometheus.yml)');

  // The channel: one socket path, inside one shared in-memory emptyDir mounted by both.
  const envOf = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;
  const socket = envOf(inference, 'EVENTS_SOCKET');
  t.ok(socket, 'inference has EVENTS_SOCKET');
  t.equal(envOf(exporter, 'EVENTS_SOCKET'), socket, 'both containers use the same EVENTS_SOCKET');
  const mountOf = (c: Container): { name: string; mountPath: string } | undefined => c.volumeMounts?.find((v) => socket?.startsWith(`${v.mountPath}/`));
  const im = mountOf(inference);
  const em = mountOf(exporter);
  t.ok(im && em && im.name === em.name, 'the socket lives in a volume both containers mount');
  t.ok(pod.volumes?.find((v) => v.name === im?.name)?.emptyDir !== undefined, 'that volume is an emptyDir');
  t.equal(envOf(inference, 'WORKERS'), '1', 'one worker per pod (Kubernetes scales pods)');

  const preStop = inference.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  t.ok(grace > SHUTDOWN_GRACE_S + preStop, `terminationGracePeriodSeconds ${grace} > shutdown grace ${SHUTDOWN_GRACE_S} + preStop ${preStop}`);

  const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  t.same([...kustomization.resources].sort(), manifestFiles, 'kustomization.yaml lists every manifest');
});

t.test('deploy/prometheus variants pass promtool and keep the host config\'s rules and jobs', async (t) => {
  if (!has('promtool')) {
    t.fail('promtool missing: install Debian\'s prometheus package (.ci/run does)');
    return;
  }
  const variants = readdirSync(PROM_DIR).filter((f) => /^prometheus-.+\.yml$/.test(f));
  t.ok(variants.includes('prometheus-file-sd.yml'), 'file_sd variant shipped');
  for (const v of variants) {
    const r = spawnSync('promtool', ['check', 'config', v], { cwd: PROM_DIR, encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, `promtool check config ${v}\n${r.stdout}${r.stderr}`);
  }
  type Config = { rule_files?: string[]; scrape_configs: { job_name: string; metrics_path?: string }[] };
  const base = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as Config;
  const fileSd = parse(readFileSync(join(PROM_DIR, 'prometheus-file-sd.yml'), 'utf8')) as Config;
  t.same(fileSd.rule_files, base.rule_files, 'file_sd variant loads the same rule files');
  t.same(
    fileSd.scrape_configs.map((s) => [s.job_name, s.metrics_path ?? '/metrics']),
    base.scrape_configs.map((s) => [s.job_name, s.metrics_path ?? '/metrics']),
    'file_sd variant scrapes the same jobs on the same paths',
  );
  // The example target files parse as file_sd target groups.
  for (const job of base.scrape_configs.map((s) => s.job_name)) {
    const dir = join(PROM_DIR, 'file_sd', job);
    const examples = readdirSync(dir).filter((f) => f.endsWith('.example'));
    t.ok(examples.length > 0, `${job}: an example targets file`);
    for (const e of examples) {
      const groups = parse(readFileSync(join(dir, e), 'utf8')) as { targets: string[] }[];
      t.ok(Array.isArray(groups) && groups.every((g) => g.targets.every((x) => /^[^:]+:\d+$/.test(x))), `${job}/${e}: target groups of host:port`);
    }
  }
});
