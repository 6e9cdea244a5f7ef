/**
 * The V8 flags each service runs with: the one list every launcher follows. The TypeScript
 * launchers import it (scripts/start.ts, the cluster primary's forks, bench/spawn.ts); the files
 * that cannot (package.json scripts, systemd units, pm2 ecosystem, Kubernetes manifests and
 * Dockerfile) spell it out and test/ops/node-flags.test.ts checks that they spell exactly this.
 *
 * --max-semi-space-size=4 (MB, inference): V8's young generation otherwise grows to 16 MB semi-spaces as
 * soon as start-up garbage pushed it there, and an idle worker keeps them committed. 4 MB lowers
 * each worker's RSS at a small cost in single-text throughput per CPU-second (batches are not
 * slower); 1-2 MB cost the batch scenario much of its throughput and promoted more to the old
 * generation (more RSS, not less).
 *
 * --heap-growing-percent=20 (inference only): after a full GC V8 lets the old generation grow to
 * 1.2x what survived instead of its own factor (up to 4x for a small heap). A worker's live heap
 * is small, so its full GCs stay cheap; without it the old generation and the Buffers it keeps
 * alive grew several times over between full GCs under load, for no throughput gain. The
 * exporter's peaks did not move with it, so it does not get it. This flag is not allowed in
 * NODE_OPTIONS, only on the command line; test/ops/node-flags.test.ts checks this Node accepts it.
 *
 * --max-semi-space-size=1 (exporter): its allocations per event are few and short-lived, so 1 MB
 * semi-spaces keep its peak under scrapes ~10 MB lower for no measurable ingest cost.
 *
 * The figures behind these: docs/benchmarks.md#memory.
 */
export type ServiceName = 'inference' | 'exporter';

export const NODE_FLAGS: Readonly<Record<ServiceName, readonly string[]>> = {
  inference: ['--max-semi-space-size=4', '--heap-growing-percent=20'],
  exporter: ['--max-semi-space-size=1'],
};

/**
 * Flags of `wanted` this process did not get, neither on its command line nor in NODE_OPTIONS
 * (a flag's name counts: `--max-semi-space-size=8` is there, with another value, on purpose).
 */
export function missingNodeFlags(wanted: readonly string[], execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(flagName);
  return wanted.filter((f) => !given.includes(flagName(f)));
}

function flagName(flag: string): string {
  // V8 accepts - and _ alike in flag names.
  return flag.split('=')[0]!.replace(/_/g, '-');
}

/** The flags for a service's entry script (dist/services/<name>/src/main.js), [] for any other script. */
export function nodeFlagsFor(script: string): readonly string[] {
  const m = /services[\\/](inference|exporter)[\\/]src[\\/]main\.js$/.exec(script);
  return m ? NODE_FLAGS[m[1] as ServiceName] : [];
}
