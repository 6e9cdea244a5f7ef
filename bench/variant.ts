/**
 * An extra inference for an A/B (bench/run.ts's alternating rounds, bench/memory.ts): the same
 * build with other environment variables (`label:KEY=VALUE,...`), or another build
 * (`label@root`: root/dist holds its compiled services, with models/, package.json and
 * node_modules beside it, e.g. symlinks into the repo).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Variant {
  label: string;
  env: Record<string, string>;
  root?: string;
}

/** Parses one --variant spec; `fail` reports a malformed one (and does not return). */
export function parseVariant(spec: string, fail: (message: string) => never): Variant {
  const build = /^([\w.+-]+)@(.+)$/.exec(spec);
  if (build) {
    const root = resolve(build[2]!);
    if (!existsSync(join(root, 'dist', 'services', 'inference', 'src', 'main.js'))) fail(`--variant ${spec}: no dist/services/inference/src/main.js under ${root}`);
    return { label: build[1]!, env: {}, root };
  }
  const withEnv = /^([\w.+-]+):((?:[A-Z_][A-Z0-9_]*=[^,]*)(?:,[A-Z_][A-Z0-9_]*=[^,]*)*)$/.exec(spec);
  if (!withEnv) return fail(`--variant ${spec}: expected label:KEY=VALUE[,KEY=VALUE] or label@dir`);
  return { label: withEnv[1]!, env: Object.fromEntries(withEnv[2]!.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
}
