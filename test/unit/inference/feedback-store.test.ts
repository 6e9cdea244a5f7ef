/**
 * The feedback store keeps an entry as two small integers (the prediction's counter and packed
 * labels): the id source's key must be exact, and every lookup outcome the HTTP tests see must
 * survive the packing.
 */
import t from 'tap';
import { FeedbackStore } from '../../../services/inference/src/feedback-store.js';
import { createIdSource } from '../../../services/inference/src/ids.js';

t.test('prediction keys are exact, and only for ids this source issued', async (t) => {
  const ids = createIdSource('3');
  const a = ids.predictionId();
  const b = ids.predictionId();
  t.equal(ids.predictionKey(a), 1);
  t.equal(ids.predictionKey(b), 2);
  const prefix = a.slice(0, a.lastIndexOf('.') + 1);
  for (const other of [`${prefix}01`, `${prefix}3`, `${prefix}A`, `${prefix}`, `${prefix}1x`, `${prefix}-1`, a.replace(/^3\./, '4.'), `${a}.`]) {
    t.equal(ids.predictionKey(other), undefined, `no key for ${JSON.stringify(other)}`);
  }
  t.equal(createIdSource('3').predictionKey(a), undefined, 'another boot (same worker id) issued none');
});

t.test('accepted, duplicate, unknown, expired, eviction', async (t) => {
  // Not 0: lru-cache reads a start time of 0 as "no TTL".
  let now = 1_000_000;
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 3, ttlMs: 1000, keyOf: (id) => ids.predictionKey(id), now: () => now });
  const [p1, p2, p3, p4] = [ids.predictionId(), ids.predictionId(), ids.predictionId(), ids.predictionId()];
  store.record(p1, 'spam');
  store.record(p2, 'ham');
  t.same(store.resolve(p1, 'ham'), { status: 'accepted', predicted: 'spam', captured: false });
  t.same(store.resolve(p1, 'spam'), { status: 'duplicate', predicted: 'spam', actual: 'ham' });
  t.same(store.resolve(p2, 'spam'), { status: 'accepted', predicted: 'ham', captured: false });
  t.same(store.resolve(p2, 'ham'), { status: 'duplicate', predicted: 'ham', actual: 'spam' });
  t.same(store.resolve(`${p1.slice(0, -1)}01`, 'ham'), { status: 'unknown' }, 'a zero-padded id is not the prediction');
  t.same(store.resolve('not-an-id', 'ham'), { status: 'unknown' });
  now += 500;
  store.record(p3, 'spam');
  now += 700;
  // lru-cache reuses a clock reading for ttlResolution (1 ms of real time).
  await new Promise((r) => setTimeout(r, 5));
  t.same(store.resolve(p1, 'ham'), { status: 'expired' }, 'feedback does not refresh the age');
  t.same(store.resolve(p3, 'ham'), { status: 'accepted', predicted: 'spam', captured: false });
  store.record(p4, 'ham');
  t.equal(store.size, 3, 'bounded');
  // As with the object-per-entry store this replaced: a stale lookup is not a use.
  t.same(store.resolve(p1, 'ham'), { status: 'unknown' }, 'the least recently used entry was evicted');
  t.same(store.resolve(p2, 'ham'), { status: 'expired' });
});

t.test('without keyOf, ids are kept as strings', async (t) => {
  const store = new FeedbackStore({ maxEntries: 10, ttlMs: 60_000 });
  store.record('x.y.z', 'spam');
  t.same(store.resolve('x.y.z', 'ham'), { status: 'accepted', predicted: 'spam', captured: false });
});
