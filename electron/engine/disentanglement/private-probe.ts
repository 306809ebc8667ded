// How predictable a private attribute s is from a code (the fair VAE's figure, issue 14): a logistic
// regression fitted on the training split's codes, scored by its ROC AUC on the test split. With more than
// two values of s, one-vs-rest per value and the macro mean. 0.5 means the code says nothing about s that a
// linear read-out can find; 1 means s can be read off exactly.
import { auc } from './information.ts';

export interface PrivateProbe {
  /** Test AUC (macro one-vs-rest over the values of s with more than two values); null when it cannot be fitted. */
  auc: number | null;
  /** Per value of s: its one-vs-rest test AUC (binary s: one entry, for value 1); null where a split lacks it. */
  perValue: (number | null)[];
  /** Images the probe was fitted on and scored on. */
  train: number;
  test: number;
  /** Code dimensions the probe read. */
  dims: number;
}

/**
 * Logistic regression by Newton's method (IRLS) on standardised features, with a ridge `ridge` on the
 * weights (not the bias) so that separable data still converge. Returns the linear score function.
 */
export function fitLogistic(x: ArrayLike<number>, y: ArrayLike<number>, n: number, d: number, ridge = 1, iterations = 50): (row: ArrayLike<number>) => number {
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = sd[j] > 1e-24 ? Math.sqrt(sd[j]) : 1;
  const p1 = d + 1; // weights, then the bias
  const w = new Float64Array(p1);
  const row = new Float64Array(p1);
  const features = (src: ArrayLike<number>, offset: number) => {
    for (let j = 0; j < d; j++) row[j] = (src[offset + j] - mean[j]) / sd[j];
    row[d] = 1;
    return row;
  };
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(p1);
    const h = new Float64Array(p1 * p1);
    for (let i = 0; i < n; i++) {
      const r = features(x, i * d);
      let t = 0;
      for (let j = 0; j < p1; j++) t += r[j] * w[j];
      const p = 1 / (1 + Math.exp(-t));
      const e = p - y[i];
      const v = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < p1; a++) {
        g[a] += e * r[a];
        const va = v * r[a];
        for (let b = a; b < p1; b++) h[a * p1 + b] += va * r[b];
      }
    }
    for (let a = 0; a < p1; a++) {
      for (let b = 0; b < a; b++) h[a * p1 + b] = h[b * p1 + a];
      const lambda = a < d ? ridge : 1e-9;
      g[a] += lambda * w[a];
      h[a * p1 + a] += lambda;
    }
    const step = solveSpd(h, g, p1);
    let largest = 0;
    for (let a = 0; a < p1; a++) {
      w[a] -= step[a];
      largest = Math.max(largest, Math.abs(step[a]));
    }
    if (largest < 1e-7) break;
  }
  return (src) => {
    let t = w[d];
    for (let j = 0; j < d; j++) t += ((src[j] - mean[j]) / sd[j]) * w[j];
    return t;
  };
}

/** Solves H x = g for a symmetric positive definite H (p × p) by Cholesky. */
function solveSpd(h: Float64Array, g: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let s = h[j * p + j];
    for (let k = 0; k < j; k++) s -= l[j * p + k] ** 2;
    l[j * p + j] = Math.sqrt(Math.max(s, 1e-12));
    for (let i = j + 1; i < p; i++) {
      let t = h[i * p + j];
      for (let k = 0; k < j; k++) t -= l[i * p + k] * l[j * p + k];
      l[i * p + j] = t / l[j * p + j];
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let t = g[i];
    for (let k = 0; k < i; k++) t -= l[i * p + k] * y[k];
    y[i] = t / l[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let t = y[i];
    for (let k = i + 1; k < p; k++) t -= l[k * p + i] * x[k];
    x[i] = t / l[i * p + i];
  }
  return x;
}

/**
 * The probe on codes [count, dims] (row-major) with s per row (−1: unknown, left out) and the split per row
 * (0 train, 1 test): fitted on the training rows, scored on the test rows.
 */
export function privateProbeAuc(codes: ArrayLike<number>, dims: number, s: ArrayLike<number>, split: ArrayLike<number>, values: number): PrivateProbe {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] < 0) continue;
    if (split[i] === 0) train.push(i);
    else if (split[i] === 1) test.push(i);
  }
  const rows = (idx: number[]) => {
    const out = new Float64Array(idx.length * dims);
    idx.forEach((i, k) => {
      for (let j = 0; j < dims; j++) out[k * dims + j] = codes[i * dims + j];
    });
    return out;
  };
  const xTrain = rows(train);
  const xTest = rows(test);
  // binary s: one probe (value 1 against 0); more values: one against the rest, each
  const targets = values === 2 ? [1] : Array.from({ length: values }, (_, k) => k);
  const perValue = targets.map((k) => {
    const yTrain = Uint8Array.from(train, (i) => (s[i] === k ? 1 : 0));
    const yTest = Uint8Array.from(test, (i) => (s[i] === k ? 1 : 0));
    const positives = (y: Uint8Array) => y.reduce((a, v) => a + v, 0);
    if (positives(yTrain) === 0 || positives(yTrain) === train.length || positives(yTest) === 0 || positives(yTest) === test.length) return null;
    const score = fitLogistic(xTrain, yTrain, train.length, dims);
    const scores = test.map((_, k2) => score(xTest.subarray(k2 * dims, (k2 + 1) * dims)));
    return auc(scores, yTest);
  });
  const known = perValue.filter((v): v is number => v !== null);
  return { auc: known.length ? known.reduce((a, v) => a + v, 0) / known.length : null, perValue, train: train.length, test: test.length, dims };
}
