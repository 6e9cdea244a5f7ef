/**
 * The 60-second window behind request_rate_per_minute and error_rate_percent
 * (services/exporter/src/registry/rate-window.ts): what it counts, and when a second leaves it.
 */
import t from 'tap';
import { RateWindow } from '../../../../services/exporter/src/registry/rate-window.js';

const T0 = 1_700_000_000_000; // a whole second

t.test('counts requests and the failed share of the last 60 s', async (t) => {
  const w = new RateWindow(T0);
  t.equal(w.requestCount(), 0);
  t.equal(w.errorPercent(), 0, 'no requests: 0, not NaN');
  for (let i = 0; i < 3; i++) w.add(false);
  w.add(true);
  t.equal(w.requestCount(), 4);
  t.equal(w.errorPercent(), 25);
});

t.test('a second leaves the window 60 s later; the clock only moves forward', async (t) => {
  const w = new RateWindow(T0);
  w.add(true);
  w.advance(T0 + 30_500);
  w.add(false);
  w.add(false);
  t.equal(w.requestCount(), 3);
  w.advance(T0 + 59_999);
  t.equal(w.requestCount(), 3, 'the first second is still in the window 59.999 s later');
  w.advance(T0 + 60_000);
  t.equal(w.requestCount(), 2, 'gone 60 s later');
  t.equal(w.errorPercent(), 0);
  w.advance(T0 + 10_000);
  t.equal(w.requestCount(), 2, 'an earlier time changes nothing');
  w.advance(T0 + 89_999);
  t.equal(w.requestCount(), 2, 'the requests of second 30 stay through second 89');
  w.advance(T0 + 90_000);
  t.equal(w.requestCount(), 0);
});

t.test('a gap longer than the window clears everything', async (t) => {
  const w = new RateWindow(T0);
  for (let s = 0; s < 60; s++) {
    w.advance(T0 + s * 1000);
    w.add(s % 2 === 0);
  }
  t.equal(w.requestCount(), 60);
  t.equal(w.errorPercent(), 50);
  w.advance(T0 + 3_600_000);
  t.equal(w.requestCount(), 0);
  w.add(true);
  t.equal(w.errorPercent(), 100);
});
