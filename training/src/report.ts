import type { TrainResult } from './train.js';

export async function renderReport(result: TrainResult): Promise<string> {
  return `<!doctype html><title>${result.card.version}</title><pre>${JSON.stringify(result.card.metrics, null, 2)}</pre>`;
}
