// The decoder in the loop: the latent code behind a place on the map. Exact for linear layouts (PCA,
// raw dimensions): z = mean + x * axis1 + y * axis2. For t-SNE and UMAP, which have no inverse, the
// codes of the nearest points on the map averaged with inverse-distance weights (the UI says
// "interpolated").

/** The code at (x, y) of a linear layout whose coords are (z − mean) · axes (axes: 2 × dim, row-major). */
export function linearInverse(axes: ArrayLike<number>, mean: ArrayLike<number>, dim: number, x: number, y: number): Float32Array {
  const z = new Float32Array(dim);
  for (let c = 0; c < dim; c++) z[c] = mean[c] + x * axes[c] + y * axes[dim + c];
  return z;
}

/** The code at (x, y) of the raw layout of dimensions dx, dy: the other dimensions from `base` (zeros by default). */
export function rawInverse(dim: number, dx: number, dy: number, x: number, y: number, base?: ArrayLike<number>): Float32Array {
  const z = base ? Float32Array.from(base) : new Float32Array(dim);
  z[dx] = x;
  z[dy] = y;
  return z;
}

export interface Interpolated {
  code: Float32Array;
  /** The points used, nearest first, and their weights (summing to 1). */
  neighbours: number[];
  weights: number[];
}

/**
 * The code at map position (x, y) from the `k` nearest of `candidates` (indices into points, N × 2)
 * weighted by 1 / distance^power; a place exactly on a point gives that point's code.
 */
export function interpolateCode(points: Float32Array, codes: Float32Array, dim: number, candidates: ArrayLike<number>, x: number, y: number, k = 8, power = 2): Interpolated | null {
  const best: { i: number; d: number }[] = [];
  for (let c = 0; c < candidates.length; c++) {
    const i = candidates[c];
    const dx = points[2 * i] - x;
    const dy = points[2 * i + 1] - y;
    const d = dx * dx + dy * dy;
    if (best.length < k) {
      best.push({ i, d });
      best.sort((a, b) => a.d - b.d);
    } else if (d < best[k - 1].d) {
      best[k - 1] = { i, d };
      best.sort((a, b) => a.d - b.d);
    }
  }
  if (!best.length) return null;
  const code = new Float32Array(dim);
  if (best[0].d === 0) {
    code.set(codes.subarray(best[0].i * dim, (best[0].i + 1) * dim));
    return { code, neighbours: [best[0].i], weights: [1] };
  }
  const raw = best.map((b) => 1 / Math.pow(Math.sqrt(b.d), power));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  best.forEach((b, n) => {
    for (let c = 0; c < dim; c++) code[c] += weights[n] * codes[b.i * dim + c];
  });
  return { code, neighbours: best.map((b) => b.i), weights };
}
