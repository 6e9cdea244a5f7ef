/**
 * Test "hosts" as network namespaces: each gets a veth pair to the root namespace on its own /30
 * in 198.18.0.0/15 (RFC 2544's benchmarking range, never routed), so the root namespace reaches
 * every host directly and the hosts reach nothing else. Processes started inside are tracked; all of
 * it is torn down by `destroy()`, and by a process-exit hook if a test dies first.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { alive } from './spawn.js';
import { spawnNode, waitForReady } from '../../scripts/lib/service-process.js';

export interface TestHost {
  name: string;
  ns: string;
  /** The host's address (inside its namespace). */
  address: string;
  /** The root namespace's end of the link. */
  gateway: string;
}

export interface NsProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  url: string;
  exited: Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
}

const PREFIX = 'opsmh';
const liveChildren = new Set<ChildProcess>();
const liveNamespaces = new Set<string>();

function ip(args: string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function cleanupSync(): void {
  for (const c of liveChildren) c.kill('SIGKILL');
  for (const ns of liveNamespaces) ip(['netns', 'del', ns], true);
}
process.on('exit', cleanupSync);

/** Namespaces left by a run that was killed (its pid is in the name and no longer alive). */
function removeStale(): void {
  for (const line of ip(['netns', 'list'], true).split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-\\w+)`).exec(line.trim());
    if (m && !alive(Number(m[2]))) ip(['netns', 'del', m[1]!], true);
  }
}

function subnetInUse(octet: number): boolean {
  return ip(['-o', 'addr'], true).includes(`198.18.${octet}.`);
}

export function canCreateNamespaces(): { ok: boolean; reason?: string } {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'needs root (ip netns add)' };
  if (spawnSync('sh', ['-c', 'command -v ip']).status !== 0) return { ok: false, reason: 'iproute2 (ip) missing' };
  return { ok: true };
}

export function createHosts(names: string[]): { hosts: TestHost[]; destroy(): Promise<void> } {
  removeStale();
  let octet = process.pid % 250;
  for (let tries = 0; subnetInUse(octet) && tries < 250; tries++) octet = (octet + 1) % 250;
  const hosts: TestHost[] = [];
  names.forEach((name, i) => {
    const ns = `${PREFIX}-${process.pid}-${name}`;
    // Interface names are limited to 15 characters.
    const outer = `om${process.pid % 100000}${i}o`;
    const inner = `om${process.pid % 100000}${i}i`;
    const gateway = `198.18.${octet}.${4 * i + 1}`;
    const address = `198.18.${octet}.${4 * i + 2}`;
    ip(['netns', 'add', ns]);
    liveNamespaces.add(ns);
    ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    ip(['link', 'set', inner, 'netns', ns]);
    ip(['addr', 'add', `${gateway}/30`, 'dev', outer]);
    ip(['link', 'set', outer, 'up']);
    ip(['-n', ns, 'addr', 'add', `${address}/30`, 'dev', inner]);
    ip(['-n', ns, 'link', 'set', inner, 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    hosts.push({ name, ns, address, gateway });
  });
  return {
    hosts,
    async destroy() {
      await Promise.all([...liveChildren].map((c) => stopChild(c, 5_000)));
      for (const h of hosts) {
        // Deleting the namespace deletes the inner veth end, which deletes its peer too.
        ip(['netns', 'del', h.ns], true);
        liveNamespaces.delete(h.ns);
      }
    },
  };
}

function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs `node script` inside the host's namespace and waits for its `"msg":"ready"` line. */
export async function spawnInHost(host: TestHost, script: string, env: Record<string, string>, readyTimeoutMs = 30_000): Promise<NsProcess> {
  // `ip netns exec` execs the command, so the child's pid is node's and signals reach it directly.
  const p = spawnNode({ script, launcher: ['ip', 'netns', 'exec', host.ns], env: { ...process.env, ...env } });
  const child = p.child;
  liveChildren.add(child);
  const exited = p.exited.then(() => {
    liveChildren.delete(child);
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  p.onStdoutLine((l) => stdout.push(l));
  p.onStderrLine((l) => stderr.push(l));
  const tails = (): string => `${stdout.slice(-10).join('\n')}\n${stderr.slice(-10).join('\n')}`;
  const { url } = await waitForReady(p, { name: `${script} in ${host.ns}`, timeoutMs: readyTimeoutMs, details: tails });
  return { child, stdout, stderr, url, exited, stop: (ms = 10_000) => stopChild(child, ms) };
}
