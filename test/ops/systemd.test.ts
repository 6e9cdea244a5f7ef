/**
 * The systemd units: syntax and references checked by systemd's own `systemd-analyze verify`
 * (which exits 0 on unknown keys, so any diagnostic line fails the test; a deliberately broken copy
 * proves the check can fail), exposure scored by `systemd-analyze security --offline`, the values
 * the units must agree on, and install.sh laying the files out under a temporary root.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/spawn.js';
import { environment, readUnitFile, timeSpanSeconds, value, values } from '../helpers/ops-unit-file.js';
import { readInferenceConfig } from '../../services/inference/src/config.js';
import { readExporterConfig } from '../../services/exporter/src/config.js';

const UNIT_DIR = join(REPO_ROOT, 'deploy', 'systemd');
const EXPORTER = 'spam-detector-exporter.service';
const INFERENCE = 'spam-detector-inference.service';
const TEMPLATE = 'spam-detector-inference@.service';
const TARGET = 'spam-detector.target';
const SERVICES = [EXPORTER, INFERENCE, TEMPLATE];
/** The longest of: the contract (SIGINT/SIGTERM stop both within 10 s) and each service's default drain. */
const SHUTDOWN_GRACE_S = Math.max(10, readInferenceConfig({}).shutdownGraceMs / 1000, readExporterConfig({}).shutdownGraceMs / 1000);
/** "OK" in systemd-analyze security's scale starts below 5; these units are meant to stay far below. */
const MAX_EXPOSURE = 2.5;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

