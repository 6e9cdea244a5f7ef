/**
 * The services' V8 flags and environment (shared/node-flags.ts) reach them from every launcher: the
 * files that cannot import them spell exactly them, and the cluster primary gives them to its
 * workers even when it was started without them. Memory figures themselves are the bench's business, never
 * asserted here.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { missingNodeFlags, missingServiceEnv, NODE_FLAGS, nodeFlagsFor, SERVICE_ENV, SERVICE_ENV_WARNING, serviceEnvFor, withServiceEnv } from '../../shared/node-flags.js';
import { environment, parseUnitFile } from '../helpers/ops-unit-file.js';
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
/**
 * The NAME=value words right before `node` in a shell command, as sh gives them to node when the
 * caller's environment lacks them (`NAME=${NAME-v}` gives v).
 */
function envBefore(command: string): Record<string, string> {
  const words = command.trim().split(/\s+/);
  const start = words.findIndex((w) => /(^|\/)node$/.test(w));
  const env: Record<string, string> = {};
  for (let i = start - 1; i >= 0; i--) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(words[i]!);
    if (!m) break;
    const fallback = new RegExp(`^\\$\\{${m[1]}-(.*)\\}$`).exec(m[2]!);
    env[m[1]!] = fallback ? fallback[1]! : m[2]!;
  }
  return env;
}
/** SERVICE_ENV's names with their values in `env`. */
const serviceEnvIn = (env: Record<string, string | undefined> | undefined): Record<string, string | undefined> =>
  Object.fromEntries(Object.keys(SERVICE_ENV).map((k) => [k, env?.[k]]));

