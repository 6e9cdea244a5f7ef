/**
 * The memory procedure: peak RSS of an inference worker (WORKERS=1) and of the exporter under a
 * fixed load, for one or more builds or settings side by side (an A/B of a memory change).
 *
 * Every variant is its own compiled inference, started with the V8 flags every launcher gives it
 * (bench/spawn.ts), all feeding one exporter. Each round drives every variant, in a rotating
 * order, through the same four wrk runs (bench/load.ts; -t1 -c16, `--seconds` each): the single
 * bench text, a batch of 64 short texts, a 5 KiB raw email, and the single text with /metrics
 * scrapes of the inference and the exporter every ~100 ms. RSS is sampled from /proc/<pid>/status
 * (VmRSS) every 500 ms during each run; at the end the kernel's own peak (VmHWM, start-up
 * included) and the resident split (RssAnon, RssFile) are read once.
 *
 *   node dist/bench/memory.js [--seconds 6] [--rounds 2] [--variant label:K=V,... | label@root]...
 *                             [--exporter-flag=--max-semi-space-size=2]...
 *
 * Without --variant it measures the build in dist/ as is. Heavy: run it under the team's lock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runLoad, statusBytes, type LoadResult } from './load.js';
import { parseVariant, type Variant } from './variant.js';
import { runToCompletion, SCRIPTS, startService, type Service } from './spawn.js';
import { benchTexts, SINGLE_TEXT_CHARS } from './texts.js';

const MB = 1024 * 1024;

/** VmRSS, VmHWM, RssAnon and RssFile of a process, in bytes (NaN if gone). */
function memoryOf(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  return { rss: statusBytes(pid), hwm: statusBytes(pid, 'VmHWM'), anon: statusBytes(pid, 'RssAnon'), file: statusBytes(pid, 'RssFile') };
}

async function scrape(url: string): Promise<void> {
  const res = await fetch(`${url}/metrics`);
  await res.text();
}

interface Row {
  variant: string;
  scenario: string;
  round: number;
  rssMaxMb: number;
  exporterRssMaxMb: number;
  rps: number;
  perCpuSecond: number;
  non2xx: number;
}

async function main(): Promise<void> {
  const opts = new Command('memory')
    .option('--seconds <n>', 'seconds per wrk run', Number, 6)
    .option('--rounds <n>', 'rounds (every variant through every scenario once per round)', Number, 2)
    .option('--exporter-flag <flag>', 'a V8 flag for the exporter after the launchers\' own (they win); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--variant <spec>', 'label:K=V,... (other env) or label@root (the build under root/dist); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .parse(process.argv)
    .opts<{ seconds: number; rounds: number; variant: string[]; exporterFlag: string[] }>();
  const variants: Variant[] = opts.variant.length > 0 ? opts.variant.map((s) => parseVariant(s, (m) => { throw new Error(m); })) : [{ label: 'default', env: {} }];
  const texts = benchTexts();
  const bodies: Array<[string, string]> = [
    [`${SINGLE_TEXT_CHARS}c`, JSON.stringify({ text: texts.single })],
    ['batch64', JSON.stringify({ texts: texts.short64 })],
    ['5KiB', JSON.stringify({ text: texts.email5k })],
    [`${SINGLE_TEXT_CHARS}c+scrapes`, JSON.stringify({ text: texts.single })],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'spam-memory-'));
  const socket = join(dir, 'ch', 'events.sock');
  const services: Service[] = [];
  process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${opts.rounds} round(s), ${opts.seconds} s per run, wrk -t1 -c16\n`);
  try {
    const exporter = await startService('exporter', SCRIPTS.exporter, { EXPORTER_PORT: '0', EVENTS_SOCKET: socket }, dir, opts.exporterFlag);
    services.push(exporter);
    const infs: Service[] = [];
    for (const [i, v] of variants.entries()) {
      const script = v.root ? join(v.root, 'dist', 'services', 'inference', 'src', 'main.js') : SCRIPTS.inference;
      const s = await startService(`inference-${i}`, script, { INFERENCE_PORT: '0', EVENTS_SOCKET: socket, WORKERS: '1', ...v.env }, dir);
      services.push(s);
      infs.push(s);
    }
    const idle = infs.map((s) => memoryOf(s.pid));
    const rows: Row[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + round) % variants.length;
        const s = infs[i]!;
        for (const [scenario, body] of bodies) {
          const r: LoadResult = await runLoad({
            url: s.url, path: '/predict', body, connections: 16, seconds: opts.seconds,
            watch: [{ name: 'inference', pid: s.pid }, { name: 'exporter', pid: exporter.pid }],
            during: scenario.endsWith('scrapes') ? async () => { await Promise.all([scrape(s.url), scrape(exporter.url)]); } : undefined,
          });
          const cpu = r.processes[0]!.cpuSeconds;
          const row = { variant: variants[i]!.label, scenario, round: round + 1, rssMaxMb: r.processes[0]!.rssMaxBytes / MB, exporterRssMaxMb: r.processes[1]!.rssMaxBytes / MB, rps: r.requestsPerSecond, perCpuSecond: r.requests / cpu, non2xx: r.non2xx };
          rows.push(row);
          process.stderr.write(`#${row.round} ${row.variant} ${scenario}: RSS max ${row.rssMaxMb.toFixed(1)} MB (exporter ${row.exporterRssMaxMb.toFixed(1)}), ${Math.round(row.rps)} req/s (${Math.round(row.perCpuSecond)} per CPU-s), non-2xx ${row.non2xx}\n`);
        }
      }
    }
    process.stdout.write(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
    process.stdout.write(`| variant | idle RSS | ${bodies.map(([n]) => `max RSS ${n}`).join(' | ')} | VmHWM | RssAnon / RssFile at the end | req/s per CPU-s ${bodies.map(([n]) => n).join(' / ')} |\n`);
    process.stdout.write(`|---|---|${bodies.map(() => '---|').join('')}---|---|---|\n`);
    for (const [i, v] of variants.entries()) {
      const mine = rows.filter((r) => r.variant === v.label);
      const end = memoryOf(infs[i]!.pid);
      const perScenario = bodies.map(([n]) => mine.filter((r) => r.scenario === n));
      const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
      process.stdout.write(`| ${v.label} | ${(idle[i]!.rss / MB).toFixed(0)} MB | ${perScenario.map((rs) => rs.map((r) => r.rssMaxMb.toFixed(0)).join(', ')).join(' | ')} | ${(end.hwm / MB).toFixed(0)} MB | ${(end.anon / MB).toFixed(0)} / ${(end.file / MB).toFixed(0)} MB | ${perScenario.map((rs) => Math.round(median(rs.map((r) => r.perCpuSecond))).toLocaleString('en')).join(' / ')} |\n`);
    }
    const exp = memoryOf(exporter.pid);
    process.stdout.write(`\nexporter${opts.exporterFlag.length ? ` (${opts.exporterFlag.join(' ')})` : ''}: max sampled ${Math.max(...rows.map((r) => r.exporterRssMaxMb)).toFixed(0)} MB, VmHWM ${(exp.hwm / MB).toFixed(0)} MB, RssAnon / RssFile ${(exp.anon / MB).toFixed(0)} / ${(exp.file / MB).toFixed(0)} MB\n`);
  } finally {
    for (const s of services) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runToCompletion(main);
