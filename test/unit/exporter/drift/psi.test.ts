/**
 * PSI and binning (services/exporter/src/drift/psi.ts): half-open bins, the textbook PSI, the
 * epsilon for empty bins (1e-4), binned means.
 */
import t from 'tap';
import { binIndex, binnedMean, psi, PSI_EPSILON } from '../../../../services/exporter/src/drift/psi.js';


t.test('binIndex: half-open bins, last bin closed, outside values clamped', async (t) => {
  const edges = [0, 10, 20, 30];
  t.equal(binIndex(edges, 0), 0);
  t.equal(binIndex(edges, 9.99), 0);
  t.equal(binIndex(edges, 10), 1, 'a lower edge belongs to its bin');
  t.equal(binIndex(edges, 29.9), 2);
  t.equal(binIndex(edges, 30), 2, 'the last upper edge is in the last bin');
  t.equal(binIndex(edges, -5), 0, 'below: first bin');
  t.equal(binIndex(edges, 1e9), 2, 'above: last bin');
  t.equal(binIndex(edges, Number.NaN), 0, 'NaN: first bin, never out of range');
  t.equal(binIndex([0, 1], 0.5), 0, 'a single bin');
  // Against a linear scan on many edges.
  const many = Array.from({ length: 65 }, (_, i) => i * i);
  for (let v = -1; v < 4200; v += 7) {
    let want = 0;
    for (let i = 0; i < many.length - 1; i++) if (v >= many[i]!) want = i;
    t.equal(binIndex(many, v), Math.min(want, many.length - 2), `v=${v}`, { diagnostic: false });
  }
});

t.test('psi: zero for identical shares, the textbook value otherwise, epsilon for empty bins', async (t) => {
  t.equal(psi([0.25, 0.25, 0.5], [25, 25, 50], 100), 0, 'same distribution');
  // (0.4-0.25)ln(0.4/0.25) + (0.1-0.25)ln(0.1/0.25) + (0.5-0.5)ln(1)
  const want = 0.15 * Math.log(1.6) + -0.15 * Math.log(0.4);
  t.ok(Math.abs(psi([0.25, 0.25, 0.5], [40, 10, 50], 100) - want) < 1e-12, `textbook ${want.toFixed(4)}`);
  t.equal(PSI_EPSILON, 1e-4, 'the documented epsilon');
  const emptyRef = psi([0, 0.5, 0.5], [1, 149, 150], 300);
  const a = 1 / 300;
  const wantEmpty = (a - PSI_EPSILON) * Math.log(a / PSI_EPSILON) + 2 * ((149.5 / 300 - 0.5) * 0) ;
  t.ok(Number.isFinite(emptyRef) && emptyRef > 0, `an empty reference bin is finite (${emptyRef.toFixed(4)})`);
  t.ok(Math.abs(emptyRef - wantEmpty) < 0.002, 'and about (a - eps) ln(a / eps)');
  t.ok(Number.isFinite(psi([0.5, 0.5], [0, 100], 100)), 'an empty live bin is finite');
  t.equal(psi([0.5, 0.5], [0, 0], 0), 0, 'no texts: 0');
  t.ok(psi([0.9, 0.1], [10, 90], 100) > 0.25, 'a swap of mass is significant');
});

t.test('binnedMean: midpoints weighted by shares', async (t) => {
  t.equal(binnedMean([0, 2, 4], [0.5, 0.5]), 2);
  t.equal(binnedMean([0, 2, 4], [3, 1], 4), 1.5);
  t.equal(binnedMean([0, 2, 4], [0, 0], 0), 0);
});

