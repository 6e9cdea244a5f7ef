/** The Markdown rendering of a result file (bench/results/latest.md). */
import type { BenchResults, Spread } from './run.js';

const MB = 1024 * 1024;
const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
const sp = (s: Spread, f: (v: number) => string): string => (s.values.length > 1 ? `${f(s.median)} (${f(s.min)} to ${f(s.max)})` : f(s.median));

export function renderMarkdown(r: BenchResults): string {
  const e = r.environment;
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push(`Run ${r.startedAt} to ${r.finishedAt}${r.options.quick ? ' (**--quick smoke run: figures not meaningful**)' : ''}.`, '');
  out.push(
    `- Machine: ${e.cpuModel}, ${e.cores} cores, ${(e.memoryBytes / 1024 ** 3).toFixed(1)} GiB, Linux ${e.kernel}`,
    `- Node ${e.node}; ${Object.entries(e.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Load average (1/5/15 min) at start ${e.loadAverageStart.map(f2).join(' / ')}, at end ${r.loadAverageEnd.map(f2).join(' / ')} (shared machine: other processes competed for the cores)`,
    `- ${r.options.rounds} interleaved round(s) of ${r.options.duration} s per run, ${r.options.connections} connections (autocannon, in the bench process: it shares the 2 cores with the services)`,
    '',
  );
  out.push('## Targets', '', '| target | goal | measured | met |', '|---|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.name} | ${t.target} | ${t.measured ?? 'not run'} | ${t.met === null ? '-' : t.met ? 'yes' : '**no**'} |`);
  out.push('');
  out.push('## Ratios (same run; median, and min to max over the rounds)', '', '| figure | ratio | baseline |', '|---|---|---|');
  const b = r.bareVsPredict;
  if (b) {
    out.push(`| /predict 200c 1 worker req/s / bare Fastify req/s | ${sp(b.ratio, pct)} | bare ${sp(b.bareRps, n0)} req/s |`);
    out.push(`| the same, per server CPU-second | ${sp(b.ratioPerCpuSecond, pct)} | bare, per CPU-second |`);
  }
  if (r.events) {
    out.push(`| /predict events on / events off (req/s) | ${sp(r.events.ratioOnOff, pct)}; overhead ${sp(r.events.overheadPercent, f2)}% | off ${sp(r.events.offRps, n0)} req/s |`);
    out.push(`| publishing overhead per inference CPU-second | ${sp(r.events.overheadPercentPerCpuSecond, f2)}%; all rounds pooled ${f2(r.events.overheadPercentPooledCpu)}% | events off, per CPU-second |`);
  }
  if (r.predict5k) out.push(`| /predict 5 KiB / 200c (req/s, 1 worker) | ${pct(r.predict5k.ratioVs200)} | 200c 1 worker |`);
  if (r.batch) out.push(`| batch 64 texts/s / single-text req/s | ${f2(r.batch.ratioTextsVsSingle)}x | 200c 1 worker |`);
  if (r.workers2) out.push(`| 2 workers / 1 worker, 200c | ${f2(r.workers2.ratio200Vs1)}x | 200c 1 worker |`, `| 2 workers / 1 worker, 5 KiB | ${f2(r.workers2.ratio5kVs1)}x | 5 KiB 1 worker |`);
  if (r.metrics) out.push(`| inference /metrics p50 under load / idle | ${f2(r.metrics.inference.ratio)}x | idle ${f2(r.metrics.inference.idleMs.p50)} ms |`, `| exporter /metrics p50 under load / idle | ${f2(r.metrics.exporter.ratio)}x | idle ${f2(r.metrics.exporter.idleMs.p50)} ms |`);
  if (r.ingest?.ratioVsPredictRps !== undefined) out.push(`| exporter events per CPU-s / one worker's /predict req/s | ${f2(r.ingest.ratioVsPredictRps)}x | workers one exporter core can follow |`);
  if (r.startup) out.push(`| inference start-up / bare Fastify start-up | ${f2(r.startup.ratioInference1VsBare)}x | bare ${n0(r.startup.bareMs)} ms |`);
  out.push('');
  out.push('## Load runs', '', '| run | req/s | per server CPU-s | p50 ms | p99 ms | max ms | non-2xx | errors | CPU (cores) and max RSS per process |', '|---|---|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    const procs = run.processes.map((p) => `${p.name} ${f2(p.cpuCores)} / ${n0(p.rssMaxBytes / MB)} MB`).join('; ');
    out.push(`| ${run.label} | ${n0(run.requestsPerSecond)} | ${n0(run.perServerCpuSecond)} | ${f2(run.latencyMs.p50)} | ${f2(run.latencyMs.p99)} | ${f2(run.latencyMs.max)} | ${run.non2xx} | ${run.errors} | ${procs} |`);
  }
  out.push('');
  if (r.batch) out.push(`Batch of 64 short texts: ${n0(r.batch.textsPerSecond)} texts/s, ${n0(r.batch.textsPerCpuSecond)} texts per inference CPU-second (${n0(r.batch.requestsPerSecond)} req/s, p50 ${f2(r.batch.p50Ms)} ms, p99 ${f2(r.batch.p99Ms)} ms).`, '');
  if (r.metrics) {
    const m = r.metrics;
    out.push(
      '## /metrics scrape time (ms)', '', '| service | idle p50 | idle max | under load p50 | p99 | max | scrapes |', '|---|---|---|---|---|---|---|',
      `| inference | ${f2(m.inference.idleMs.p50)} | ${f2(m.inference.idleMs.max)} | ${f2(m.inference.loadMs.p50)} | ${f2(m.inference.loadMs.p99)} | ${f2(m.inference.loadMs.max)} | ${m.inference.loadMs.n} |`,
      `| exporter | ${f2(m.exporter.idleMs.p50)} | ${f2(m.exporter.idleMs.max)} | ${f2(m.exporter.loadMs.p50)} | ${f2(m.exporter.loadMs.p99)} | ${f2(m.exporter.loadMs.max)} | ${m.exporter.loadMs.n} |`,
      '',
    );
  }
  if (r.ingest) {
    out.push(
      '## Exporter ingest (bench/exporter-ingest.ts)', '',
      `- socket (compiled exporter, 2 writer connections): ${n0(r.ingest.socket.eventsPerSecond)} events/s wall, ${n0(r.ingest.socket.eventsPerCpuSecond)} events per exporter CPU-second (${f2(r.ingest.socket.cpuSeconds)} CPU s)`,
      `- pipeline (framing, parsing, metrics in-process, no I/O): ${n0(r.ingest.pipeline.eventsPerCpuSecond)} events per CPU-second`,
      '',
    );
  }
  if (r.startup) {
    const s = r.startup;
    out.push('## Start-up to ready (spawn to the ready log line)', '', `bare Fastify ${n0(s.bareMs)} ms; exporter ${n0(s.exporterMs)} ms; inference 1 worker ${n0(s.inference1Ms)} ms; inference 2 workers ${n0(s.inference2Ms)} ms (started one after the other on a loaded machine).`, '');
  }
  if (r.workers2) out.push(`2 workers: 200c ${n0(r.workers2.rps200)} req/s, 5 KiB ${n0(r.workers2.rps5k)} req/s; RSS per worker ${r.workers2.rssPerWorkerBytes.map((v) => `${n0(v / MB)} MB`).join(', ')}.`, '');
  return out.join('\n');
}
