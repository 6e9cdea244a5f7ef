/**
 * pm2 from node_modules/.bin with its own PM2_HOME (a temp dir), so a test never touches a real
 * pm2 daemon and `pm2 kill` at the end removes everything it started. pm2's version check (an
 * HTTPS call to pm2's servers) is disabled: tests send traffic to loopback only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './spawn.js';

export const PM2_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

export interface Pm2Process {
  name: string;
  pid: number;
  pm_id: number;
  status: string;
  instance: string | undefined;
  restarts: number;
}

export interface Pm2 {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Runs a pm2 command to completion (asynchronously: the event loop keeps serving load). */
  run(args: string[], timeoutMs?: number): Promise<{ code: number | null; out: string }>;
  list(): Promise<Pm2Process[]>;
  /** `pm2 kill`, then SIGKILL to the daemon if it is still there. */
  kill(): Promise<void>;
}

export function createPm2(home: string, env: Record<string, string>): Pm2 {
  mkdirSync(home, { recursive: true });
  // pm2 prints its banner and checks its version online the first time it sees a PM2_HOME
  // without this file.
  writeFileSync(join(home, 'touch'), String(Date.now()));
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    PM2_HOME: home,
    PM2_DISCRETE_MODE: 'true',
    PM2_DISABLE_VERSION_CHECK: 'true',
    PM2_NO_INTERACTION: 'true',
    FORCE_COLOR: '0',
  };
  const run = (args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn(PM2_BIN, args, { env: fullEnv, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  const daemonPid = (): number | undefined => {
    const file = join(home, 'pm2.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  };
  const killSync = (): void => {
    // Last resort on abnormal exit: the daemon and its apps must not outlive the test.
    const pid = daemonPid();
    spawnSync(PM2_BIN, ['kill'], { env: fullEnv, timeout: 20_000, stdio: 'ignore' });
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killSync);
  return {
    home,
    env: fullEnv,
    run,
    async list() {
      const r = await run(['jlist']);
      const start = r.out.indexOf('[');
      const parsed = JSON.parse(r.out.slice(start)) as {
        name: string;
        pid: number;
        pm_id: number;
        pm2_env: { status: string; NODE_APP_INSTANCE?: number | string; restart_time: number };
      }[];
      return parsed.map((p) => ({
        name: p.name,
        pid: p.pid,
        pm_id: p.pm_id,
        status: p.pm2_env.status,
        instance: p.pm2_env.NODE_APP_INSTANCE === undefined ? undefined : String(p.pm2_env.NODE_APP_INSTANCE),
        restarts: p.pm2_env.restart_time,
      }));
    },
    async kill() {
      const pid = daemonPid();
      await run(['kill'], 30_000);
      if (pid) {
        try {
          process.kill(pid, 0);
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
      process.off('exit', killSync);
    },
  };
}
