// Seed agreement, in the spirit of UDR (Duan et al. 2020): two runs with the same settings but
// different seeds encode the same images; their active dimensions are paired one-to-one so that the
// summed absolute Spearman correlation is largest, and the agreement is that sum divided by the
// larger number of active dimensions (an unmatched active dimension counts 0).
//
// What it can tell: whether the runs found the same axes (up to sign and order), which disentangled
// models tend to do and entangled ones do not. What it cannot: whether those axes are meaningful
// factors — two runs can agree on the same entangled rotation, and it needs no ground truth, so it
// is a hint for choosing settings, not a measure of disentanglement.
import { bestMatching } from './matching.ts';

/** Ranks (1..n, ties averaged) of the values. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export { bestMatching };

export interface SeedAgreement {
  /** 0..1: summed |Spearman ρ| of the matched active dimensions over the larger active count. */
  agreement: number;
  activeA: number;
  activeB: number;
  /** Matched dimension indices (into each run's latent) with their |ρ|. */
  pairs: { a: number; b: number; rho: number }[];
}

/**
 * Agreement of two runs' latent means of the same `count` images ([count × dims] each), using the
 * dimensions listed as active in each.
 */
export function seedAgreement(meansA: Float32Array, dimsA: number, activeA: number[], meansB: Float32Array, dimsB: number, activeB: number[], count: number): SeedAgreement {
  const rank = (means: Float32Array, dims: number, j: number) => ranks(Float64Array.from({ length: count }, (_, i) => means[i * dims + j]));
  const ra = activeA.map((j) => rank(meansA, dimsA, j));
  const rb = activeB.map((j) => rank(meansB, dimsB, j));
  const score = ra.map((x) => rb.map((y) => Math.abs(pearson(x, y))));
  const { pairs } = bestMatching(score);
  const larger = Math.max(activeA.length, activeB.length);
  const total = pairs.reduce((s, [r, c]) => s + score[r][c], 0);
  return {
    agreement: larger ? total / larger : 0,
    activeA: activeA.length,
    activeB: activeB.length,
    pairs: pairs.map(([r, c]) => ({ a: activeA[r], b: activeB[c], rho: score[r][c] })),
  };
}

/** The first epoch at which each dimension's test KL exceeds `threshold` nats (null: never). */
export function switchOnEpochs(history: { epoch: number; testKlPerDim?: number[] }[], latent: number, threshold = 0.1): (number | null)[] {
  return Array.from({ length: latent }, (_, d) => history.find((h) => (h.testKlPerDim?.[d] ?? 0) > threshold)?.epoch ?? null);
}
