/**
 * A small reader for systemd unit files (INI with repeatable keys), enough for tests to assert
 * what `systemd-analyze verify` does not check: the values the units must agree on.
 */
import { readFileSync } from 'node:fs';

export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  let pending = '';
  for (const rawLine of text.split('\n')) {
    // Backslash continuation joins lines before anything else is parsed.
    const line = pending + rawLine;
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1) + ' ';
      continue;
    }
    pending = '';
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = unit.get(header[1]!) ?? new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not a unit-file line: ${trimmed}`);
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    section.set(key, [...(section.get(key) ?? []), value]);
  }
  return unit;
}

export function readUnitFile(path: string): UnitFile {
  return parseUnitFile(readFileSync(path, 'utf8'));
}

/** Every value of a key (empty array when absent). */
export function values(unit: UnitFile, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The effective (last) value of a key. */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

/** Environment= assignments of the [Service] section, later ones winning, as systemd applies them. */
export function environment(unit: UnitFile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of values(unit, 'Service', 'Environment')) {
    for (const assignment of line.split(/\s+/)) {
      const eq = assignment.indexOf('=');
      if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return env;
}

/** systemd time spans as seconds ("20s", "1min 30s", "500ms", bare numbers are seconds). */
export function timeSpanSeconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)/g;
  let m: RegExpExecArray | null;
  let matched = false;
  while ((m = re.exec(span)) !== null) {
    const factor = units[m[2] === '' ? 's' : m[2]!];
    if (factor === undefined) throw new Error(`unknown time unit in "${span}"`);
    total += Number(m[1]) * factor;
    matched = true;
  }
  if (!matched) throw new Error(`not a time span: "${span}"`);
  return total;
}
