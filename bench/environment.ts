/** The machine and versions a bench run ran on, so two result files can be compared honestly. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared/paths.js';

export interface Environment {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  versions: Record<string, string>;
  /** `wrk --version`'s first line. */
  loadGenerator: string;
  /** 1, 5 and 15-minute load averages when the run started (the machine is shared). */
  loadAverageStart: number[];
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function wrkVersion(): string {
  // wrk prints its version with the usage text and exits 1.
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n')[0]?.trim() || 'wrk not found';
}

export function environment(): Environment {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    versions: Object.fromEntries(['onnxruntime-node', 'fastify', 'prom-client', 'pino'].map((n) => [n, pkgVersion(n)])),
    loadAverageStart: loadavg(),
    loadGenerator: wrkVersion(),
  };
}
