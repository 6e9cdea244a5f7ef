/**
 * The units' SystemCallFilter= must allow every system call the services make, or systemd kills
 * the process (or, with SystemCallErrorNumber=EPERM, a call fails in some rare path). CI has no
 * systemd as PID 1 to run the units, so this traces both services with strace through start-up,
 * every route, the exporter's host sampling, and a graceful stop (the inference as a node:cluster
 * primary with two workers), and checks the calls against the units' allow list, expanded by
 * `systemd-analyze syscall-filter`. Skipped where strace is not installed (Debian package strace).
 */
import t from 'tap';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/spawn.js';
import { spawnNode, waitForReady } from '../../scripts/lib/service-process.js';
import { readUnitFile, values } from '../helpers/ops-unit-file.js';
import { waitFor } from '../helpers/ops-prometheus.js';

const UNIT_DIR = join(REPO_ROOT, 'deploy', 'systemd');
const haveStrace = spawnSync('sh', ['-c', 'command -v strace']).status === 0;
const haveAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

/** Every syscall name a group stands for, nested groups included. */
function expandGroup(group: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(group)) return out;
  seen.add(group);
  const r = spawnSync('systemd-analyze', ['syscall-filter', group], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`systemd-analyze syscall-filter ${group}: ${r.stderr}`);
  for (const raw of r.stdout.split('\n').slice(1)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '' || line === group) continue;
    if (line.startsWith('@')) for (const s of expandGroup(line, seen)) out.add(s);
    else out.add(line);
  }
  return out;
}

/** The allow list of a unit: the union of its SystemCallFilter= lines (no deny lists are used). */
function allowed(unit: string): Set<string> {
  const set = new Set<string>();
  for (const line of values(readUnitFile(join(UNIT_DIR, unit)), 'Service', 'SystemCallFilter')) {
    if (line.startsWith('~')) throw new Error(`${unit}: deny lists are not handled by this test`);
    for (const item of line.split(/\s+/).filter(Boolean)) {
      if (item.startsWith('@')) for (const s of expandGroup(item)) set.add(s);
      else set.add(item);
    }
  }
  return set;
}

function tracedCalls(file: string): Set<string> {
  const calls = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    // "1234 openat(AT_FDCWD, ...) = 3", "1234 <... read resumed>..." (the call was seen at its start)
    const m = /^\d+\s+([a-z_0-9]+)\(/.exec(line);
    if (m) calls.add(m[1]!);
  }
  return calls;
}

interface Traced {
  strace: ChildProcess;
  url: Promise<string>;
  exited: Promise<void>;
  /** The traced node process (strace's child). */
  pid(): number;
}

function traced(script: string, traceFile: string, env: Record<string, string>): Traced {
  const p = spawnNode({ script, launcher: ['strace', '-f', '-qq', '-o', traceFile], env: { ...process.env, ...env } });
  const strace = p.child;
  const exited = p.exited.then(() => undefined);
  const url = waitForReady(p, { name: `${script} under strace`, timeoutMs: 60_000 }).then((r) => r.url);
  return {
    strace,
    url,
    exited,
    pid() {
      const children = readFileSync(`/proc/${strace.pid}/task/${strace.pid}/children`, 'utf8').trim().split(/\s+/);
      return Number(children[0]);
    },
  };
}

t.test('every system call of both services is allowed by the units\' SystemCallFilter', { timeout: 240_000, skip: !haveStrace || !haveAnalyze ? 'strace or systemd-analyze not installed' : false }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'ops-syscalls-'));
  mkdirSync(join(work, 'channel'), { mode: 0o700 });
  const env = {
    HOST: '127.0.0.1',
    INFERENCE_PORT: '0',
    EXPORTER_PORT: '0',
    EVENTS_SOCKET: join(work, 'channel', 'events.sock'),
    WORKERS: '2',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
  };
  const exporter = traced('dist/services/exporter/src/main.js', join(work, 'exporter.trace'), env);
  let inference: Traced | undefined;
  t.teardown(async () => {
    inference?.strace.kill('SIGKILL');
    exporter.strace.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
  const exporterUrl = await exporter.url;
  inference = traced('dist/services/inference/src/main.js', join(work, 'inference.trace'), env);
  const inferenceUrl = await inference.url;

  // Every route, the way production traffic would reach it.
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${inferenceUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const one = (await (await post('/predict', { text: 'WIN a FREE cruise, click now' })).json()) as { id: string };
  t.ok(one.id, 'a prediction');
  t.equal((await post('/predict', { texts: ['hello', 'free money'] })).status, 200, 'a batch');
  t.equal((await post('/invocations', { inputs: ['see you at lunch'] })).status, 200, 'invocations');
  t.ok((await post('/feedback', { id: one.id, label: 'spam' })).status < 300, 'feedback');
  t.equal((await post('/predict', { text: 42 })).status, 400, 'a bad request');
  for (const path of ['/', '/health', '/ready', '/model', '/metrics']) await fetch(`${inferenceUrl}${path}`);
  // The exporter samples the host (CPU, memory, disk) and the workers' processes on an interval.
  await waitFor(
    'the exporter to have sampled the host and counted the requests',
    async () => {
      const text = await (await fetch(`${exporterUrl}/metrics`)).text();
      return /^spam_detector_disk_usage_percent \d/m.test(text) && /^spam_detector_requests_total [1-9]/m.test(text) ? true : undefined;
    },
    60_000,
  );

  // Graceful stops, so the shutdown paths are traced too.
  process.kill(inference.pid(), 'SIGTERM');
  await inference.exited;
  process.kill(exporter.pid(), 'SIGTERM');
  await exporter.exited;

  for (const [name, trace, unit] of [
    ['exporter', 'exporter.trace', 'spam-detector-exporter.service'],
    ['inference', 'inference.trace', 'spam-detector-inference.service'],
    ['inference', 'inference.trace', 'spam-detector-inference@.service'],
  ] as const) {
    t.ok(existsSync(join(work, trace)), `${name} traced`);
    const calls = tracedCalls(join(work, trace));
    t.ok(calls.has('exit_group') && calls.size > 40, `${name}: ${calls.size} distinct calls traced, exit included`);
    const allow = allowed(unit);
    t.ok(!allow.has('mount') && !allow.has('reboot') && !allow.has('kexec_load'), `${unit}: the allow list is a real restriction`);
    t.same([...calls].filter((c) => !allow.has(c)).sort(), [], `${name}: every call allowed by ${unit}`);
  }
});
