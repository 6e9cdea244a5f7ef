/**
 * The V8 flags each service runs with, and the environment it gets (SERVICE_ENV below): the one
 * list every launcher follows. The TypeScript launchers import it (scripts/start.ts, the cluster
 * primary's forks, bench/spawn.ts); the files that cannot (package.json scripts, systemd units, pm2
 * ecosystem, Kubernetes manifests and Dockerfile) spell it out and test/ops/node-flags.test.ts
 * checks that they spell exactly this.
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
import { readFileSync } from 'node:fs';

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

/**
 * The environment every launcher gives both services, next to their V8 flags and kept the same way
 * (the files that cannot import it spell it; test/ops/node-flags.test.ts checks them).
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs its own arena (libuv's threadpool, V8's
 * platform workers, onnxruntime's threads) and does not return their free memory to the system.
 * Two arenas keep an inference worker's peak (VmHWM) at 142 MB instead of 153 MB, its idle RSS at
 * 125 MB instead of 129 MB and its anonymous RSS after load at 72 MB instead of 78 MB, with answers
 * per CPU-second not lower (9,673 vs 8,903 single texts, 479 vs 471 batches). One arena saved a
 * little more (138 / 120 / 69 MB) and was not slower in that short run, but puts every thread's
 * malloc behind one lock; two keep a margin for the threads' contention. glibc reads the
 * variable once, when the process starts, so setting it from inside the service is too late: it
 * must be in the environment the launcher gives the process (cluster workers inherit the
 * primary's). Measured with bench/memory.ts: docs/operations.md#memory-the-services-v8-flags.
 */
export const SERVICE_ENV = { MALLOC_ARENA_MAX: '2' } as const;
export type ServiceEnvName = keyof typeof SERVICE_ENV;
const SERVICE_ENV_NAMES = Object.keys(SERVICE_ENV) as ServiceEnvName[];

/**
 * Names of SERVICE_ENV this environment does not set at all. An operator's other value (even an
 * empty one) counts as given, as an operator's flag value does for missingNodeFlags.
 */
export function missingServiceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnvName[] {
  return SERVICE_ENV_NAMES.filter((name) => env[name] === undefined);
}

/**
 * The environment this process was started with, the one glibc read: /proc/self/environ, which
 * later changes to process.env do not reach (pm2's cluster instances get the app's `env` that way,
 * after start: too late for glibc). process.env where there is no /proc.
 */
export function startEnvironment(): NodeJS.ProcessEnv {
  let raw: string;
  try {
    raw = readFileSync('/proc/self/environ', 'utf8');
  } catch {
    return process.env;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const assignment of raw.split('\0')) {
    const eq = assignment.indexOf('=');
    if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** What a service logs (with `missing`: the names) when started without SERVICE_ENV. */
export const SERVICE_ENV_WARNING = 'started without the environment the launchers give (more memory; docs/operations.md)';

/** Per service: what it logs (with `missing`: the flags) when started without its V8 flags. */
const FLAGS_WARNING: Readonly<Record<ServiceName, string>> = {
  inference: 'started without the V8 flags the launchers give (more memory per worker; docs/operations.md)',
  exporter: 'started without the V8 flags the launchers give (more memory; docs/operations.md)',
};

/** One start-up warning: the message and the flag or variable names it is about. */
export interface LaunchWarning {
  message: string;
  missing: string[];
}

/**
 * What this process of `service` was started without, of what every launcher gives it (its V8
 * flags, SERVICE_ENV): one warning each to log, none when it got both.
 */
export function launchWarnings(service: ServiceName): LaunchWarning[] {
  const warnings: LaunchWarning[] = [];
  const flags = missingNodeFlags(NODE_FLAGS[service]);
  if (flags.length > 0) warnings.push({ message: FLAGS_WARNING[service], missing: flags });
  const env = missingServiceEnv(startEnvironment());
  if (env.length > 0) warnings.push({ message: SERVICE_ENV_WARNING, missing: env });
  return warnings;
}

/** `env` plus the SERVICE_ENV values it does not set; the values it sets win. */
export function withServiceEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const added = Object.fromEntries(missingServiceEnv(env).map((name) => [name, SERVICE_ENV[name]]));
  return { ...env, ...added };
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

/** The environment for a service's entry script (withServiceEnv), `env` unchanged for any other script. */
export function serviceEnvFor(script: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return nodeFlagsFor(script).length > 0 ? withServiceEnv(env) : env;
}
