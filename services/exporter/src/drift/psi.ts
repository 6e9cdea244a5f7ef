/**
 * Population stability index between a reference histogram and live counts over the same bins:
 *
 *   PSI = sum_i (a_i - e_i) * ln(a_i / e_i)
 *
 * with e_i the reference share of bin i and a_i the live share. A bin empty on either side
 * would make the term infinite, so both shares are floored at PSI_EPSILON (1e-4, a hundredth of
 * a percent) before the sum: an empty reference bin that gets 1 live text in 300 then adds
 * about 0.011, not infinity. Conventional reading: < 0.1 stable, 0.1-0.25 moderate shift,
 * >= 0.25 significant shift.
 */

export const PSI_EPSILON = 1e-4;

/**
 * Index of the bin of `v` among `edges` (bin i holds edges[i] <= v < edges[i+1], the last bin
 * also its upper edge). Values outside the edges go to the first or last bin: a text longer
 * than the reference's longest still counts, in the bin nearest to it.
 */
export function binIndex(edges: readonly number[], v: number): number {
  const last = edges.length - 2;
  if (!(v >= edges[1]!)) return 0; // also NaN
  if (v >= edges[last]!) return last;
  // Largest i with edges[i] <= v, by bisection over 1..last-1.
  let lo = 1;
  let hi = last - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** PSI of live `counts` (total `total` > 0) against reference `proportions` (same length). */
export function psi(proportions: readonly number[], counts: ArrayLike<number>, total: number, epsilon = PSI_EPSILON): number {
  if (total <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < proportions.length; i++) {
    const e = Math.max(proportions[i]!, epsilon);
    const a = Math.max(counts[i]! / total, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Mean of a binned distribution, each bin at its midpoint (the same for reference and live). */
export function binnedMean(edges: readonly number[], shares: ArrayLike<number>, total = 1): number {
  if (total <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < edges.length - 1; i++) sum += ((edges[i]! + edges[i + 1]!) / 2) * (shares[i]! / total);
  return sum;
}
