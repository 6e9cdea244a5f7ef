/**
 * L2-regularised logistic regression fitted with L-BFGS, on a sparse matrix.
 * Objective (scikit-learn's form): C * sum_i logloss(y_i, x_i.w + b) + ||w||^2 / 2, the
 * intercept b unpenalised. Everything is sequential float64 arithmetic, so a fit is
 * bit-for-bit deterministic for the same input.
 */
import type { Csr } from './vectorizer.js';

export interface LogRegOptions {
  c: number;
  maxIterations: number;
  /** Stop when the largest gradient component falls below tolerance * (1 + the initial one). */
  tolerance: number;
  /** L-BFGS history length. */
  memory?: number;
  /** Per-row weights of the log loss (1 each by default): corpora can be balanced. */
  sampleWeights?: Float64Array;
}

export interface LogRegModel {
  weights: Float64Array;
  bias: number;
  iterations: number;
  converged: boolean;
  objective: number;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** x_i . w + b for every row. */
export function decision(x: Csr, weights: Float64Array, bias: number): Float64Array {
  const z = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = bias;
    for (let k = x.indptr[r]!; k < x.indptr[r + 1]!; k++) s += x.values[k]! * weights[x.indices[k]!]!;
    z[r] = s;
  }
  return z;
}

/**
 * Objective and gradient at theta = [w..., b]; y holds 1 for spam, 0 for ham.
 */
function evaluate(x: Csr, y: Uint8Array, c: number, theta: Float64Array, grad: Float64Array, sw?: Float64Array): number {
  const d = x.cols;
  const w = theta.subarray(0, d);
  const z = decision(x, w, theta[d]!);
  let f = 0;
  grad.fill(0);
  let gb = 0;
  for (let r = 0; r < x.rows; r++) {
    const zr = z[r]!;
    const wr = sw ? sw[r]! : 1;
    f += wr * (softplus(zr) - y[r]! * zr);
    const e = c * wr * (sigmoid(zr) - y[r]!);
    gb += e;
    for (let k = x.indptr[r]!; k < x.indptr[r + 1]!; k++) grad[x.indices[k]!]! += e * x.values[k]!;
  }
  f *= c;
  let reg = 0;
  for (let j = 0; j < d; j++) {
    reg += w[j]! * w[j]!;
    grad[j]! += w[j]!;
  }
  grad[d] = gb;
  return f + reg / 2;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function fitLogisticRegression(x: Csr, y: Uint8Array, options: LogRegOptions): LogRegModel {
  if (y.length !== x.rows) throw new RangeError('labels and rows differ in length');
  const m = options.memory ?? 10;
  const n = x.cols + 1;
  let theta = new Float64Array(n);
  let grad = new Float64Array(n);
  let f = evaluate(x, y, options.c, theta, grad, options.sampleWeights);
  const gtol = options.tolerance * (1 + maxAbs(grad));
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const dir = new Float64Array(n);
  const alpha = new Float64Array(m);
  let iterations = 0;
  let converged = maxAbs(grad) <= gtol;
  const trialTheta = new Float64Array(n);
  const trialGrad = new Float64Array(n);

  while (!converged && iterations < options.maxIterations) {
    // Two-loop recursion: dir = -H * grad.
    for (let i = 0; i < n; i++) dir[i] = -grad[i]!;
    for (let k = sHist.length - 1; k >= 0; k--) {
      const a = rhoHist[k]! * dot(sHist[k]!, dir);
      alpha[k] = a;
      const yk = yHist[k]!;
      for (let i = 0; i < n; i++) dir[i]! -= a * yk[i]!;
    }
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      const gamma = dot(sHist[last]!, yHist[last]!) / dot(yHist[last]!, yHist[last]!);
      for (let i = 0; i < n; i++) dir[i]! *= gamma;
    }
    for (let k = 0; k < sHist.length; k++) {
      const b = rhoHist[k]! * dot(yHist[k]!, dir);
      const sk = sHist[k]!;
      const coef = alpha[k]! - b;
      for (let i = 0; i < n; i++) dir[i]! += coef * sk[i]!;
    }
    let slope = dot(grad, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = yHist.length = rhoHist.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -grad[i]!;
      slope = dot(grad, dir);
    }
    // Backtracking line search with the Armijo condition; the first step is scaled so that
    // steepest descent does not overshoot wildly.
    let step = sHist.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fTrial = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) trialTheta[i] = theta[i]! + step * dir[i]!;
      fTrial = evaluate(x, y, options.c, trialTheta, trialGrad, options.sampleWeights);
      if (fTrial <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fTrial < f)) break; // no progress possible: stop at the current point
    const s = new Float64Array(n);
    const yy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = trialTheta[i]! - theta[i]!;
      yy[i] = trialGrad[i]! - grad[i]!;
    }
    const sy = dot(s, yy);
    if (sy > 1e-12) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(yy);
      rhoHist.push(1 / sy);
    }
    const fPrev = f;
    [theta, grad] = [Float64Array.from(trialTheta), Float64Array.from(trialGrad)];
    f = fTrial;
    iterations++;
    converged = maxAbs(grad) <= gtol || (fPrev - f) / Math.max(1, Math.abs(f)) < 1e-12;
  }
  return { weights: theta.slice(0, x.cols), bias: theta[x.cols]!, iterations, converged, objective: f };
}
