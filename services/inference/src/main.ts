/**
 * Entry point: validate the configuration, then run as a single process, a node:cluster
 * primary (WORKERS > 1) or one of its workers. Under pm2's cluster mode the process is a
 * cluster worker of pm2, not ours: it runs as a single process and pm2 owns the instances.
 */
import cluster from 'node:cluster';
import { ConfigError } from '../../../shared/env.js';
import { readInferenceConfig, type InferenceConfig } from './config.js';
import { CLUSTER_FLAG, runPrimary } from './cluster/primary.js';
import { runWorker } from './worker.js';

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

if (cluster.isPrimary && config.workers > 1) {
  await runPrimary(config);
} else {
  await runWorker(config, { clustered: cluster.isWorker && process.env[CLUSTER_FLAG] === '1' });
}
