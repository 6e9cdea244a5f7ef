import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from './env.js';

/** Repository root, found from this file's location in either the sources or dist/. */
export const REPO_ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  // sources: <root>/shared ; compiled: <root>/dist/shared
  return here.endsWith(join('dist', 'shared')) ? resolve(here, '..', '..') : resolve(here, '..');
})();

export const BUNDLED_MODEL_PATH = join(REPO_ROOT, 'models', 'spam-classifier.onnx');

/**
 * Default location of the local event channel: a private directory (mode 0700) under
 * XDG_RUNTIME_DIR (systemd's RuntimeDirectory) when set, else under the OS temp dir, named
 * per user so two users on one host never share a socket.
 */
export function defaultEventsSocket(env: Env = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.trim() !== '' ? env.XDG_RUNTIME_DIR : tmpdir();
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  return join(runtime, `spam-detector-${user}`, 'events.sock');
}
