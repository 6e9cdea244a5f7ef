/**
 * The sampler (services/exporter/src/collectors/sampler.ts): a first round at start, one round
 * at a time (a slow collector delays the next round rather than piling up), failures reported
 * per collector without stopping the others, and stop() waiting for the round in progress.
 */
import t from 'tap';
import { Sampler } from '../../../../services/exporter/src/collectors/sampler.js';
import type { Collector } from '../../../../services/exporter/src/collectors/collector.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `done()`; timers run late on a loaded machine, so tests wait for counts, not for times. */
async function until(done: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function counting(name: string, work: () => Promise<void> = () => Promise.resolve()): Collector & { calls: number; active: number; maxActive: number } {
  const c = {
    name,
    calls: 0,
    active: 0,
    maxActive: 0,
    async sample() {
      c.calls++;
      c.active++;
      c.maxActive = Math.max(c.maxActive, c.active);
      try {
        await work();
      } finally {
        c.active--;
      }
    },
  };
  return c;
}

t.test('samples at start and then every interval, every collector in each round', async (t) => {
  const a = counting('a');
  const b = counting('b');
  const s = new Sampler([a, b], 20, { onError: () => t.fail('no error expected') });
  const t0 = Date.now();
  s.start();
  t.equal(a.calls, 1, 'first round right away, before any timer');
  t.equal(b.calls, 1);
  t.ok(await until(() => a.calls >= 4), 'more rounds follow');
  await s.stop();
  const elapsed = Date.now() - t0;
  t.ok(a.calls <= Math.floor(elapsed / 20) + 1, `at most one round per interval (${a.calls} rounds in ${elapsed} ms)`);
  t.equal(b.calls, a.calls, 'every round samples every collector');
  const after = a.calls;
  await sleep(60);
  t.equal(a.calls, after, 'no round after stop()');
});

t.test('a slow collector delays the next round instead of overlapping it', async (t) => {
  const slow = counting('slow', () => sleep(80));
  const fast = counting('fast');
  const s = new Sampler([slow, fast], 5, { onError: () => t.fail('no error expected') });
  const t0 = Date.now();
  s.start();
  t.ok(await until(() => slow.calls >= 3));
  await s.stop();
  const elapsed = Date.now() - t0;
  t.equal(slow.maxActive, 1, 'never two samples of it at once');
  t.ok(slow.calls <= Math.floor(elapsed / 80) + 1, `rounds paced by the slow collector (${slow.calls} in ${elapsed} ms)`);
  t.equal(fast.calls, slow.calls, 'the fast one waits for the round too');
});

t.test('a failing collector is reported by name; the others keep sampling', async (t) => {
  const errors: Array<[string, string]> = [];
  const bad = counting('disk', () => Promise.reject(new Error('statfs: EIO')));
  const good = counting('cpu');
  const s = new Sampler([bad, good], 10, { onError: (name, err) => errors.push([name, (err as Error).message]) });
  s.start();
  t.ok(await until(() => errors.length >= 2), 'reported every round');
  await s.stop();
  t.same(errors[0], ['disk', 'statfs: EIO']);
  t.ok(errors.every(([name]) => name === 'disk'));
  t.equal(good.calls, bad.calls);
});

t.test('stop() waits for the round in progress', async (t) => {
  let finished = false;
  const c = counting('slow', async () => {
    await sleep(50);
    finished = true;
  });
  const s = new Sampler([c], 1000, { onError: () => undefined });
  s.start();
  await s.stop();
  t.ok(finished, 'the round finished before stop() resolved');
  await s.stop();
  t.pass('stop() twice is fine');
});
