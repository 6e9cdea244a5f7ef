/**
 * Platt scaling and the threshold policy, both fitted on the validation split only.
 */
import type { Label } from '../../shared/model-io.js';
import { sigmoid } from './logreg.js';

/**
 * Platt (1999): p = sigmoid(a * z + b), fitted by Newton's method on the log loss with Platt's
 * smoothed targets ((n+ + 1) / (n+ + 2) and 1 / (n- + 2)), which keep a and b finite when
 * the validation scores separate the classes perfectly.
 */
export function fitPlatt(z: ArrayLike<number>, labels: readonly Label[]): { a: number; b: number } {
  const nPos = labels.filter((l) => l === 'spam').length;
  const nNeg = labels.length - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  const t = labels.map((l) => (l === 'spam' ? hi : lo));
  let a = 1;
  let b = 0;
  const loss = (a: number, b: number) => {
    let f = 0;
    for (let i = 0; i < t.length; i++) {
      const s = a * z[i]! + b;
      // log(1 + e^s) - t * s, computed stably
      f += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t[i]! * s;
    }
    return f;
  };
  let f = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
    for (let i = 0; i < t.length; i++) {
      const p = sigmoid(a * z[i]! + b);
      const d = p - t[i]!;
      const w = p * (1 - p);
      ga += d * z[i]!;
      gb += d;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-10 && Math.abs(gb) < 1e-10) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a + step * da, b + step * db);
    while (next > f + 1e-4 * step * (ga * da + gb * db) && step > 1e-8) {
      step /= 2;
      next = loss(a + step * da, b + step * db);
    }
    a += step * da;
    b += step * db;
    if (f - next < 1e-12 * Math.max(1, Math.abs(f))) break;
    f = next;
  }
  return { a, b };
}

/**
 * Whether `hamCount` validation ham can show a false-positive rate as small as `budget`: with
 * fewer than 1 / budget ham (200 for 0.5%) one blocked ham is already over it, so "within the
 * budget" would mean "not one", and the threshold would jump above the single highest-scoring
 * ham of a small (often noisily labelled) set. A budget of 0 always binds: the user asked for it.
 */
export function budgetResolves(hamCount: number, budget: number): boolean {
  return budget === 0 || hamCount * budget >= 1;
}

/**
 * The lowest threshold (never below `floor`) at which, in every group whose ham can resolve the
 * budget (budgetResolves), at most `budget` of the ham is labelled spam. Probabilities are
 * compared as float32, as the graph stores them.
 */
export function policyThreshold(groups: { labels: readonly Label[]; probabilities: ArrayLike<number> }[], budget: number, floor: number): number {
  let threshold = floor;
  for (const g of groups) {
    const ham = g.labels.flatMap((l, i) => (l === 'ham' ? [Math.fround(g.probabilities[i]!)] : [])).sort((x, y) => y - x);
    if (!budgetResolves(ham.length, budget)) continue;
    const allowed = Math.floor(budget * ham.length);
    if (allowed >= ham.length) continue;
    // Block at most `allowed` ham: the threshold must lie above the (allowed + 1)-th highest ham score.
    const mustExceed = ham[allowed]!;
    threshold = Math.max(threshold, nextFloat32Up(mustExceed));
  }
  return Math.fround(threshold);
}

function nextFloat32Up(x: number): number {
  const f = new Float32Array([Math.fround(x)]);
  const i = new Int32Array(f.buffer);
  if (f[0]! >= 0) i[0]! += 1;
  else i[0]! -= 1;
  return f[0]!;
}
