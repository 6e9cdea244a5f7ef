/** The Markdown rendering of a result file (bench/results/latest.md). */
import type { BenchResults, RoundSeries, Spread } from './run.js';
import { SINGLE_TEXT_CHARS } from './texts.js';

const MB = 1024 * 1024;
const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const x2 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
const sp = (s: Spread, f: (v: number) => string): string => (s.values.length > 1 ? `${f(s.median)} (${f(s.min)} to ${f(s.max)})` : f(s.median));

const SERIES_NAMES: Record<string, string> = {
  bare: 'bare Fastify (HTTP ceiling)',
  limit: 'design limit (bare Fastify + the model, coalesced)',
  limitReference: 'design limit, reference model',
  predict: '/predict, 1 worker, events on',
  predictEventsOff: '/predict, 1 worker, events off',
};

export function renderMarkdown(r: BenchResults): string {
  const e = r.environment;
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push(`Run ${r.startedAt} to ${r.finishedAt}${r.options.quick ? ' (**--quick smoke run: figures not meaningful**)' : ''}.`, '');
  out.push(
    `- Machine: ${e.cpuModel}, ${e.cores} cores, ${(e.memoryBytes / 1024 ** 3).toFixed(1)} GiB, Linux ${e.kernel}`,
    `- Node ${e.node}; ${Object.entries(e.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Load average (1/5/15 min) at start ${e.loadAverageStart.map(f2).join(' / ')}, at end ${r.loadAverageEnd.map(f2).join(' / ')} (the run's own processes count too)`,
    `- ${r.options.rounds} alternating round(s) of ${r.options.duration} s per run, ${r.options.connections} connections; load generator ${e.loadGenerator}, on the same cores as the servers: its CPU is in the table of runs`,
    ...(r.loadCommand ? [`- Load command: \`${r.loadCommand}\``] : []),
    ...(r.options.referenceModel ? [`- Reference model of the design limit: \`${r.options.referenceModel}\``] : []),
    '',
  );
  out.push('## Targets', '', '| target | goal | measured | met |', '|---|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.name} | ${t.target} | ${t.measured ?? 'not run'} | ${t.met === null ? '-' : t.met ? 'yes' : '**no**'} |`);
  out.push('');

  if (r.series) {
    out.push(
      `## Alternating rounds, single ${SINGLE_TEXT_CHARS}-character text (median, and min to max over the rounds)`, '',
      '| server | req/s | per server CPU-s | p50 ms | p99 ms | non-2xx | errors |', '|---|---|---|---|---|---|---|',
    );
    for (const [k, s] of Object.entries(r.series) as Array<[string, RoundSeries]>) {
      out.push(`| ${SERIES_NAMES[k] ?? k.replace(/^variant:/, '/predict, variant ')} | ${sp(s.rps, n0)} | ${sp(s.perCpuSecond, n0)} | ${sp(s.p50Ms, f2)} | ${sp(s.p99Ms, f2)} | ${s.non2xx} | ${s.errors} |`);
    }
    out.push('');
    if (r.rounds) out.push(`Order per round: ${r.rounds.map((o, i) => `#${i + 1} ${o.join(', ')}`).join('; ')}.`, '');
  }

  out.push('## Ratios (same run, per round; median, and min to max over the rounds)', '', '| figure | ratio |', '|---|---|');
  const d = r.designLimit;
  if (d) {
    out.push(`| /predict / design limit, req/s | ${sp(d.ratio, x2)} |`);
    out.push(`| the same, per server CPU-second | ${sp(d.ratioPerCpuSecond, x2)} |`);
    out.push(`| /predict p99 / design limit p99 | ${sp(d.p99Ratio, x2)} |`);
  }
  for (const v of r.variants ?? []) {
    const what = v.root ? `build ${v.root}` : Object.entries(v.env).map(([k, val]) => `${k}=${val}`).join(' ');
    out.push(`| variant ${v.label} (${what}) / /predict: req/s; per CPU-s; p99 | ${sp(v.ratio, x2)}; ${sp(v.ratioPerCpuSecond, x2)}; ${sp(v.p99Ratio, x2)} |`);
  }
  if (r.modelCost) {
    out.push(`| design limit, bundled model / reference model, req/s | ${sp(r.modelCost.ratio, x2)} |`);
    out.push(`| the same, per server CPU-second | ${sp(r.modelCost.ratioPerCpuSecond, x2)} |`);
  }
  const b = r.bareVsPredict;
  if (b) {
    out.push(`| /predict / bare Fastify, req/s | ${sp(b.ratio, x2)} |`);
    out.push(`| the same, per server CPU-second | ${sp(b.ratioPerCpuSecond, x2)} |`);
    if (b.limitVsBare) out.push(`| design limit / bare Fastify, req/s | ${sp(b.limitVsBare, x2)} |`);
  }
  if (r.events) {
    out.push(`| /predict events on / events off, req/s | ${sp(r.events.ratioOnOff, x2)}; overhead ${sp(r.events.overheadPercent, f2)}% |`);
    out.push(`| publishing overhead per inference CPU-second | ${sp(r.events.overheadPercentPerCpuSecond, f2)}%; all rounds pooled ${f2(r.events.overheadPercentPooledCpu)}% |`);
  }
  if (r.predict5k) out.push(`| /predict 5 KiB / ${SINGLE_TEXT_CHARS}c (req/s, 1 worker) | ${x2(r.predict5k.ratioVsSingle)} |`);
  if (r.workers2) out.push(`| 2 workers / 1 worker, ${SINGLE_TEXT_CHARS}c | ${x2(r.workers2.ratioSingleVs1)} |`, `| 2 workers / 1 worker, 5 KiB | ${x2(r.workers2.ratio5kVs1)} |`);
  if (r.metrics) out.push(`| inference /metrics p50 under load / idle | ${x2(r.metrics.inference.ratio)} (idle ${f2(r.metrics.inference.idleMs.p50)} ms) |`, `| exporter /metrics p50 under load / idle | ${x2(r.metrics.exporter.ratio)} (idle ${f2(r.metrics.exporter.idleMs.p50)} ms) |`);
  if (r.ingest?.ratioVsPredictRps !== undefined) out.push(`| exporter events per CPU-s / one worker's /predict req/s | ${x2(r.ingest.ratioVsPredictRps)} (workers one exporter core can follow) |`);
  if (r.startup) out.push(`| inference start-up / bare Fastify start-up | ${x2(r.startup.ratioInference1VsBare)} (bare ${n0(r.startup.bareMs)} ms) |`);
  out.push('');

  if (r.batches && r.batches.length > 0) {
    out.push('## Batches (`{"texts": [...]}`, short texts of 60-140 characters)', '', '| workers | texts per request | req/s | texts/s | texts per inference CPU-s | p50 ms | p99 ms | non-2xx |', '|---|---|---|---|---|---|---|---|');
    for (const x of r.batches) out.push(`| ${x.workers} | ${x.batchSize} | ${n0(x.requestsPerSecond)} | ${n0(x.textsPerSecond)} | ${n0(x.textsPerCpuSecond)} | ${f2(x.p50Ms)} | ${f2(x.p99Ms)} | ${x.non2xx} |`);
    out.push('');
  }

  out.push(
    '## Load runs', '',
    '| run | req/s (2xx) | per server CPU-s | p50 ms | p99 ms | max ms | non-2xx | errors | wrk CPU (cores) | CPU (cores) and max RSS per process |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const run of r.runs) {
    const procs = run.processes.map((p) => `${p.name} ${f2(p.cpuCores)} / ${n0(p.rssMaxBytes / MB)} MB`).join('; ');
    out.push(`| ${run.label} | ${n0(run.requestsPerSecond)} | ${n0(run.perServerCpuSecond)} | ${f2(run.latencyMs.p50)} | ${f2(run.latencyMs.p99)} | ${f2(run.latencyMs.max)} | ${run.non2xx} | ${run.errors + run.timeouts} | ${f2(run.loadGeneratorCores)} | ${procs} |`);
  }
  out.push('');
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
    out.push('## Start-up to ready (spawn to the ready log line)', '', `bare Fastify ${n0(s.bareMs)} ms; design limit ${n0(s.limitMs)} ms; exporter ${n0(s.exporterMs)} ms; inference 1 worker ${n0(s.inference1Ms)} ms; inference 2 workers ${n0(s.inference2Ms)} ms (started one after the other).`, '');
  }
  if (r.workers2) out.push(`2 workers: ${SINGLE_TEXT_CHARS}c ${n0(r.workers2.rpsSingle)} req/s, 5 KiB ${n0(r.workers2.rps5k)} req/s; RSS per worker ${r.workers2.rssPerWorkerBytes.map((v) => `${n0(v / MB)} MB`).join(', ')}.`, '');
  return out.join('\n');
}
