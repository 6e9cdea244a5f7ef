/**
 * The targets, checked against a result file. Reported, never asserted in tests: a
 * shared 2-core machine makes absolute figures move; the ratios are the fair part.
 */
import type { BenchResults } from './run.js';

export interface TargetCheck {
  name: string;
  target: string;
  /** The measured figure, as shown; null when its scenario did not run. */
  measured: string | null;
  met: boolean | null;
}

const MB = 1024 * 1024;

export function evaluateTargets(r: BenchResults): TargetCheck[] {
  const t: TargetCheck[] = [];
  const add = (name: string, target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string): void => {
    const has = value !== undefined && Number.isFinite(value);
    t.push({ name, target, measured: has ? show(value) : null, met: has ? ok(value) : null });
  };
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  add('/predict 200 chars, 1 worker vs bare Fastify', '>= 35%', r.bareVsPredict?.ratio.median, (v) => v >= 0.35, (v) => `${pct(v)} (per CPU-s: ${pct(r.bareVsPredict?.ratioPerCpuSecond.median ?? NaN)})`);
  add(`/predict 200 chars, 1 worker p99 at ${r.options.connections} connections`, '<= 2 ms', r.bareVsPredict?.predictP99Ms.median, (v) => v <= 2, (v) => `${v.toFixed(2)} ms`);
  add('batch of 64 short texts, 1 worker', '>= 20k texts/s', r.batch?.textsPerSecond, (v) => v >= 20_000, (v) => `${Math.round(v)} texts/s (${Math.round(r.batch?.textsPerCpuSecond ?? NaN)} per CPU-s)`);
  // Judged on CPU per answer over all rounds: req/s of one round moves +-50% with the machine's load.
  add('publishing overhead (events on vs off, inference CPU per answer)', '<= 3%', r.events?.overheadPercentPooledCpu, (v) => v <= 3, (v) => `${v.toFixed(1)}% (req/s median: ${(r.events?.overheadPercent.median ?? NaN).toFixed(1)}%)`);
  add('exporter ingest, one core', '>= 200k events/s', r.ingest?.socket.eventsPerCpuSecond, (v) => v >= 200_000, (v) => `${Math.round(v)} events/CPU-s`);
  add('inference RSS per worker', '<= 150 MB', r.rss.inferenceMaxBytes || undefined, (v) => v <= 150 * MB, (v) => `${(v / MB).toFixed(0)} MB`);
  add('exporter RSS', '<= 80 MB', r.rss.exporterMaxBytes || undefined, (v) => v <= 80 * MB, (v) => `${(v / MB).toFixed(0)} MB`);
  return t;
}
