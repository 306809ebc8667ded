// The mean correlation coefficient of the iVAE paper (Khemakhem et al. 2020): the absolute Pearson
// correlation between every true source and every code dimension, then the matching of sources to
// dimensions that maximises the mean of the matched correlations (an exact assignment by dynamic
// programming over subsets), and that mean. 1: each source is exactly one dimension up to scale and sign.

/** |Pearson correlation| between column i of a [n x p] and column j of b [n x q], as a p x q matrix. */
export function absCorrelations(a: ArrayLike<number>, p: number, b: ArrayLike<number>, q: number, n: number): Float64Array {
  const stats = (x: ArrayLike<number>, d: number) => {
    const mean = new Float64Array(d);
    const sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2;
    for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]);
    return { mean, sd };
  };
  const sa = stats(a, p);
  const sb = stats(b, q);
  const out = new Float64Array(p * q);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const da = a[i * p + j] - sa.mean[j];
      for (let k = 0; k < q; k++) out[j * q + k] += da * (b[i * q + k] - sb.mean[k]);
    }
  for (let j = 0; j < p; j++) for (let k = 0; k < q; k++) out[j * q + k] = sa.sd[j] > 0 && sb.sd[k] > 0 ? Math.abs(out[j * q + k] / (sa.sd[j] * sb.sd[k])) : 0;
  return out;
}

/**
 * MCC of codes [n x q] against sources [n x p] (q ≥ p, at most 16 code dimensions): the best one-to-one
 * matching of sources to code dimensions and the mean |correlation| over it.
 */
export function meanCorrelationCoefficient(sources: ArrayLike<number>, p: number, codes: ArrayLike<number>, q: number, n: number): { mcc: number; matching: number[] } {
  if (q < p) throw new Error(`MCC: ${q} code dimensions cannot match ${p} sources`);
  if (q > 16) throw new Error(`MCC: at most 16 code dimensions (got ${q})`);
  const c = absCorrelations(sources, p, codes, q, n);
  // best[mask]: the largest sum matching sources 0..popcount(mask)-1 to the dimensions in mask
  const size = 1 << q;
  const best = new Float64Array(size).fill(-Infinity);
  const from = new Int32Array(size).fill(-1);
  best[0] = 0;
  for (let mask = 0; mask < size; mask++) {
    if (best[mask] === -Infinity) continue;
    let j = 0;
    for (let m = mask; m; m &= m - 1) j++;
    if (j >= p) continue;
    for (let k = 0; k < q; k++) {
      if (mask & (1 << k)) continue;
      const next = mask | (1 << k);
      const v = best[mask] + c[j * q + k];
      if (v > best[next]) {
        best[next] = v;
        from[next] = k;
      }
    }
  }
  let bestMask = -1;
  for (let mask = 0; mask < size; mask++) {
    let bits = 0;
    for (let m = mask; m; m &= m - 1) bits++;
    if (bits === p && (bestMask < 0 || best[mask] > best[bestMask])) bestMask = mask;
  }
  const matching = new Array<number>(p);
  for (let mask = bestMask, j = p - 1; j >= 0; j--) {
    matching[j] = from[mask];
    mask &= ~(1 << from[mask]);
  }
  return { mcc: best[bestMask] / p, matching };
}