if (!have('systemd-analyze')) {
  t.fail('systemd-analyze is missing: install Debian\'s systemd package (.ci/run does)');
  t.end();
} else {
  const work = mkdtempSync(join(tmpdir(), 'ops-systemd-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  /** Copies the units into a fresh directory (verify searches the directories of its arguments first). */
  function unitCopy(name: string, edit?: (name: string, text: string) => string): string {
    const dir = mkdtempSync(join(work, `${name}-`));
    for (const unit of [...SERVICES, TARGET]) {
      const text = readFileSync(join(UNIT_DIR, unit), 'utf8');
      writeFileSync(join(dir, unit), edit ? edit(unit, text) : text);
    }
    return dir;
  }

  function verify(dir: string, args: string[]): { status: number | null; output: string } {
    // --man=no: Documentation= points at the installed docs, not at man pages to look up.
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  // The template is checked both as a template and as a real instance (%i expanded).
  const verifyArgs = [TARGET, EXPORTER, INFERENCE, TEMPLATE, `${TEMPLATE}:spam-detector-inference@5001.service`];

  t.test('systemd-analyze verify finds nothing to say about the units', async (t) => {
    const r = verify(unitCopy('clean'), verifyArgs);
    t.equal(r.output, '', 'no diagnostics');
    t.equal(r.status, 0, 'exit status 0');
  });

  t.test('the same check reports a broken copy (it is not vacuous)', async (t) => {
    const dir = unitCopy('broken', (name, text) =>
      name === EXPORTER ? text.replace('[Service]\n', '[Service]\nRestartt=always\n').replace('ProtectSystem=strict', 'ProtectSystem=strictly') : text,
    );
    const r = verify(dir, verifyArgs);
    t.match(r.output, /Unknown key 'Restartt'/, 'unknown key reported');
    t.match(r.output, /ProtectSystem|protect system/i, 'bad value reported');
    const missing = verify(unitCopy('missing-binary', (name, text) => (name === INFERENCE ? text.replace('/usr/bin/node ', '/usr/bin/no-such-node ') : text)), [INFERENCE]);
    t.not(missing.status, 0, 'a missing ExecStart binary fails verify');
  });

  t.test('systemd-analyze security --offline scores every service low', async (t) => {
    const dir = unitCopy('security');
    for (const unit of SERVICES) {
      const args = ['security', '--offline=true', '--no-pager', join(dir, unit)];
      const r = spawnSync('systemd-analyze', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(`${r.stdout}${r.stderr}`);
      t.ok(m, `${unit}: exposure printed`);
      if (m) t.ok(Number(m[1]) <= MAX_EXPOSURE, `${unit}: exposure ${m[1]} <= ${MAX_EXPOSURE}`);
    }
  });

  t.test('the units agree on user, channel, restart and stop timeouts', async (t) => {
    const units = Object.fromEntries(SERVICES.map((u) => [u, readUnitFile(join(UNIT_DIR, u))]));
    const exporter = units[EXPORTER]!;
    const runtimeDir = value(exporter, 'Service', 'RuntimeDirectory');
    t.equal(runtimeDir, 'spam-detector', 'the exporter (listening side) owns the runtime directory');
    t.equal(value(exporter, 'Service', 'RuntimeDirectoryMode'), '0750', 'the socket directory is private to the service user/group');
    t.equal(value(exporter, 'Service', 'RuntimeDirectoryPreserve'), 'restart', 'the directory survives restarts, goes on stop');

    for (const [name, unit] of Object.entries(units)) {
      t.equal(value(unit, 'Service', 'User'), 'spam-detector', `${name}: the shared system user`);
      t.equal(environment(unit).EVENTS_SOCKET, `%t/${runtimeDir}/events.sock`, `${name}: EVENTS_SOCKET inside the exporter's RuntimeDirectory`);
      t.equal(value(unit, 'Service', 'Restart'), 'on-failure', `${name}: Restart=on-failure`);
      const stop = timeSpanSeconds(value(unit, 'Service', 'TimeoutStopSec') ?? '90s');
      t.ok(stop > SHUTDOWN_GRACE_S, `${name}: TimeoutStopSec ${stop}s above the ${SHUTDOWN_GRACE_S}s shutdown grace`);
      for (const [key, expected] of [
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'strict'],
        ['ProtectHome', 'yes'],
        ['PrivateTmp', 'yes'],
        ['CapabilityBoundingSet', ''],
      ] as const) {
        t.equal(value(unit, 'Service', key), expected, `${name}: ${key}=${expected}`);
      }
      t.equal(values(unit, 'Service', 'ReadWritePaths').length, 0, `${name}: no ReadWritePaths (the runtime directory is writable by itself)`);
      t.equal(value(unit, 'Install', 'WantedBy'), 'spam-detector.target', `${name}: part of the target`);
      const exec = value(unit, 'Service', 'ExecStart') ?? '';
      t.match(exec, /\/usr\/bin\/node (--[a-z-]+=\S+ )*\/opt\/spam-detector\/current\/dist\/services\/(inference|exporter)\/src\/main\.js$/, `${name}: runs the current release with /usr/bin/node`);
    }
    t.equal(value(units[INFERENCE]!, 'Service', 'KillMode'), 'mixed', 'cluster unit: SIGTERM to the primary, which drains its workers');
    t.match(value(units[TEMPLATE]!, 'Service', 'ExecStart') ?? '', /INFERENCE_PORT=%i WORKER_ID=%i WORKERS=1 /, 'template instance: port and worker slot from the instance name');
  });

  t.test('install.sh lays the release, user and units out under a root', async (t) => {
    const dist = ['inference', 'exporter'].map((s) => join(REPO_ROOT, 'dist', 'services', s, 'src', 'main.js'));
    if (!dist.every((p) => existsSync(p))) {
      t.fail('dist/ has no compiled services: build first (npm test runs the build)');
      return;
    }
    const root = mkdtempSync(join(work, 'root-'));
    const r = spawnSync('bash', [join(UNIT_DIR, 'install.sh'), '--root', root, '--deps', 'skip', '--release', 'test-release'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    t.equal(r.status, 0, `install.sh exits 0\n${r.stdout}${r.stderr}`);
    const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
    t.match(passwd, /^spam-detector:x:\d+:\d+:[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m, 'system user created by systemd-sysusers');
    const current = join(root, 'opt', 'spam-detector', 'current');
    t.ok(lstatSync(current).isSymbolicLink(), 'current is a symlink');
    t.equal(readlinkSync(current), 'releases/test-release', 'current points at the release (relative, so the tree can move)');
    for (const unit of [...SERVICES, TARGET]) {
      t.ok(existsSync(join(root, 'etc', 'systemd', 'system', unit)), `${unit} installed`);
      if (unit === TARGET) continue;
      const exec = value(readUnitFile(join(root, 'etc', 'systemd', 'system', unit)), 'Service', 'ExecStart') ?? '';
      const script = exec.split(/\s+/).find((w) => w.endsWith('.js'))!;
      t.ok(existsSync(join(root, script)), `${unit}: ExecStart script ${script} exists in the installed tree`);
    }
    t.ok(existsSync(join(root, 'etc', 'spam-detector', 'spam-detector.env')), 'environment file installed');

    // A second run (an upgrade) keeps the operator's edited environment file.
    writeFileSync(join(root, 'etc', 'spam-detector', 'spam-detector.env'), 'WORKERS=7\n');
    const again = spawnSync('bash', [join(UNIT_DIR, 'install.sh'), '--root', root, '--deps', 'skip', '--release', 'test-release-2'], { encoding: 'utf8', timeout: 120_000 });
    t.equal(again.status, 0, 'second install exits 0');
    t.equal(readFileSync(join(root, 'etc', 'spam-detector', 'spam-detector.env'), 'utf8'), 'WORKERS=7\n', 'edited environment file kept');
    t.equal(readlinkSync(current), 'releases/test-release-2', 'current flipped to the new release');
    t.ok(existsSync(join(root, 'opt', 'spam-detector', 'releases', 'test-release')), 'the previous release stays for rollback');
  });

  t.test('the shipped environment file only sets contract variables', async (t) => {
    const text = readFileSync(join(UNIT_DIR, 'spam-detector.env'), 'utf8');
    const keys = text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.slice(0, l.indexOf('=')));
    const known = ['HOST', 'INFERENCE_PORT', 'EXPORTER_PORT', 'EVENTS_SOCKET', 'MODEL_PATH', 'WORKERS', 'LOG_LEVEL'];
    t.same(keys.filter((k) => !known.includes(k)), [], 'no unknown variables');
    t.ok(keys.includes('WORKERS'), 'WORKERS is set');
  });
}
