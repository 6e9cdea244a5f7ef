/**
 * `node dist/training/src/compare.js [--split-from model.onnx] A.onnx B.onnx ...`: scores the
 * held-out test split of the bundled corpora (as reproduced from the first model's card, or
 * --split-from) with every model through the service's loader, and prints per-domain figures
 * as a Markdown table, plus each model's per-text inference time measured in the same run
 * (alternating rounds). `--file F.tsv` scores a labelled file (label<TAB>text) instead.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel, type SpamModel } from '../../services/inference/src/model/index.js';
import { DOMAINS, type Domain, type ModelCard } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';
import { dedupe, loadBundledCorpora, parseUserData, threeWaySplit } from './corpus.js';
import { evaluateDomain } from './metrics.js';
import { evaluationTexts, type EvalText } from './train.js';

async function score(model: SpamModel, texts: string[]): Promise<Float32Array> {
  const out = new Float32Array(texts.length);
  for (let i = 0; i < texts.length; i += 64) {
    const p = await model.predict(texts.slice(i, i + 64));
    out.set(p.spamProbabilities, i);
  }
  return out;
}

async function cpuPerText(models: SpamModel[], text: string, rounds: number, seconds: number): Promise<number[]> {
  const totals = models.map(() => ({ cpu: 0, calls: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m < models.length; m++) {
      const end = performance.now() + (seconds * 1000) / rounds;
      const cpu0 = process.cpuUsage();
      let calls = 0;
      while (performance.now() < end) {
        await models[m]!.predict([text]);
        calls++;
      }
      const cpu = process.cpuUsage(cpu0);
      totals[m]!.cpu += cpu.user + cpu.system;
      totals[m]!.calls += calls;
    }
  }
  return totals.map((t) => t.cpu / t.calls);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { 'split-from': { type: 'string' }, file: { type: 'string' }, 'speed-seconds': { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new Error('usage: compare.js [--split-from M.onnx] [--file F.tsv] A.onnx [B.onnx ...]');
  const models = await Promise.all(positionals.map((p) => loadModel(p)));
  let texts: EvalText[];
  if (values.file) {
    const corpus = parseUserData(values.file, readFileSync(values.file), {});
    texts = corpus.examples.map((e) => ({ text: e.text, label: e.label, domain: 'userText' as Domain }));
  } else {
    const card: ModelCard = values['split-from'] ? (await loadModel(values['split-from'])).card : models[0]!.card;
    const { examples } = dedupe(loadBundledCorpora().flatMap((c) => c.examples));
    texts = threeWaySplit(examples, card.split).test.flatMap(evaluationTexts);
  }
  const rows: string[] = ['| model | domain | n | accuracy | precision | recall | F1 | ROC AUC | blocked ham | ECE |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (let m = 0; m < models.length; m++) {
    const model = models[m]!;
    const p = await score(model, texts.map((t) => t.text));
    for (const domain of DOMAINS) {
      const idx = texts.flatMap((t, i) => (t.domain === domain ? [i] : []));
      if (idx.length === 0) continue;
      const labels: Label[] = idx.map((i) => texts[i]!.label);
      const e = evaluateDomain(labels, idx.map((i) => p[i]!), model.threshold);
      const f = (v: number) => v.toFixed(4);
      rows.push(`| ${model.version} | ${domain} | ${idx.length} | ${f(e.accuracy)} | ${f(e.precision)} | ${f(e.recall)} | ${f(e.f1)} | ${f(e.rocAuc)} | ${(e.blockedHamRate * 100).toFixed(2)}% | ${f(e.ece)} |`);
      if (values.file) {
        for (const i of idx) if ((p[i]! >= model.threshold) !== (texts[i]!.label === 'spam')) process.stderr.write(`  wrong: ${texts[i]!.label} p=${p[i]!.toFixed(3)} ${JSON.stringify(texts[i]!.text)}\n`);
      }
    }
  }
  process.stdout.write(rows.join('\n') + '\n');
  const seconds = Number(values['speed-seconds'] ?? 0);
  if (seconds > 0) {
    const text205 = 'Hi Sam, quick reminder that the quarterly report is due Friday. Could you send me the updated figures for the north region and the notes from Tuesday? Thanks, and let me know if anything is unclear. Best, Alex';
    const cpu = await cpuPerText(models, text205.slice(0, 205), 10, seconds);
    models.forEach((m, i) => process.stdout.write(`${m.version}: ${cpu[i]!.toFixed(1)} us CPU per 205-char text (one text per run, alternating rounds, ${seconds} s total each)\n`));
  }
  await Promise.all(models.map((m) => m.release()));
}

main().catch((err: unknown) => {
  process.stderr.write(`compare: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
