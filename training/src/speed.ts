/**
 * Inference speed of a model through the service's loader (one onnxruntime session, one
 * intra-op thread, the calling thread): `node dist/training/src/speed.js [model.onnx]`.
 * Prints time per call for one 200-char text and for one text at the cap, and texts/s for a
 * batch of 64 short texts. Figures go to docs/model.md; this is not the benchmark suite.
 */
import { loadModel } from '../../services/inference/src/model/index.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { heldOutSpamAssassin } from './corpus.js';
import { stripHeaders } from './text.js';

interface Timing {
  calls: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  /** CPU time (user + system) per call: unlike wall time, barely moved by other processes. */
  cpuUs: number;
}

async function timeCalls(fn: () => Promise<unknown>, seconds: number): Promise<Timing> {
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await fn();
  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) * 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { calls: samples.length, meanUs: samples.reduce((a, b) => a + b, 0) / samples.length, p50Us: q(0.5), p99Us: q(0.99), cpuUs: (cpu.user + cpu.system) / samples.length };
}

async function main(): Promise<void> {
  const path = process.argv[2] ?? BUNDLED_MODEL_PATH;
  const seconds = Number(process.env.SPEED_SECONDS ?? 3);
  const model = await loadModel(path);
  // Real held-out bodies, so token counts and vocabulary hits are realistic.
  const bodies = heldOutSpamAssassin(model.card)
    .map((e) => stripHeaders(e.text).replace(/\s+/g, ' ').trim())
    .filter((b) => b.length >= model.maxTextChars);
  const text200 = bodies[0]!.slice(0, 200);
  const textCap = bodies[1]!.slice(0, model.maxTextChars);
  const short64 = bodies.slice(0, 64).map((b, i) => b.slice(i % 7, (i % 7) + 60 + (i % 5) * 20));

  const one = await timeCalls(() => model.predict([text200]), seconds);
  const cap = await timeCalls(() => model.predict([textCap]), seconds);
  const batch = await timeCalls(() => model.predict(short64), seconds);
  const result = {
    model: model.version,
    text200: one,
    textAtCap: { chars: textCap.length, ...cap },
    batch64: { meanChars: Math.round(short64.reduce((a, s) => a + s.length, 0) / 64), ...batch, textsPerSecond: Math.round((64 * 1e6) / batch.meanUs), textsPerCpuSecond: Math.round((64 * 1e6) / batch.cpuUs) },
  };
  await model.release();
  const f = (v: number) => v.toFixed(1);
  process.stdout.write(
    `model ${result.model}\n` +
      `200-char text:     mean ${f(one.meanUs)} us, p50 ${f(one.p50Us)} us, p99 ${f(one.p99Us)} us, CPU ${f(one.cpuUs)} us per call\n` +
      `${textCap.length}-char text:    mean ${f(cap.meanUs)} us, p50 ${f(cap.p50Us)} us, p99 ${f(cap.p99Us)} us, CPU ${f(cap.cpuUs)} us per call\n` +
      `batch of 64 short: mean ${f(batch.meanUs)} us, p50 ${f(batch.p50Us)} us per batch; ${result.batch64.textsPerSecond} texts/s wall, ${result.batch64.textsPerCpuSecond} texts per CPU-second (mean ${result.batch64.meanChars} chars)\n` +
      JSON.stringify(result) + '\n',
  );
}

await main();
