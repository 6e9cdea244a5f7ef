/**
 * Where the inference's time goes: runs it under `node --cpu-prof` (with the exporter, events on,
 * access log on: as deployed), loads one scenario with wrk, stops it cleanly so V8 writes
 * the .cpuprofile, and prints the top self-time functions and the self time per package.
 *
 *   node dist/bench/profile.js [--scenario predict200|predict5k|batch64] [--seconds 10] [--keep dir]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runLoad } from './load.js';
import { runToCompletion, SCRIPTS, startService } from './spawn.js';
import { benchTexts } from './texts.js';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Where a frame's code lives: a package under node_modules, node's internals, or our own code. */
function owner(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return '(native / VM)';
  const m = /\/dist\/(.*)$/.exec(url);
  return m ? `ours: ${m[1]!.split('/').slice(0, -1).join('/')}` : url;
}

/** Self time per function and per owner, from a V8 .cpuprofile (samples weighted by their time delta). */
export function summarise(profile: CpuProfile, skipMs = 0, top = 25): { functions: SelfTime[]; owners: SelfTime[]; totalMs: number; callers: Map<string, SelfTime[]> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '');
    return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
  };
  // Callers two frames up, per function: which code path a native write or a GC comes from.
  const callerMs = new Map<string, Map<string, number>>();
  const fn = new Map<string, number>();
  const own = new Map<string, number>();
  let total = 0;
  let clock = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    clock += dt;
    // Start-up and warm-up are not the steady state under load.
    if (clock < skipMs) return;
    const n = byId.get(id);
    if (!n) return;
    const { functionName, url } = n.callFrame;
    const key = label(n);
    fn.set(key, (fn.get(key) ?? 0) + dt);
    const chain: string[] = [];
    for (let p = parent.get(n.id), k = 0; p !== undefined && k < 3; p = parent.get(p), k++) chain.push(label(byId.get(p)!));
    const c = callerMs.get(key) ?? new Map<string, number>();
    const ck = chain.join(' < ');
    c.set(ck, (c.get(ck) ?? 0) + dt);
    callerMs.set(key, c);
    const o = functionName.startsWith('(') ? functionName : owner(url);
    own.set(o, (own.get(o) ?? 0) + dt);
    total += dt;
  });
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: ms / total }));
  const callers = new Map<string, SelfTime[]>();
  for (const f of rank(fn).slice(0, 8)) callers.set(f.name, rank(callerMs.get(f.name) ?? new Map<string, number>()).slice(0, 3));
  return { functions: rank(fn), owners: rank(own), totalMs: total, callers };
}

async function main(): Promise<void> {
  const o = new Command('profile')
    .option('--scenario <name>', 'predict200 | predict5k | batch64', 'predict200')
    .option('--seconds <n>', 'load duration', Number, 10)
    .option('--connections <n>', 'connections', Number, 16)
    .option('--keep <dir>', 'keep the .cpuprofile in this directory')
    .parse(process.argv)
    .opts<{ scenario: string; seconds: number; connections: number; keep?: string }>();
  const texts = benchTexts();
  const bodies: Record<string, string> = {
    predict200: JSON.stringify({ text: texts.single }),
    predict5k: JSON.stringify({ text: texts.email5k }),
    batch64: JSON.stringify({ texts: texts.short64 }),
  };
  const body = bodies[o.scenario];
  if (!body) throw new Error(`unknown scenario ${o.scenario}`);
  const dir = mkdtempSync(join(tmpdir(), 'spam-profile-'));
  const profDir = o.keep ?? join(dir, 'prof');
  const socket = join(dir, 'ch', 'events.sock');
  const exporter = await startService('exporter', SCRIPTS.exporter, { EXPORTER_PORT: '0', EVENTS_SOCKET: socket }, dir);
  const inf = await startService('inference', SCRIPTS.inference, { INFERENCE_PORT: '0', EVENTS_SOCKET: socket, WORKERS: '1' }, dir, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const readyAt = performance.now();
  let skipMs: number;
  try {
    await runLoad({ url: inf.url, path: '/predict', body, connections: o.connections, seconds: 2, watch: [] });
    skipMs = inf.readyMs + (performance.now() - readyAt);
    const r = await runLoad({ url: inf.url, path: '/predict', body, connections: o.connections, seconds: o.seconds, watch: [{ name: 'inference', pid: inf.pid }] });
    process.stdout.write(`${o.scenario}: ${Math.round(r.requestsPerSecond)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, inference CPU ${r.processes[0]!.cpuCores.toFixed(2)} cores\n`);
  } finally {
    await inf.stop();
    await exporter.stop();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written (did the inference exit cleanly?)');
  const s = summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, skipMs);
  const line = (x: SelfTime): string => `${(x.share * 100).toFixed(1).padStart(5)}%  ${x.ms.toFixed(0).padStart(7)} ms  ${x.name}\n`;
  process.stdout.write(`\nself time by owner (measured window and shutdown, ${s.totalMs.toFixed(0)} ms sampled):\n`);
  for (const x of s.owners.slice(0, 15)) process.stdout.write(line(x));
  process.stdout.write('\ntop self-time functions:\n');
  for (const x of s.functions) process.stdout.write(line(x));
  process.stdout.write('\ncallers of the top functions:\n');
  for (const [name, cs] of s.callers) {
    process.stdout.write(`${name}\n`);
    for (const c of cs) process.stdout.write(`  ${line(c)}`);
  }
  if (o.keep) process.stdout.write(`\nprofile kept: ${join(profDir, file)}\n`);
  rmSync(dir, { recursive: true, force: true });
}

runToCompletion(main);
