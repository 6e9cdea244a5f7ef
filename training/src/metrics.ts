/** Binary classification metrics with "spam" as the positive class. */
import type { ClassificationMetrics, DomainMetrics, ReliabilityBin } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';

export function evaluate(labels: readonly Label[], spamProbabilities: ArrayLike<number>, threshold: number): ClassificationMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  labels.forEach((label, i) => {
    const predictedSpam = spamProbabilities[i]! >= threshold;
    if (label === 'spam') {
      if (predictedSpam) tp++;
      else fn++;
    } else if (predictedSpam) fp++;
    else tn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    count: labels.length,
    accuracy: labels.length === 0 ? 0 : (tp + tn) / labels.length,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    rocAuc: rocAuc(labels, spamProbabilities),
    threshold,
    confusionMatrix: { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn },
  };
}

/**
 * Area under the ROC curve via the Mann-Whitney statistic: the probability that a random spam
 * scores above a random ham, ties counting one half.
 */
export function rocAuc(labels: readonly Label[], scores: ArrayLike<number>): number {
  const order = labels.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumSpam = 0;
  let nSpam = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based; tied scores share their mean rank
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 'spam') {
        rankSumSpam += avgRank;
        nSpam++;
      }
    }
    i = j + 1;
  }
  const nHam = labels.length - nSpam;
  if (nSpam === 0 || nHam === 0) return Number.NaN;
  return (rankSumSpam - (nSpam * (nSpam + 1)) / 2) / (nSpam * nHam);
}

export interface CurvePoint {
  threshold: number;
  falsePositiveRate: number;
  truePositiveRate: number;
  precision: number;
}

/** ROC and precision-recall points, one per distinct score, from the highest threshold down. */
export function curves(labels: readonly Label[], scores: ArrayLike<number>): CurvePoint[] {
  const order = labels.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const nSpam = labels.filter((l) => l === 'spam').length;
  const nHam = labels.length - nSpam;
  const points: CurvePoint[] = [{ threshold: Infinity, falsePositiveRate: 0, truePositiveRate: 0, precision: 1 }];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 'spam') tp++;
    else fp++;
    const next = order[i + 1];
    if (next !== undefined && scores[next] === scores[order[i]!]) continue;
    points.push({
      threshold: scores[order[i]!]!,
      falsePositiveRate: nHam ? fp / nHam : 0,
      truePositiveRate: nSpam ? tp / nSpam : 0,
      precision: tp / (tp + fp),
    });
  }
  return points;
}

/** 10 equal-width bins of the predicted probability: the reliability curve. */
export function reliability(labels: readonly Label[], probabilities: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const count = new Array<number>(bins).fill(0);
  const sum = new Array<number>(bins).fill(0);
  const spam = new Array<number>(bins).fill(0);
  labels.forEach((label, i) => {
    const p = probabilities[i]!;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]!++;
    sum[b]! += p;
    if (label === 'spam') spam[b]!++;
  });
  return count.map((n, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: n,
    meanPredicted: n ? sum[b]! / n : 0,
    fractionSpam: n ? spam[b]! / n : 0,
  }));
}

/** Expected calibration error: sum over bins of |mean predicted - share of spam| weighted by size. */
export function expectedCalibrationError(curve: readonly ReliabilityBin[]): number {
  const total = curve.reduce((a, b) => a + b.count, 0);
  if (total === 0) return 0;
  return curve.reduce((a, b) => a + (b.count / total) * Math.abs(b.meanPredicted - b.fractionSpam), 0);
}

export function logLoss(labels: readonly Label[], probabilities: ArrayLike<number>): number {
  let s = 0;
  labels.forEach((label, i) => {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, probabilities[i]!));
    s -= label === 'spam' ? Math.log(p) : Math.log(1 - p);
  });
  return labels.length ? s / labels.length : 0;
}

/** Classification figures plus blocked-ham rate, ECE and the reliability curve. */
export function evaluateDomain(labels: readonly Label[], probabilities: ArrayLike<number>, threshold: number): DomainMetrics {
  const m = evaluate(labels, probabilities, threshold);
  const curve = reliability(labels, probabilities);
  const { falsePositive, trueNegative } = m.confusionMatrix;
  return {
    ...m,
    blockedHamRate: falsePositive + trueNegative ? falsePositive / (falsePositive + trueNegative) : 0,
    ece: expectedCalibrationError(curve),
    reliability: curve,
  };
}
