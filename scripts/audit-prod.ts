/**
 * `npm run audit:prod`: npm audit of the production dependencies, failing on a high or critical
 * advisory. Where the registry refuses the audit endpoint (this project's development VMs answer
 * it with 405), the audit cannot be judged: that is said plainly and, unless `--strict`, is not a
 * failure, so CI on a machine without the endpoint stays usable and a machine with it enforces it.
 *
 *   node dist/scripts/audit-prod.js [--strict]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type AuditVerdict =
  | { kind: 'clean'; counts: SeverityCounts }
  | { kind: 'vulnerable'; counts: SeverityCounts; packages: string[] }
  | { kind: 'unavailable'; reason: string };

export interface SeverityCounts {
  info: number;
  low: number;
  moderate: number;
  high: number;
  critical: number;
}

interface AuditReport {
  vulnerabilities?: Record<string, { severity?: string }>;
  metadata?: { vulnerabilities?: Partial<SeverityCounts> };
  message?: string;
  error?: { summary?: string };
}

const BLOCKING = new Set(['high', 'critical']);

/** Reads `npm audit --json` output: a report (npm 7+) or the error object npm prints instead. */
export function classifyAudit(json: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(json) as AuditReport;
  } catch {
    return { kind: 'unavailable', reason: `npm audit printed no JSON: ${json.slice(0, 200)}` };
  }
  const meta = report.metadata?.vulnerabilities;
  if (meta === undefined) {
    return { kind: 'unavailable', reason: report.message ?? report.error?.summary ?? 'no report in the answer' };
  }
  const counts: SeverityCounts = { info: meta.info ?? 0, low: meta.low ?? 0, moderate: meta.moderate ?? 0, high: meta.high ?? 0, critical: meta.critical ?? 0 };
  const packages = Object.entries(report.vulnerabilities ?? {})
    .filter(([, v]) => BLOCKING.has(v.severity ?? ''))
    .map(([name, v]) => `${name} (${v.severity})`)
    .sort();
  return counts.high + counts.critical > 0 ? { kind: 'vulnerable', counts, packages } : { kind: 'clean', counts };
}

function main(): number {
  const strict = process.argv.includes('--strict');
  const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const verdict = classifyAudit(r.stdout);
  switch (verdict.kind) {
    case 'clean':
      console.log(`audit:prod: no high or critical advisory in production dependencies (${JSON.stringify(verdict.counts)})`);
      return 0;
    case 'vulnerable':
      console.error(`audit:prod: high or critical advisories: ${verdict.packages.join(', ')} (${JSON.stringify(verdict.counts)})`);
      return 1;
    case 'unavailable':
      console.error(`audit:prod: the audit could not run here: ${verdict.reason}${strict ? '' : ' (not a failure without --strict)'}`);
      return strict ? 2 : 0;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
