/**
 * `npm run capture -- export`: the captured predictions joined with their feedback, as JSON
 * Lines that `npm run train -- --data FILE` reads (`text`, `label`, plus provenance), written
 * mode 0600. Two passes over the files: the labels first (small: an id and a label each), then
 * the predictions streamed straight to the output, so memory does not grow with the captures.
 */
import { createReadStream } from 'node:fs';
import { chmod, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Label } from '../../../../shared/model-io.js';
import { CAPTURE_FILE, decodeRecord, type CaptureRecord } from './records.js';

export interface ExportOptions {
  dir: string;
  out: string;
  /** Also write captured predictions that got no feedback (label null), for labelling tools. */
  includeUnlabelled: boolean;
}

export interface ExportResult {
  files: number;
  predictions: number;
  labelled: number;
  written: number;
  /** Lines that were not records (cut short by a crash or a full disk). */
  skippedLines: number;
}

/** One line of the export. */
export interface ExportLine {
  text: string;
  label: Label | null;
  id: string;
  model_version: string;
  /** P(spam) the model gave the text. */
  probability: number;
  predicted: Label;
  predicted_at: string;
  labelled_at: string | null;
}

export async function captureFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => CAPTURE_FILE.test(n)).sort().map((n) => join(dir, n));
}

async function eachRecord(files: string[], f: (r: CaptureRecord) => void | Promise<void>): Promise<number> {
  let skipped = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      const r = decodeRecord(line);
      if (r === undefined) skipped++;
      else await f(r);
    }
  }
  return skipped;
}

export async function exportCapture(o: ExportOptions): Promise<ExportResult> {
  const files = await captureFiles(o.dir);
  const labels = new Map<string, { label: Label; ts: string }>();
  await eachRecord(files, (r) => {
    // The latest label wins (the service accepts one per prediction; files may be concatenated).
    if (r.type === 'feedback') labels.set(r.id, { label: r.label, ts: r.ts });
  });

  // Written next to the target and renamed over it: the target is either the old file or the
  // whole new one, and always mode 0600, whatever the umask or an existing file's mode.
  const tmp = join(dirname(o.out), `.${basename(o.out)}.${process.pid}.tmp`);
  const out = await open(tmp, 'wx', 0o600);
  const result: ExportResult = { files: files.length, predictions: 0, labelled: 0, written: 0, skippedLines: 0 };
  try {
    await out.chmod(0o600);
    let chunk = '';
    result.skippedLines = await eachRecord(files, async (r) => {
      if (r.type !== 'prediction') return;
      result.predictions++;
      const feedback = labels.get(r.id);
      if (feedback) result.labelled++;
      else if (!o.includeUnlabelled) return;
      const line: ExportLine = {
        text: r.text,
        label: feedback?.label ?? null,
        id: r.id,
        model_version: r.model_version,
        probability: r.probability,
        predicted: r.predicted,
        predicted_at: r.ts,
        labelled_at: feedback?.ts ?? null,
      };
      chunk += `${JSON.stringify(line)}\n`;
      result.written++;
      if (chunk.length >= 1 << 20) {
        await out.write(chunk);
        chunk = '';
      }
    });
    if (chunk !== '') await out.write(chunk);
    await out.sync();
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await out.close();
  await rename(tmp, o.out);
  await chmod(o.out, 0o600);
  return result;
}

/** `npm run capture -- purge`: deletes every capture file of the directory. */
export async function purgeCapture(dir: string): Promise<number> {
  const files = await captureFiles(dir);
  for (const f of files) await rm(f, { force: true });
  return files.length;
}
