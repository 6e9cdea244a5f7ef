/**
 * The exporter process: `node dist/services/exporter/src/main.js`. Logs one
 * `{"msg":"ready","url":...}` line once both the channel socket and the HTTP port accept
 * connections; SIGINT/SIGTERM close both within SHUTDOWN_GRACE_MS.
 */
import pino from 'pino';
import { ConfigError } from '../../../shared/env.js';
import { launchWarnings } from '../../../shared/node-flags.js';
import { readExporterConfig } from './config.js';
import { startExporter } from './exporter.js';

async function main(): Promise<void> {
  let config;
  try {
    config = readExporterConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`spam-detector exporter: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { service: 'exporter', pid: process.pid } });

  let exporter;
  try {
    exporter = await startExporter(config, log);
  } catch (err) {
    log.fatal({ err }, 'exporter failed to start');
    process.exit(1);
  }
  for (const w of launchWarnings('exporter')) log.warn({ missing: w.missing }, w.message);
  log.info({ url: exporter.url, socket: config.eventsSocket, drift_reference: config.driftReference }, 'ready');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace exceeded, exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 1000);
    force.unref();
    exporter.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
