/**
 * The capture export (services/inference/src/capture/export.ts, scripts/capture.ts): the join of
 * predictions and feedback across files, broken lines, mode 0600, purge, the CLI's usage errors.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCapture, purgeCapture, type ExportLine } from '../../../../services/inference/src/capture/export.js';
import { captureFileName, encodeRecord } from '../../../../services/inference/src/capture/records.js';
import { runToExit } from '../../../helpers/spawn.js';

const scratch = mkdtempSync(join(tmpdir(), 'capture-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(scratch, `d${dirs++}`);

const mode = (path: string): number => statSync(path).mode & 0o777;

t.test('export joins feedback across files and workers, skips broken lines, writes 0600', async (t) => {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  const p = (id: string, text: string) => encodeRecord({ type: 'prediction', id, ts: '2026-12-01T00:00:00.000Z', model_version: 'v1', probability: 0.9, predicted: 'spam', text });
  const f = (id: string, label: 'spam' | 'ham') => encodeRecord({ type: 'feedback', id, ts: '2026-12-01T00:01:00.000Z', label });
  writeFileSync(join(dir, captureFileName('0', 11, 1, 0)), p('0.a.1', 'one') + p('0.a.2', 'two') + '{"type":"predic');
  writeFileSync(join(dir, captureFileName('1', 12, 1, 0)), p('1.a.1', 'three') + f('0.a.1', 'ham') + f('1.a.1', 'spam'));
  writeFileSync(join(dir, 'unrelated.txt'), 'not a capture file');
  const out = join(scratch, 'export.jsonl');
  writeFileSync(out, 'old content', { mode: 0o644 });
  const r = await exportCapture({ dir, out, includeUnlabelled: false });
  t.same(r, { files: 2, predictions: 3, labelled: 2, written: 2, skippedLines: 1 });
  t.equal(mode(out), 0o600, 'mode 0600 even over a 0644 file');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine);
  t.same(lines.map((l) => [l.id, l.text, l.label]), [['0.a.1', 'one', 'ham'], ['1.a.1', 'three', 'spam']]);
  t.match(lines[0], { model_version: 'v1', probability: 0.9, predicted: 'spam', predicted_at: '2026-12-01T00:00:00.000Z', labelled_at: '2026-12-01T00:01:00.000Z' });
  const all = await exportCapture({ dir, out, includeUnlabelled: true });
  t.equal(all.written, 3, '--include-unlabelled adds the rest');
  t.ok(readFileSync(out, 'utf8').includes('"label":null'), 'unlabelled lines have label null');
  t.equal(await purgeCapture(dir), 2, 'purge deletes the capture files');
  t.same(readdirSync(dir), ['unrelated.txt'], '...and only them');
});

t.test('the CLI: usage errors exit 2', async (t) => {
  const none = await runToExit('dist/scripts/capture.js', { args: ['export', '--out', join(scratch, 'x')], env: { CAPTURE_DIR: undefined } });
  t.equal(none.code, 2);
  t.match(none.stderr.join('\n'), /CAPTURE_DIR/);
  const noOut = await runToExit('dist/scripts/capture.js', { args: ['export', '--dir', scratch] });
  t.equal(noOut.code, 2);
  t.match(noOut.stderr.join('\n'), /--out/);
  const bad = await runToExit('dist/scripts/capture.js', { args: ['frobnicate', '--dir', scratch] });
  t.equal(bad.code, 2);
});

