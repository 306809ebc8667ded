// The mean correlation coefficient of the iVAE paper (Khemakhem et al. 2020): the absolute Pearson
// correlation between every true source and every code dimension, then the matching of sources to
// dimensions that maximises the mean of the matched correlations (an exact assignment by dynamic
// programming over subsets, matching.ts), and that mean. 1: each source is exactly one dimension up to scale and sign.
import { bestMatching } from './matching.ts';

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
  const score = Array.from({ length: p }, (_, j) => Array.from(c.subarray(j * q, (j + 1) * q)));
  const { pairs, total } = bestMatching(score);
  const matching = new Array<number>(p);
  for (const [source, dim] of pairs) matching[source] = dim;
  return { mcc: total / p, matching };
}
