/**
 * The services' V8 flags (shared/node-flags.ts) reach them from every launcher: the files that
 * cannot import the list spell exactly it, and the cluster primary gives it to its workers even
 * when it was started without it. Memory figures themselves are the bench's business, never
 * asserted here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { missingNodeFlags, NODE_FLAGS, nodeFlagsFor } from '../../shared/node-flags.js';
import { REPO_ROOT, spawnService } from '../helpers/spawn.js';
import { scratchDir } from '../helpers/channel.js';

const read = (p: string): string => readFileSync(join(REPO_ROOT, p), 'utf8');
const SERVICES = ['inference', 'exporter'] as const;
const mainOf = (s: string): string => `dist/services/${s}/src/main.js`;
/** The words between `node` and the service's script in a command line. */
function flagsBefore(command: string, script: string): string[] {
  const words = command.trim().split(/\s+/);
  const end = words.findIndex((w) => w.endsWith(script));
  const start = words.findIndex((w) => /(^|\/)node$/.test(w));
  return end > start && start >= 0 ? words.slice(start + 1, end) : ['<no node ... script command>'];
}

t.test('the list and its helpers', async (t) => {
  for (const s of SERVICES) t.ok(NODE_FLAGS[s].length > 0, `${s} has flags`);
  t.same(nodeFlagsFor(join(REPO_ROOT, mainOf('inference'))), NODE_FLAGS.inference);
  t.same(nodeFlagsFor('/opt/x/dist/services/exporter/src/main.js'), NODE_FLAGS.exporter);
  t.same(nodeFlagsFor('dist/bench/bare-server.js'), []);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], [], ''), ['--max-semi-space-size=4']);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], ['--max-semi-space-size=4'], ''), []);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], [], '--max_semi_space_size=8'), [], 'an operator value in NODE_OPTIONS counts as given');
});

t.test('this Node accepts every flag (a Node upgrade that drops a V8 flag fails here, not at a deploy)', async (t) => {
  for (const s of SERVICES) {
    const r = spawnSync(process.execPath, [...NODE_FLAGS[s], '-e', '0'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    t.equal(r.status, 0, `node ${NODE_FLAGS[s].join(' ')}: ${r.stderr.trim() || 'ok'}`);
  }
});

t.test('launchers that cannot import the list spell it exactly', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  for (const s of SERVICES) {
    t.same(flagsBefore(pkg.scripts[`start:${s}`]!, mainOf(s)), NODE_FLAGS[s], `npm run start:${s}`);
  }
  const units: [string, (typeof SERVICES)[number]][] = [
    ['spam-detector-inference.service', 'inference'],
    ['spam-detector-inference@.service', 'inference'],
    ['spam-detector-exporter.service', 'exporter'],
  ];
  for (const [unit, s] of units) {
    const exec = read(`deploy/systemd/${unit}`).split('\n').find((l) => l.startsWith('ExecStart='));
    t.same(flagsBefore(exec ?? '', mainOf(s)), NODE_FLAGS[s], `systemd ${unit}`);
  }
  const eco = createRequire(import.meta.url)(join(REPO_ROOT, 'deploy/pm2/ecosystem.config.cjs')) as { apps: { name: string; node_args?: string[] }[] };
  for (const s of SERVICES) t.same(eco.apps.find((a) => a.name === `spam-detector-${s}`)?.node_args, NODE_FLAGS[s], `pm2 spam-detector-${s} node_args`);

  const commands: { name: string; command?: string[] }[] = [];
  for (const doc of parseAllDocuments(read('deploy/kubernetes/deployment.yaml'))) {
    const spec = (doc.toJS() as { spec?: { template?: { spec?: { containers?: []; initContainers?: [] } } } })?.spec?.template?.spec;
    commands.push(...(spec?.containers ?? []), ...(spec?.initContainers ?? []));
  }
  for (const s of SERVICES) {
    const c = commands.find((x) => x.command?.some((w) => w.endsWith(mainOf(s))));
    t.same(flagsBefore((c?.command ?? []).join(' '), mainOf(s)), NODE_FLAGS[s], `kubernetes container running the ${s}`);
  }
  const cmd = /^CMD (\[.*\])$/m.exec(read('deploy/kubernetes/Dockerfile'))?.[1];
  t.same(flagsBefore((JSON.parse(cmd ?? '[]') as string[]).join(' '), mainOf('inference')), NODE_FLAGS.inference, 'Dockerfile CMD');
});

t.test('a cluster primary started without the flags forks its workers with them', async (t) => {
  const dir = scratchDir('node-flags-');
  const svc = await spawnService(mainOf('inference'), {
    env: { INFERENCE_PORT: '0', HOST: '127.0.0.1', WORKERS: '2', EVENTS_SOCKET: join(dir, 'events.sock'), LOG_LEVEL: 'info', NODE_OPTIONS: undefined },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => svc.stop());
  const children = readFileSync(`/proc/${svc.pid}/task/${svc.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  t.equal(children.length, 2, 'two workers');
  for (const pid of children) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    t.same(missingNodeFlags(NODE_FLAGS.inference, argv, ''), [], `worker ${pid}: ${argv.filter((a) => a.startsWith('--')).join(' ')}`);
  }
  t.notOk(svc.records().some((r) => r.msg === 'started without the V8 flags the launchers give (more memory per worker; docs/operations.md)'), 'no worker warns');
});

t.test('a service started without them says so', async (t) => {
  const dir = scratchDir('node-flags-bare-');
  const svc = await spawnService(mainOf('exporter'), {
    env: { EXPORTER_PORT: '0', HOST: '127.0.0.1', EVENTS_SOCKET: join(dir, 'events.sock'), LOG_LEVEL: 'info', NODE_OPTIONS: undefined },
  });
  t.teardown(() => svc.stop());
  const warn = svc.records().find((r) => r.level === 40 && String(r.msg).startsWith('started without the V8 flags'));
  t.same(warn?.missing, NODE_FLAGS.exporter, 'a warning names the missing flags');
});
