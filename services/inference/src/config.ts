/**
 * Configuration of the inference service, read once from the environment at start. Every
 * variable is validated here so a typo fails the start with a message naming the variable,
 * instead of surfacing later as odd behaviour. docs/inference.md lists them with defaults.
 */
import {
  ConfigError,
  readBool,
  readInt,
  readLogLevel,
  readNumber,
  readOptionalString,
  readPort,
  readString,
  type Env,
  type LogLevel,
} from '../../../shared/env.js';
import { readBearerToken } from '../../../shared/bearer.js';
import { BUNDLED_MODEL_PATH, defaultEventsSocket } from '../../../shared/paths.js';

export interface PressureConfig {
  /** Mean event-loop delay (ms) above which requests are shed; 0 disables. */
  maxEventLoopDelayMs: number;
  /** Event-loop utilization (0-1) above which requests are shed; 0 disables. */
  maxEventLoopUtilization: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  sampleIntervalMs: number;
  retryAfterSeconds: number;
  /**
   * After the server listens, event-loop delay and utilization do not shed load for this long:
   * the first samples measure the start-up (model load, JIT), not traffic. Memory limits apply.
   */
  warmupMs: number;
}

export interface InferenceConfig {
  host: string;
  port: number;
  modelPath: string;
  /** SPAM_THRESHOLD: overrides the model's threshold (0 < value < 1); undefined keeps the model's. */
  spamThreshold: number | undefined;
  /** A candidate model scored off the response path on the same texts (shadow.ts); unset: none. */
  shadowModelPath: string | undefined;
  /** Texts waiting for the shadow model at most; more are dropped and counted. */
  shadowQueueMaxTexts: number;
  /** Share (0-100) of /predict requests answered by the shadow model instead (canary.ts); 0: none. */
  canaryPercent: number;
  /** Enables POST /admin/reload and /admin/rollback (bearer); unset: the routes do not exist. */
  adminToken: string | undefined;
  /** Bound of each phase of a reload per worker (load and validate, then swap). */
  reloadTimeoutMs: number;
  workers: number;
  /** Bounded identity of this process (cluster slot, pm2 instance or systemd instance). */
  workerId: string;
  eventsSocket: string;
  logLevel: LogLevel;
  /** Text of the access log and errors hashed (sha256, 12 hex) next to its length. */
  logTextHash: boolean;
  bodyLimitBytes: number;
  /** Request cap on one text, in UTF-16 code units (JS string length). */
  maxTextChars: number;
  maxBatchSize: number;
  /** Most texts one model call combines from concurrent requests (1: no coalescing). */
  coalesceMaxTexts: number;
  feedbackTtlSeconds: number;
  feedbackMaxEntries: number;
  metricsToken: string | undefined;
  feedbackToken: string | undefined;
  pressure: PressureConfig;
  shutdownGraceMs: number;
  /**
   * While draining, the listener stays open this long (part of the grace) so clients on kept-alive
   * connections get their next answer with `Connection: close` instead of a reset idle socket.
   */
  shutdownListenDelayMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  openapiEnabled: boolean;
  docsUiEnabled: boolean;
}

const WORKER_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_WORKERS = 64;
const GIB = 1024 ** 3;

function readWorkerId(env: Env): string {
  // WORKER_ID is set by our cluster primary or a systemd instance unit; pm2 sets NODE_APP_INSTANCE.
  const name = readOptionalString(env, 'WORKER_ID') !== undefined ? 'WORKER_ID' : 'NODE_APP_INSTANCE';
  const value = readString(env, name, '0');
  if (!WORKER_ID_RE.test(value)) {
    throw new ConfigError(`${name} must be 1-32 characters of [A-Za-z0-9_-] (it is a metric label), got "${value}"`);
  }
  return value;
}

/** An operator's threshold: a probability strictly between 0 and 1 (0 would block everything). */
function readThreshold(env: Env): number | undefined {
  const value = env.SPAM_THRESHOLD;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!/^\s*(0?\.\d+|1(\.0*)?|0)\s*$/.test(value) || !(n > 0 && n < 1)) {
    throw new ConfigError(`SPAM_THRESHOLD must be a probability strictly between 0 and 1 (e.g. 0.7), got "${value}"`);
  }
  return n;
}

