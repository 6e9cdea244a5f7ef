/** The drift window (services/exporter/src/drift/window.ts): exactly the last `capacity` bins. */
import t from 'tap';
import { BinnedWindow } from '../../../../services/exporter/src/drift/window.js';


t.test('BinnedWindow keeps exactly the last `capacity` observations', async (t) => {
  const w = new BinnedWindow(5, 3);
  for (const b of [0, 1, 2]) w.push(b);
  t.equal(w.size, 3);
  t.same([...w.counts], [1, 1, 1]);
  for (const b of [2, 2, 2, 2]) w.push(b);
  t.equal(w.size, 5, 'capped at capacity');
  t.same([...w.counts], [0, 0, 5], 'the oldest left first');
  // Random sequence against a naive slice.
  const seq: number[] = [];
  const big = new BinnedWindow(37, 7);
  let x = 12345;
  for (let i = 0; i < 500; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const b = x % 7;
    seq.push(b);
    big.push(b);
  }
  const last = seq.slice(-37);
  t.same([...big.counts], Array.from({ length: 7 }, (_, b) => last.filter((v) => v === b).length), 'counts = the last 37 values');
  t.throws(() => new BinnedWindow(0, 3), RangeError);
  t.throws(() => new BinnedWindow(3, 0), RangeError);
});

