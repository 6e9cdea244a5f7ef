/**
 * The process logger: its stdout destination (synchronous writes when stdout is a regular file,
 * asynchronous otherwise; batched lines all written by the exit either way), and the request
 * logger stand-in (LazyChildLogger): the child pino logger is made only when a request logs at an
 * enabled level, and its lines are the ones pino's child would write.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { createLogger, isRegularFile, LazyChildLogger, lazyChildLoggerFactory } from '../../../services/inference/src/logger.js';
import { REPO_ROOT } from '../../../shared/paths.js';

function capture(level: 'info' | 'debug'): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ logLevel: level, workerId: '0' }, stream), lines };
}

t.test('no child until a line at an enabled level; then the same line as pino child()', async (t) => {
  const { logger, lines } = capture('info');
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...a: Parameters<typeof logger.child>) => {
    children++;
    return child(...a);
  }) as typeof logger.child;
  const lazy = new LazyChildLogger(logger, { reqId: 'r-1' });
  lazy.debug({ code: 'EMPTY_TEXT' }, 'rejected');
  lazy.trace('nothing');
  t.equal(children, 0, 'disabled levels make no child');
  t.equal(lines.length, 0);
  t.equal(lazy.level, 'info');
  t.notOk(lazy.isLevelEnabled('debug'));
  lazy.error({ err: new Error('boom') }, 'request failed');
  lazy.warn('second');
  t.equal(children, 1, 'one child, made on the first enabled line');
  child({ reqId: 'r-1' }).error({ err: new Error('boom') }, 'request failed');
  const [a, , b] = lines;
  const strip = (l: Record<string, unknown> | undefined): Record<string, unknown> => ({ ...l, time: 0, err: { ...(l?.err as object), stack: '' } });
  t.same(strip(a), strip(b), 'the same line as a pino child with the same bindings');
  t.equal(a?.reqId, 'r-1');
  t.equal(lines[1]?.msg, 'second');
});

t.test('redaction and levels are the parent logger\'s', async (t) => {
  const { logger, lines } = capture('debug');
  const lazy = new LazyChildLogger(logger, { reqId: 'r-2' });
  lazy.debug({ text: 'secret message', body: { text: 'x' } }, 'oops');
  t.equal(lines[0]?.text, '[redacted]');
  t.equal(lines[0]?.body, '[redacted]');
  lazy.level = 'warn';
  lazy.info('hidden');
  t.equal(lines.length, 1);
  const grandchild = lazy.child({ part: 'x' });
  grandchild.warn('shown');
  t.match(lines[1], { reqId: 'r-2', part: 'x', msg: 'shown' });
});

t.test('Fastify factory: a route with its own level or serializers gets pino\'s child at once', async (t) => {
  const { logger } = capture('info');
  t.type(lazyChildLoggerFactory(logger, { reqId: 'a' }, {}), LazyChildLogger);
  const eager = lazyChildLoggerFactory(logger, { reqId: 'a' }, { level: 'debug' });
  t.notOk(eager instanceof LazyChildLogger);
  t.equal(eager.level, 'debug');
});

t.test('isRegularFile: a file yes; a character device, a directory or a closed fd no', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logger-fd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = openSync(join(dir, 'out.log'), 'w');
  const devNull = openSync('/dev/null', 'w');
  const directory = openSync(dir, 'r');
  t.equal(isRegularFile(file), true);
  t.equal(isRegularFile(devNull), false);
  t.equal(isRegularFile(directory), false);
  for (const fd of [file, devNull, directory]) closeSync(fd);
  t.equal(isRegularFile(file), false, 'closed');
});

t.test('stdout a file (synchronous writes) or a pipe (asynchronous): every batched line is out by the exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logger-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The compiled logger (the suite runs after the build), in a plain Node process.
  const module = pathToFileURL(join(REPO_ROOT, 'dist', 'services', 'inference', 'src', 'logger.js')).href;
  // 300 lines (more than one 4 KiB batch, the last one partial), then an exit without waiting.
  const script = `const { createLogger } = await import(${JSON.stringify(module)});
    const log = createLogger({ logLevel: 'info', workerId: '7' });
    for (let i = 0; i < 300; i++) log.info({ i }, 'line');
    process.exit(0);`;
  const lines = (text: string): number[] => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i);
  const expected = Array.from({ length: 300 }, (_, i) => i);

  const path = join(dir, 'stdout.log');
  const fd = openSync(path, 'w');
  const toFile = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  closeSync(fd);
  t.equal(toFile.status, 0, toFile.stderr.toString());
  t.same(lines(readFileSync(path, 'utf8')), expected, 'stdout a file: all 300 lines, in order');

  const toPipe = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  t.equal(toPipe.status, 0, toPipe.stderr.toString());
  t.same(lines(toPipe.stdout.toString()), expected, 'stdout a pipe: all 300 lines, in order');
});