/** CANARY_PERCENT: the candidate answering needs a candidate, so it needs SHADOW_MODEL_PATH. */
function readCanaryPercent(env: Env): number {
  const percent = readNumber(env, 'CANARY_PERCENT', 0, 0, 100);
  if (percent > 0 && readOptionalString(env, 'SHADOW_MODEL_PATH') === undefined) {
    throw new ConfigError(`CANARY_PERCENT=${percent} needs SHADOW_MODEL_PATH: the canary requests are answered by the candidate model it loads`);
  }
  return percent;
}

export function readInferenceConfig(env: Env = process.env): InferenceConfig {
  const docsUiEnabled = readBool(env, 'DOCS_UI_ENABLED', true);
  const openapiEnabled = readBool(env, 'OPENAPI_ENABLED', true);
  return {
    host: readString(env, 'HOST', '127.0.0.1'),
    port: readPort(env, 'INFERENCE_PORT', 5000),
    modelPath: readString(env, 'MODEL_PATH', BUNDLED_MODEL_PATH),
    spamThreshold: readThreshold(env),
    shadowModelPath: readOptionalString(env, 'SHADOW_MODEL_PATH'),
    shadowQueueMaxTexts: readInt(env, 'SHADOW_QUEUE_MAX_TEXTS', 2000, 1, 1_000_000),
    canaryPercent: readCanaryPercent(env),
    adminToken: readBearerToken(env, 'ADMIN_TOKEN'),
    reloadTimeoutMs: readInt(env, 'MODEL_RELOAD_TIMEOUT_MS', 60_000, 100, 600_000),
    workers: readInt(env, 'WORKERS', 1, 1, MAX_WORKERS),
    workerId: readWorkerId(env),
    eventsSocket: readString(env, 'EVENTS_SOCKET', defaultEventsSocket(env)),
    logLevel: readLogLevel(env),
    logTextHash: readBool(env, 'LOG_TEXT_HASH', false),
    bodyLimitBytes: readInt(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxTextChars: readInt(env, 'MAX_TEXT_CHARS', 100_000, 1, 10_000_000),
    maxBatchSize: readInt(env, 'MAX_BATCH_SIZE', 64, 1, 4096),
    coalesceMaxTexts: readInt(env, 'COALESCE_MAX_TEXTS', 32, 1, 4096),
    feedbackTtlSeconds: readInt(env, 'FEEDBACK_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    feedbackMaxEntries: readInt(env, 'FEEDBACK_MAX_ENTRIES', 100_000, 1, 10_000_000),
    metricsToken: readBearerToken(env, 'METRICS_TOKEN'),
    feedbackToken: readBearerToken(env, 'FEEDBACK_TOKEN'),
    pressure: {
      maxEventLoopDelayMs: readNumber(env, 'PRESSURE_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
      maxEventLoopUtilization: readNumber(env, 'PRESSURE_MAX_EVENT_LOOP_UTILIZATION', 0, 0, 1),
      maxHeapUsedBytes: readInt(env, 'PRESSURE_MAX_HEAP_USED_BYTES', 0, 0, 64 * GIB),
      maxRssBytes: readInt(env, 'PRESSURE_MAX_RSS_BYTES', 0, 0, 256 * GIB),
      sampleIntervalMs: readInt(env, 'PRESSURE_SAMPLE_INTERVAL_MS', 1000, 5, 60_000),
      retryAfterSeconds: readInt(env, 'PRESSURE_RETRY_AFTER_SECONDS', 10, 1, 3600),
      warmupMs: readInt(env, 'PRESSURE_WARMUP_MS', 5000, 0, 600_000),
    },
    shutdownGraceMs: readInt(env, 'SHUTDOWN_GRACE_MS', 8000, 0, 600_000),
    shutdownListenDelayMs: readInt(env, 'SHUTDOWN_LISTEN_DELAY_MS', 1000, 0, 60_000),
    requestTimeoutMs: readInt(env, 'REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000),
    keepAliveTimeoutMs: readInt(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1, 3_600_000),
    openapiEnabled,
    // The UI renders the OpenAPI document, so it cannot be on without it.
    docsUiEnabled: docsUiEnabled && openapiEnabled,
  };
}
