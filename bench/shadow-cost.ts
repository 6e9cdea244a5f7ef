/**
 * What a shadow model costs the answers: `/predict` throughput of one worker with and without
 * SHADOW_MODEL_PATH, both servers up at once (same machine state), measured with wrk in
 * alternating rounds (docs/deploying-a-model.md, "What a shadow costs").
 *
 *   npm run build && flock /tmp/heavy.lock node dist/bench/shadow-cost.js [--rounds 4] [--seconds 8]
 *
 * The shadow is the bundled model under another version (the same graph: the cost of scoring
 * every text twice with this model). Events are off in both (no exporter in the run), so the
 * difference is the shadow's own work: queueing, the second model call, the feedback-store entry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { BUNDLED_MODEL_PATH } from '../shared/paths.js';
import { METADATA_KEYS } from '../shared/model-io.js';
import { runToCompletion, SCRIPTS, startService } from './spawn.js';
import { benchTexts, SINGLE_TEXT_CHARS } from './texts.js';
import { startWrk } from './wrk.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The bundled model under another version: a valid second model file. */
function shadowFile(dir: string): string {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(readFileSync(BUNDLED_MODEL_PATH));
  const props = model.metadataProps!;
  props.find((p) => p.key === METADATA_KEYS.modelVersion)!.value = 'shadow-bench';
  const cardProp = props.find((p) => p.key === METADATA_KEYS.card)!;
  cardProp.value = JSON.stringify({ ...(JSON.parse(cardProp.value!) as object), version: 'shadow-bench' });
  const path = join(dir, 'shadow.onnx');
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 4);
  const seconds = arg('seconds', 8);
  const dir = mkdtempSync(join(tmpdir(), 'shadow-cost-'));
  const common = { INFERENCE_PORT: '0', WORKERS: '1', EVENTS_ENABLED: 'false', LOG_LEVEL: 'info', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' };
  const plain = await startService('no-shadow', SCRIPTS.inference, common, dir);
  const shadow = await startService('shadow', SCRIPTS.inference, { ...common, SHADOW_MODEL_PATH: shadowFile(dir) }, dir);
  const body = JSON.stringify({ text: benchTexts().single });
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average before: ${load()}; ${rounds} rounds of ${seconds} s per server, wrk -t1 -c16, one ${SINGLE_TEXT_CHARS}-character text per request`);
  const rps: Record<string, number[]> = { 'no-shadow': [], shadow: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so drift in the machine's state hits both equally.
    const order = r % 2 === 0 ? [plain, shadow] : [shadow, plain];
    for (const s of order) {
      const res = await startWrk({ url: `${s.url}/predict`, method: 'POST', body, connections: 16, seconds, threads: 1 }).result;
      if (res.non2xx > 0) throw new Error(`${s.name}: ${res.non2xx} non-2xx answers`);
      rps[s.name]!.push(res.requestsPerSecondAll);
      console.log(`round ${r + 1} ${s.name}: ${res.requestsPerSecondAll.toFixed(0)} req/s, p99 ${res.latencyMs.p99.toFixed(2)} ms`);
    }
  }
  const dropped = await (await fetch(`${shadow.url}/metrics`)).text();
  const drops = dropped.split('\n').filter((l) => l.startsWith('spam_detector_shadow_dropped_texts_total'));
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const a = sum(rps['no-shadow']!) / rounds;
  const b = sum(rps.shadow!) / rounds;
  const perRound = rps.shadow!.map((x, i) => `${((1 - x / rps['no-shadow']![i]!) * 100).toFixed(1)}%`).join(', ');
  console.log(`mean: no shadow ${a.toFixed(0)} req/s, shadow ${b.toFixed(0)} req/s: ${((1 - b / a) * 100).toFixed(1)}% fewer answers per second (per round: ${perRound})`);
  console.log(`shadow drops: ${drops.join('; ') || 'none'}`);
  console.log(`load average after: ${load()}`);
  await plain.stop();
  await shadow.stop();
}

runToCompletion(main);
