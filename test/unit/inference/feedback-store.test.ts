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
  t.same(store.resolve(p1, 'ham'), { status: 'expired' }, 'feedback does not refresh the age');
  t.same(store.resolve(p3, 'ham'), { status: 'accepted', predicted: 'spam', captured: false });
  store.record(p4, 'ham');
  t.equal(store.size, 3, 'bounded');
  t.same(store.resolve(p1, 'ham'), { status: 'unknown' }, 'the oldest prediction was forgotten');
  t.same(store.resolve(p2, 'ham'), { status: 'expired' });
});

t.test('the last maxEntries predictions, whatever was looked up since', async (t) => {
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 2, ttlMs: 60_000, keyOf: (id) => ids.predictionKey(id) });
  const [p1, p2, p3] = [ids.predictionId(), ids.predictionId(), ids.predictionId()];
  store.record(p1, 'spam');
  store.record(p2, 'ham');
  t.match(store.resolve(p1, 'spam'), { status: 'accepted' });
  store.record(p3, 'spam');
  t.same(store.resolve(p1, 'ham'), { status: 'unknown' }, 'feedback does not keep a prediction longer');
  t.same(store.resolve(p2, 'ham'), { status: 'accepted', predicted: 'ham', captured: false });
  t.equal(store.size, 2);
  store.recordShadow(p1, 'ham', 3);
  t.same(store.resolve(p1, 'ham'), { status: 'unknown' }, 'a shadow label for a forgotten prediction is dropped');
});

t.test('ids this worker did not issue are neither recorded nor found', async (t) => {
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 10, ttlMs: 60_000, keyOf: (id) => ids.predictionKey(id) });
  store.record('x.y.z', 'spam');
  t.equal(store.size, 0);
  t.same(store.resolve('x.y.z', 'ham'), { status: 'unknown' });
  t.throws(() => new FeedbackStore({ maxEntries: 0, ttlMs: 1, keyOf: () => undefined }), RangeError);
});
