/**
 * Entry point: validate the configuration, then run as a single process, a node:cluster
 * primary (WORKERS > 1) or one of its workers. Under pm2's cluster mode the process is a
 * cluster worker of pm2, not ours: it runs as a single process and pm2 owns the instances.
 */
import cluster from 'node:cluster';
import { ConfigError } from '../../../shared/env.js';
import { readInferenceConfig, type InferenceConfig } from './config.js';

/** Set by our cluster primary in its workers' environment (not by pm2). */
const CLUSTER_FLAG = 'SPAM_DETECTOR_CLUSTER_WORKER';

function fail(message: string): never {
  // One JSON line for log pipelines, one plain line for a human at a terminal.
  process.stdout.write(`${JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, msg: message })}\n`);
  process.stderr.write(`spam-detector inference: ${message}\n`);
  process.exit(1);
}

let config: InferenceConfig;
try {
  config = readInferenceConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
  throw err;
}

// Heavy modules (Fastify, onnxruntime, prom-client) load only after the configuration is valid,
// so a typo fails in a fraction of a second.
if (cluster.isPrimary && config.workers > 1) {
  const { runPrimary } = await import('./cluster/primary.js');
  await runPrimary(config, CLUSTER_FLAG);
} else {
  const { runWorker } = await import('./worker.js');
  await runWorker(config, { clustered: cluster.isWorker && process.env[CLUSTER_FLAG] === '1' });
}
