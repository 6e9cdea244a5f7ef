/**
 * Browser tests' fixtures: the compiled exporter and inference sharing a private events socket
 * (ports from the OS), and one system Chromium, all stopped in teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../scripts/browser/chromium.js';
import { spawnService, type SpawnedService } from './spawn.js';

export interface PagesStack {
  exporter: SpawnedService;
  inference: SpawnedService;
  eventsSocket: string;
}

export async function startPagesStack(t: Test): Promise<PagesStack> {
  const dir = mkdtempSync(join(tmpdir(), 'browser-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const eventsSocket = join(dir, 'events.sock');
  const env = {
    HOST: '127.0.0.1',
    EVENTS_SOCKET: eventsSocket,
    EXPORTER_PORT: '0',
    INFERENCE_PORT: '0',
    WORKERS: '1',
    // info: the ready line (with the real port) is an info record.
    LOG_LEVEL: 'info',
    // A shared 2-core machine under other tests' load must not shed the page's requests.
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    OPENAPI_ENABLED: 'true',
    DOCS_UI_ENABLED: 'true',
  };
  // Both at once: the worker's publisher retries until the exporter's socket exists.
  const [exporter, inference] = await Promise.all([
    spawnService('dist/services/exporter/src/main.js', { env, readyTimeoutMs: 60_000 }),
    spawnService('dist/services/inference/src/main.js', { env, readyTimeoutMs: 60_000 }),
  ]);
  t.teardown(() => exporter.stop());
  // Teardowns run last-in first-out: the worker flushes its events before the exporter goes.
  t.teardown(() => inference.stop());
  return { exporter, inference, eventsSocket };
}

export async function startBrowser(t: Test): Promise<Browser> {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  return browser;
}

/** Writes raw lines into the channel as a misbehaving publisher would, then hangs up. */
export function sendRawFrames(socketPath: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath, () => sock.end(lines.map((l) => `${l}\n`).join('')));
    sock.on('error', reject);
    sock.on('close', () => resolve());
    sock.resume();
  });
}
