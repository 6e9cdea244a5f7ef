/**
 * scripts/lib/service-process.ts, with small stand-in services (plain .mjs files in a temp dir):
 * the ready line from the stdout pipe or from a log file, a launcher command in front of node,
 * the errors when a service exits first or never gets ready (with the caller's details, the
 * child killed), and stop() escalating to SIGKILL.
 */
import t from 'tap';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readyUrl, spawnNode, startService, waitForReady } from '../../../../scripts/lib/service-process.js';

const dir = mkdtempSync(join(tmpdir(), 'service-process-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const READY = `console.log('not json'); console.log(JSON.stringify({ msg: 'starting' })); setTimeout(() => console.log(JSON.stringify({ level: 30, msg: 'ready', url: 'http://127.0.0.1:4321' })), 50); setInterval(() => {}, 1000);`;

t.test('readyUrl: only a JSON record with msg "ready" and a string url', async (t) => {
  t.equal(readyUrl('{"level":30,"msg":"ready","url":"http://127.0.0.1:5000"}'), 'http://127.0.0.1:5000');
  t.equal(readyUrl('{"msg":"ready"}'), undefined, 'a cluster worker\'s ready line has no url');
  t.equal(readyUrl('{"msg":"ready","url":5000}'), undefined);
  t.equal(readyUrl('{"msg":"not ready","url":"http://x"}'), undefined);
  t.equal(readyUrl('ready {"msg":"ready","url":"http://x"}'), undefined, 'not a record');
  t.equal(readyUrl('{"msg":"ready","url":"http://x"'), undefined, 'truncated JSON');
});

t.test('the ready line from the stdout pipe; every line reaches the listeners', async (t) => {
  const s = await startService({ script: script('ready.mjs', READY), timeoutMs: 10_000 });
  const lines: string[] = [];
  s.onStdoutLine((l) => lines.push(l));
  t.equal(s.url, 'http://127.0.0.1:4321');
  t.ok(s.readyMs > 0 && s.readyMs < 10_000, `readyMs ${s.readyMs.toFixed(0)}`);
  const info = await s.stop();
  t.same(info, { code: null, signal: 'SIGTERM' });
  t.same(await s.stop(), info, 'stop() after the exit answers at once');
});

t.test('the ready line from a log file the child writes its stdout to', async (t) => {
  const log = join(dir, 'service.log');
  const fd = openSync(log, 'w');
  const p = spawnNode({ script: script('ready-file.mjs', READY), stdout: fd });
  closeSync(fd);
  const ready = await waitForReady(p, { name: 'file', timeoutMs: 10_000, logFile: log });
  t.equal(ready.url, 'http://127.0.0.1:4321');
  await p.stop();
});

t.test('a launcher runs node for us (here env(1), as ip netns exec or strace would)', async (t) => {
  const s = await startService({
    script: script('launched.mjs', `console.log(JSON.stringify({ msg: 'ready', url: 'http://' + process.env.VIA + ':1' })); setInterval(() => {}, 1000);`),
    launcher: ['env', 'VIA=launcher'],
    timeoutMs: 10_000,
  });
  t.equal(s.url, 'http://launcher:1');
  t.same(await s.stop(), { code: null, signal: 'SIGTERM' }, 'env execs node: the signal reaches it');
});

t.test('a service that exits before it is ready: the error names it, its exit and the details', async (t) => {
  const p = spawnNode({ script: script('dies.mjs', `console.error('bad model'); process.exit(3);`) });
  const stderr: string[] = [];
  p.onStderrLine((l) => stderr.push(l));
  await t.rejects(waitForReady(p, { name: 'inference', timeoutMs: 10_000, details: () => stderr.join('\n') }), /^inference exited \(code 3, signal null\) before ready\nbad model$/);
});

t.test('a service that never gets ready: rejected at the timeout and killed', async (t) => {
  const p = spawnNode({ script: script('silent.mjs', 'setInterval(() => {}, 1000);') });
  await t.rejects(waitForReady(p, { name: 'exporter', timeoutMs: 300 }), /exporter: no ready line within 300 ms/);
  t.same(await p.exited, { code: null, signal: 'SIGKILL' });
});

t.test('stop() sends SIGKILL when SIGTERM is ignored', async (t) => {
  const s = await startService({ script: script('stubborn.mjs', `process.on('SIGTERM', () => {}); ${READY}`), timeoutMs: 10_000 });
  t.same(await s.stop('SIGTERM', 200), { code: null, signal: 'SIGKILL' });
});
