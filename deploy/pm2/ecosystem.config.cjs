/**
 * pm2 ecosystem for spam-detector (docs/operations.md, docs/logging.md).
 *
 *   npm ci && npm run build
 *   MALLOC_ARENA_MAX=2 npx pm2 start deploy/pm2/ecosystem.config.cjs   # both services (see SERVICE_ENV below)
 *   npx pm2 reload spam-detector-inference              # zero-downtime rolling reload (new code)
 *   npx pm2 sendSignal SIGHUP spam-detector-inference   # every instance re-reads MODEL_PATH (new model)
 *   npx pm2 logs                                        # both services' JSON log lines
 *
 * The inference runs in pm2 cluster mode: pm2 is the cluster primary, so each pm2 instance is
 * ONE worker (WORKERS=1) and knows its slot from NODE_APP_INSTANCE. The exporter is a single
 * fork-mode process: it owns the channel socket every instance connects to.
 *
 * Settings come from the environment of the `pm2 start` command (contract names), plus:
 *   INFERENCE_INSTANCES   pm2 instances of the inference ("max" = one per core, the default)
 *   SPAM_DETECTOR_LOG_DIR where pm2 writes the log files (default: $PM2_HOME/logs)
 */
'use strict';

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const env = process.env;

/**
 * pm2 stops a process with SIGINT (daemon-wide: PM2_KILL_SIGNAL), which the services treat like
 * SIGTERM: drain, flush, exit. Their shutdown grace is at most 10 s (contract; the inference's
 * SHUTDOWN_GRACE_MS defaults to 8 s); pm2's default kill_timeout (1.6 s) would SIGKILL mid-drain.
 */
const KILL_TIMEOUT_MS = 15_000;

function instances(value) {
  if (value === undefined || value.trim() === '' || value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(`INFERENCE_INSTANCES must be "max" or an integer 1..256, got "${value}"`);
  }
  return n;
}

/** Contract variables passed through only when set, so the services' own defaults apply otherwise. */
function pick(...names) {
  const out = {};
  for (const name of names) if (env[name] !== undefined && env[name] !== '') out[name] = env[name];
  return out;
}

/**
 * The environment both services get: SERVICE_ENV in shared/node-flags.ts (glibc malloc arenas: less
 * RSS per worker, docs/operations.md). test/ops/node-flags.test.ts keeps this in step; the `pm2
 * start` shell's own value wins. glibc reads it only at process start: the fork-mode exporter starts
 * with `env`, but pm2's cluster-mode instances start with the pm2 DAEMON's environment and get `env`
 * into process.env only afterwards, too late. So the daemon must have it too: start it with
 * `MALLOC_ARENA_MAX=2 npx pm2 ...` (an instance started without it logs "started without the
 * environment the launchers give"; test/ops/pm2-reload.test.ts checks the instances' /proc environ).
 */
const SERVICE_ENV = { MALLOC_ARENA_MAX: '2', ...pick('MALLOC_ARENA_MAX') };

function logFiles(name) {
  const dir = env.SPAM_DETECTOR_LOG_DIR;
  if (!dir) return {};
  return { out_file: path.join(dir, `${name}.log`), error_file: path.join(dir, `${name}.error.log`) };
}

// Both processes must agree on the channel: they do when both use the same default (same user,
// same XDG_RUNTIME_DIR) or the same EVENTS_SOCKET, which is passed to both.
const common = {
  cwd: ROOT,
  kill_timeout: KILL_TIMEOUT_MS,
  // A reload waits for the new process to listen before stopping the old one. The inference
  // listens only once its model is loaded, so the 'listening' event is the readiness signal and
  // wait_ready (a process.send('ready') handshake) adds nothing. listen_timeout bounds the wait.
  listen_timeout: 20_000,
  // Crash loops back off (100 ms doubling up to 15 s) instead of spinning.
  exp_backoff_restart_delay: 100,
  // pino writes one JSON object per line with its own "time": no pm2 prefix, one file per app.
  // pm2 does not rotate: `pm2 install pm2-logrotate` (docs/logging.md) or logrotate with copytruncate.
  merge_logs: true,
  time: false,
  autorestart: true,
};

module.exports = {
  apps: [
    {
      ...common,
      name: 'spam-detector-exporter',
      script: path.join(ROOT, 'dist', 'services', 'exporter', 'src', 'main.js'),
      node_args: ['--max-semi-space-size=1'],
      exec_mode: 'fork',
      instances: 1,
      env: {
        NODE_ENV: 'production',
        ...SERVICE_ENV,
        // DRIFT_REFERENCE: set to sms when serving only short messages (docs/monitoring.md#drift-reference).
        ...pick('HOST', 'EXPORTER_PORT', 'EVENTS_SOCKET', 'LOG_LEVEL', 'DRIFT_REFERENCE'),
      },
      ...logFiles('spam-detector-exporter'),
    },
    {
      ...common,
      name: 'spam-detector-inference',
      script: path.join(ROOT, 'dist', 'services', 'inference', 'src', 'main.js'),
      // V8 flags: shared/node-flags.ts is the list (test/ops/node-flags.test.ts keeps this in step).
      node_args: ['--max-semi-space-size=4', '--heap-growing-percent=20'],
      exec_mode: 'cluster',
      instances: instances(env.INFERENCE_INSTANCES),
      // pm2 sets NODE_APP_INSTANCE (0..n-1) per instance and keeps it across reloads: the
      // worker slot, a bounded label in the exporter.
      instance_var: 'NODE_APP_INSTANCE',
      env: {
        NODE_ENV: 'production',
        ...SERVICE_ENV,
        ...pick(
          'HOST', 'INFERENCE_PORT', 'EVENTS_SOCKET', 'MODEL_PATH', 'LOG_LEVEL',
          'SHADOW_MODEL_PATH', 'SHADOW_QUEUE_MAX_TEXTS', 'ADMIN_TOKEN', 'MODEL_RELOAD_TIMEOUT_MS',
        ),
        // pm2 is the cluster primary here; a node:cluster primary inside each instance would
        // multiply the workers and hide them from pm2's reload.
        WORKERS: '1',
      },
      ...logFiles('spam-detector-inference'),
    },
  ],
};
