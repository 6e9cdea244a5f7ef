/**
 * The request logger stand-in (LazyChildLogger): the child pino logger is made only when a request
 * logs at an enabled level, and its lines are the ones pino's child would write.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, LazyChildLogger, lazyChildLoggerFactory } from '../../../services/inference/src/logger.js';

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
