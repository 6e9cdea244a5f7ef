/** Writes the ONNX file, its card (and the report) atomically, so a reader never sees half a model. */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildOnnxModel } from './onnx-export.js';
import type { TrainResult } from './train.js';

export function siblingPath(onnxPath: string, suffix: '.card.json' | '.report.html'): string {
  return onnxPath.replace(/\.onnx$/i, '') + suffix;
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function writeModelFiles(result: TrainResult, opts: { onnxPath: string; report: boolean }): Promise<string[]> {
  await mkdir(dirname(opts.onnxPath), { recursive: true });
  const bytes = buildOnnxModel(result.model, { card: result.card });
  const cardPath = siblingPath(opts.onnxPath, '.card.json');
  await writeAtomic(opts.onnxPath, bytes);
  await writeAtomic(cardPath, JSON.stringify(result.card, null, 2) + '\n');
  const written = [opts.onnxPath, cardPath];
  if (opts.report) {
    const { renderReport } = await import('./report.js');
    const reportPath = siblingPath(opts.onnxPath, '.report.html');
    await writeAtomic(reportPath, await renderReport(result));
    written.push(reportPath);
  }
  await stat(opts.onnxPath);
  return written;
}
