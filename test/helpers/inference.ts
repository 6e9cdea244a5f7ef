/**
 * In-process inference apps for tests: the real bundled model (loaded once per test file),
 * configuration from an explicit env (never the developer's), captured log lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type AppDeps } from '../../services/inference/src/app.js';
import { readInferenceConfig } from '../../services/inference/src/config.js';
import { createLogger } from '../../services/inference/src/logger.js';
import { loadModel, type SpamModel } from '../../services/inference/src/model/index.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';

let model: Promise<SpamModel> | undefined;
export function bundledModel(): Promise<SpamModel> {
  model ??= loadModel(BUNDLED_MODEL_PATH);
  return model;
}

/** A private temp dir (removed at exit) so no test touches a shared events socket. */
const scratch = mkdtempSync(join(tmpdir(), 'inference-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
export const TEST_EVENTS_SOCKET = join(scratch, 'events.sock');

/**
 * Load shedding on event-loop delay is off in tests: on a starved CI host the mean delay can pass
 * the production default and turn functional assertions into 503s. The pressure tests set their
 * own thresholds.
 */
export function testEnv(env: Record<string, string> = {}): Record<string, string> {
  return { EVENTS_SOCKET: TEST_EVENTS_SOCKET, LOG_LEVEL: 'info', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', ...env };
}

export interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  raw: string[];
}

export function captureLogs(level: 'info' | 'debug' = 'info'): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  const logger = createLogger({ logLevel: level, workerId: '0' }, stream);
  return { logger, lines, raw };
}

/** `setup` runs before app.ready(), e.g. to add a test hook. */
export async function makeApp(
  env: Record<string, string> = {},
  deps: Partial<AppDeps> = {},
  setup?: (app: FastifyInstance) => void,
): Promise<FastifyInstance> {
  const config = readInferenceConfig(testEnv(env));
  const app = await buildApp({ config, model: await bundledModel(), ...deps });
  setup?.(app);
  await app.ready();
  return app;
}

export const SEED_SPAM = 'CONGRATULATIONS! You won $1000000!';

/** `promtool check metrics` on an exposition text: exit status and output. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Poll `check` until it returns true, at most `tries` times `everyMs` apart. */
export async function eventually(check: () => Promise<boolean> | boolean, tries = 100, everyMs = 20): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** Value of the first sample of `name` whose labels include `labels` (label order free). */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}
