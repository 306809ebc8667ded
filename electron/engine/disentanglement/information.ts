// Discretisation, entropy and mutual information as disentanglement_lib computes them for MIG:
// each latent mean is cut into 20 equal-width bins between its minimum and maximum
// (np.histogram + np.digitize), and MI is sklearn's mutual_info_score (natural log) of the labels.

export const MIG_BINS = 20;

/** Bin index 0..bins-1 of each value over equal-width bins spanning [min, max]; the maximum falls in the last bin. */
export function equalWidthBins(values: ArrayLike<number>, bins = MIG_BINS): { codes: Int32Array; levels: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const codes = new Int32Array(values.length);
  const width = (hi - lo) / bins;
  if (!(width > 0)) return { codes, levels: 1 };
  for (let i = 0; i < values.length; i++) codes[i] = Math.min(bins - 1, Math.floor((values[i] - lo) / width));
  return { codes, levels: bins };
}

/** Entropy (nats) of integer labels 0..levels-1. */
export function entropy(codes: Int32Array, levels: number): number {
  const counts = new Float64Array(levels);
  for (const c of codes) counts[c]++;
  let h = 0;
  const n = codes.length;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/** Mutual information (nats) of two label arrays of equal length. */
export function mutualInformation(a: Int32Array, levelsA: number, b: Int32Array, levelsB: number): number {
  const n = a.length;
  const joint = new Float64Array(levelsA * levelsB);
  const pa = new Float64Array(levelsA);
  const pb = new Float64Array(levelsB);
  for (let i = 0; i < n; i++) {
    joint[a[i] * levelsB + b[i]]++;
    pa[a[i]]++;
    pb[b[i]]++;
  }
  let mi = 0;
  for (let x = 0; x < levelsA; x++) {
    if (pa[x] === 0) continue;
    for (let y = 0; y < levelsB; y++) {
      const j = joint[x * levelsB + y];
      if (j > 0) mi += (j / n) * Math.log((j * n) / (pa[x] * pb[y]));
    }
  }
  return Math.max(0, mi);
}

/**
 * Area under the ROC curve of `scores` separating positives (labels 1) from negatives (0), by the
 * rank-sum (Mann–Whitney) formula with tied scores sharing their average rank.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i] - scores[j]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]] === 1) {
      rankSumPos += rank;
      pos++;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