t.test('the list and its helpers', async (t) => {
  for (const s of SERVICES) t.ok(NODE_FLAGS[s].length > 0, `${s} has flags`);
  t.same(nodeFlagsFor(join(REPO_ROOT, mainOf('inference'))), NODE_FLAGS.inference);
  t.same(nodeFlagsFor('/opt/x/dist/services/exporter/src/main.js'), NODE_FLAGS.exporter);
  t.same(nodeFlagsFor('dist/bench/bare-server.js'), []);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], [], ''), ['--max-semi-space-size=4']);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], ['--max-semi-space-size=4'], ''), []);
  t.same(missingNodeFlags(['--max-semi-space-size=4'], [], '--max_semi_space_size=8'), [], 'an operator value in NODE_OPTIONS counts as given');

  t.same(SERVICE_ENV, { MALLOC_ARENA_MAX: '2' });
  t.same(missingServiceEnv({}), ['MALLOC_ARENA_MAX']);
  t.same(missingServiceEnv({ MALLOC_ARENA_MAX: '2' }), []);
  t.same(missingServiceEnv({ MALLOC_ARENA_MAX: '4' }), [], "an operator's other value counts as given");
  t.same(withServiceEnv({ A: 'b' }), { A: 'b', MALLOC_ARENA_MAX: '2' });
  t.same(withServiceEnv({ MALLOC_ARENA_MAX: '1' }), { MALLOC_ARENA_MAX: '1' }, "an operator's value is kept");
  t.same(serviceEnvFor(mainOf('exporter'), { A: 'b' }), { A: 'b', MALLOC_ARENA_MAX: '2' });
  t.same(serviceEnvFor('dist/bench/bare-server.js', { A: 'b' }), { A: 'b' }, 'other scripts get their env as is');
  // What glibc read: a value put into process.env after start (as pm2 does for its cluster instances) is not there.
  const late = spawnSync(process.execPath, ['--input-type=module', '-e', `process.env.MALLOC_ARENA_MAX = '2'; const m = await import(${JSON.stringify(join(REPO_ROOT, 'dist/shared/node-flags.js'))}); console.log(JSON.stringify([m.missingServiceEnv(), m.missingServiceEnv(m.startEnvironment())]))`], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in SERVICE_ENV))),
  });
  t.same(JSON.parse(late.stdout || 'null'), [[], ['MALLOC_ARENA_MAX']], `process.env has it, the start environment does not ${late.stderr}`);
  t.same(envBefore('npm run build && MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX-2} X=1 node a.js'), { MALLOC_ARENA_MAX: '2', X: '1' });
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
    t.same(serviceEnvIn(envBefore(pkg.scripts[`start:${s}`]!)), SERVICE_ENV, `npm run start:${s}: environment`);
  }
  const units: [string, (typeof SERVICES)[number]][] = [
    ['spam-detector-inference.service', 'inference'],
    ['spam-detector-inference@.service', 'inference'],
    ['spam-detector-exporter.service', 'exporter'],
  ];
  for (const [unit, s] of units) {
    const text = read(`deploy/systemd/${unit}`);
    const exec = text.split('\n').find((l) => l.startsWith('ExecStart='));
    t.same(flagsBefore(exec ?? '', mainOf(s)), NODE_FLAGS[s], `systemd ${unit}`);
    t.same(serviceEnvIn(environment(parseUnitFile(text))), SERVICE_ENV, `systemd ${unit} Environment=`);
  }
  // The ecosystem passes the `pm2 start` shell's own values through: read it from a shell without them.
  const shellValues = serviceEnvIn(process.env);
  for (const k of Object.keys(SERVICE_ENV)) delete process.env[k];
  let eco: { apps: { name: string; node_args?: string[]; env?: Record<string, string> }[] };
  try {
    eco = createRequire(import.meta.url)(join(REPO_ROOT, 'deploy/pm2/ecosystem.config.cjs')) as typeof eco;
  } finally {
    for (const [k, v] of Object.entries(shellValues)) if (v !== undefined) process.env[k] = v;
  }
  for (const s of SERVICES) {
    const app = eco.apps.find((a) => a.name === `spam-detector-${s}`);
    t.same(app?.node_args, NODE_FLAGS[s], `pm2 spam-detector-${s} node_args`);
    t.same(serviceEnvIn(app?.env), SERVICE_ENV, `pm2 spam-detector-${s} env`);
  }

  const commands: { name: string; command?: string[]; env?: { name: string; value?: string }[] }[] = [];
  for (const doc of parseAllDocuments(read('deploy/kubernetes/deployment.yaml'))) {
    const spec = (doc.toJS() as { spec?: { template?: { spec?: { containers?: []; initContainers?: [] } } } })?.spec?.template?.spec;
    commands.push(...(spec?.containers ?? []), ...(spec?.initContainers ?? []));
  }
  for (const s of SERVICES) {
    const c = commands.find((x) => x.command?.some((w) => w.endsWith(mainOf(s))));
    t.same(flagsBefore((c?.command ?? []).join(' '), mainOf(s)), NODE_FLAGS[s], `kubernetes container running the ${s}`);
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
    t.same(serviceEnvIn(env), SERVICE_ENV, `kubernetes container running the ${s}: env`);
  }
  const dockerfile = read('deploy/kubernetes/Dockerfile');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  t.same(flagsBefore((JSON.parse(cmd ?? '[]') as string[]).join(' '), mainOf('inference')), NODE_FLAGS.inference, 'Dockerfile CMD');
  // The final stage's ENV lines (one NAME=value each).
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const imageEnv = Object.fromEntries([...finalStage.matchAll(/^ENV ([A-Z_][A-Z0-9_]*)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  t.same(serviceEnvIn(imageEnv), SERVICE_ENV, 'Dockerfile ENV');
});

t.test('a cluster primary started without the flags forks its workers with them', async (t) => {
  const dir = scratchDir('node-flags-');
  const svc = await spawnService(mainOf('inference'), {
    env: { INFERENCE_PORT: '0', HOST: '127.0.0.1', WORKERS: '2', EVENTS_SOCKET: join(dir, 'events.sock'), LOG_LEVEL: 'info', NODE_OPTIONS: undefined, MALLOC_ARENA_MAX: undefined },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => svc.stop());
  const children = readFileSync(`/proc/${svc.pid}/task/${svc.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  t.equal(children.length, 2, 'two workers');
  for (const pid of children) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    t.same(missingNodeFlags(NODE_FLAGS.inference, argv, ''), [], `worker ${pid}: ${argv.filter((a) => a.startsWith('--')).join(' ')}`);
    const environ = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    t.same(serviceEnvIn(environ), SERVICE_ENV, `worker ${pid}: environment`);
  }
  t.notOk(svc.records().some((r) => r.msg === 'started without the V8 flags the launchers give (more memory per worker; docs/operations.md)'), 'no worker warns');
  t.notOk(svc.records().some((r) => r.msg === SERVICE_ENV_WARNING), 'no worker warns about its environment');
});

t.test('a service started without them says so', async (t) => {
  const dir = scratchDir('node-flags-bare-');
  const svc = await spawnService(mainOf('exporter'), {
    env: { EXPORTER_PORT: '0', HOST: '127.0.0.1', EVENTS_SOCKET: join(dir, 'events.sock'), LOG_LEVEL: 'info', NODE_OPTIONS: undefined, MALLOC_ARENA_MAX: undefined },
  });
  t.teardown(() => svc.stop());
  const warn = svc.records().find((r) => r.level === 40 && String(r.msg).startsWith('started without the V8 flags'));
  t.same(warn?.missing, NODE_FLAGS.exporter, 'a warning names the missing flags');
  const envWarn = svc.records().find((r) => r.level === 40 && r.msg === SERVICE_ENV_WARNING);
  t.same(envWarn?.missing, Object.keys(SERVICE_ENV), 'a warning names the missing environment');
});
