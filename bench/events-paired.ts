/**
 * Publishing overhead, paired: an events-on and an events-off inference (EVENTS_ENABLED=false)
 * loaded AT THE SAME TIME, each by its own wrk run with half the connections, so both see
 * the same machine in every round. `npm run bench` interleaves on and off runs instead, and on a
 * shared machine a process's CPU per request moves by +-20% between consecutive rounds, far more
 * than the few percent being measured; here that drift hits both sides of a round alike.
 *
 *   node dist/bench/events-paired.js [--rounds 5] [--duration 8] [--connections 16]
 *
 * Prints, per round and pooled over the rounds: 1 - (on answers per inference CPU-second / off
 * answers per inference CPU-second). A diagnostic next to the suite, not part of its results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runLoad, type LoadResult } from './load.js';
import { runToCompletion, SCRIPTS, startService, type Service } from './spawn.js';
import { benchTexts } from './texts.js';

async function main(): Promise<void> {
  const o = new Command('events-paired')
    .option('--rounds <n>', 'rounds', Number, 5)
    .option('--duration <seconds>', 'seconds per round', Number, 8)
    .option('--connections <n>', 'connections in all (half per process)', Number, 16)
    .parse(process.argv)
    .opts<{ rounds: number; duration: number; connections: number }>();
  const body = JSON.stringify({ text: benchTexts().single });
  const dir = mkdtempSync(join(tmpdir(), 'spam-paired-'));
  const socket = join(dir, 'ch', 'events.sock');
  const services: Service[] = [];
  const env = (extra: Record<string, string>): Record<string, string> => ({ INFERENCE_PORT: '0', EVENTS_SOCKET: socket, WORKERS: '1', ...extra });
  try {
    const exporter = await startService('exporter', SCRIPTS.exporter, { EXPORTER_PORT: '0', EVENTS_SOCKET: socket }, dir);
    services.push(exporter);
    const on = await startService('inference', SCRIPTS.inference, env({}), dir);
    services.push(on);
    const off = await startService('inference-events-off', SCRIPTS.inference, env({ EVENTS_ENABLED: 'false' }), dir);
    services.push(off);
    const half = Math.max(1, Math.floor(o.connections / 2));
    const load = (s: Service, seconds: number, watch: { name: string; pid: number }[]): Promise<LoadResult> =>
      runLoad({ url: s.url, path: '/predict', body, connections: half, seconds, watch });
    // Warm-up: JIT, onnxruntime arenas, keep-alive sockets; not recorded.
    await Promise.all([load(on, 3, []), load(off, 3, [])]);
    let onAnswers = 0;
    let onCpu = 0;
    let offAnswers = 0;
    let offCpu = 0;
    const overheads: number[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const [a, b] = await Promise.all([
        load(on, o.duration, [{ name: 'inference', pid: on.pid }, { name: 'exporter', pid: exporter.pid }]),
        load(off, o.duration, [{ name: 'inference-events-off', pid: off.pid }]),
      ]);
      const aCores = a.processes[0]!.cpuCores;
      const bCores = b.processes[0]!.cpuCores;
      const perCpuOn = a.requestsPerSecond / aCores;
      const perCpuOff = b.requestsPerSecond / bCores;
      onAnswers += a.requestsPerSecond;
      onCpu += aCores;
      offAnswers += b.requestsPerSecond;
      offCpu += bCores;
      overheads.push((1 - perCpuOn / perCpuOff) * 100);
      process.stdout.write(
        `round ${i + 1}: on ${Math.round(a.requestsPerSecond)} req/s on ${aCores.toFixed(2)} cores (${Math.round(perCpuOn)} per CPU-s), ` +
          `off ${Math.round(b.requestsPerSecond)} req/s on ${bCores.toFixed(2)} cores (${Math.round(perCpuOff)} per CPU-s), ` +
          `exporter ${a.processes[1]!.cpuCores.toFixed(3)} cores: overhead ${overheads[i]!.toFixed(2)}%\n`,
      );
    }
    const sorted = [...overheads].sort((x, y) => x - y);
    const pooled = (1 - onAnswers / onCpu / (offAnswers / offCpu)) * 100;
    process.stdout.write(`publishing overhead, paired: pooled ${pooled.toFixed(2)}%, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}%, rounds ${sorted[0]!.toFixed(1)}% to ${sorted[sorted.length - 1]!.toFixed(1)}%\n`);
  } finally {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runToCompletion(main);
