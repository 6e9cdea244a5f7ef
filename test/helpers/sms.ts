/**
 * Labelled English SMS for tests: the SMS Spam Collection subset the repository trains on
 * (training/data/), or the team folder's copy beside the repository before that is committed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './spawn.js';

export interface LabelledText {
  text: string;
  label: 'spam' | 'ham';
}

const CANDIDATES = [
  join(REPO_ROOT, 'training', 'data', 'sms-spam-collection', 'sms-train.tsv'),
  join(REPO_ROOT, '..', 'shared', 'data', 'sms-spam-collection', 'sms-train.tsv'),
];

export function smsFile(): string {
  const file = CANDIDATES.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`no SMS data at ${CANDIDATES.join(' or ')}`);
  return file;
}

/** Every message of the TSV (`label<TAB>text`, header row), in file order. */
export function smsTexts(): LabelledText[] {
  const out: LabelledText[] = [];
  for (const line of readFileSync(smsFile(), 'utf8').split('\n').slice(1)) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const label = line.slice(0, tab).trim();
    const text = line.slice(tab + 1).trim();
    if ((label === 'spam' || label === 'ham') && text !== '') out.push({ text, label });
  }
  return out;
}
