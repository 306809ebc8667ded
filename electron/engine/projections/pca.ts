// Principal component analysis over typed arrays (pure TS: runs in Node, worker threads and Web Workers).
// Used for the t-SNE initialisation (dim -> 2) and to reduce images to PCA-50 before t-SNE.
//
// Covariance (D x D, float64) accumulated row by row skipping zero entries (image pixels are mostly 0,
// so the covariance of 10,000 MNIST digits costs ~1e8 multiply-adds instead of 3e9), then a full
// symmetric eigensolver. Very wide inputs (D > 2048) use randomized subspace iteration instead.

export interface PcaResult {
  /** N x components, row-major. */
  projected: Float32Array;
  /** components x D, row-major, unit length, sign fixed so the largest |loading| is positive. */
  components: Float64Array;
  /** Variance along each component (eigenvalues of the covariance), descending. */
  variances: Float64Array;
  /** Per-dimension mean of the input. */
  mean: Float64Array;
  /** Total variance of the input (trace of the covariance). */
  totalVariance: number;
}

type NumericArray = ArrayLike<number>;

/** Mean and covariance (divided by N) of an N x D row-major matrix. */
export function covariance(data: NumericArray, n: number, dim: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 1) throw new Error('PCA needs at least one row');
  if (data.length < n * dim) throw new Error(`PCA: data has ${data.length} values, expected ${n}x${dim}`);
  const mean = new Float64Array(dim);
  const cov = new Float64Array(dim * dim);
  const idx = new Int32Array(dim);
  const val = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    const base = r * dim;
    let nnz = 0;
    for (let c = 0; c < dim; c++) {
      const v = data[base + c];
      if (v !== 0) {
        idx[nnz] = c;
        val[nnz] = v;
        nnz++;
        mean[c] += v;
      }
    }
    // Upper triangle of the raw second moment, only over the nonzero entries of this row.
    if (nnz === dim) {
      for (let a = 0; a < dim; a++) {
        const va = val[a];
        const rowOff = a * dim;
        for (let b = a; b < dim; b++) cov[rowOff + b] += va * val[b];
      }
    } else {
      for (let a = 0; a < nnz; a++) {
        const va = val[a];
        const rowOff = idx[a] * dim;
        for (let b = a; b < nnz; b++) cov[rowOff + idx[b]] += va * val[b];
      }
    }
  }
  for (let c = 0; c < dim; c++) mean[c] /= n;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / n - mean[a] * mean[b];
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { mean, cov };
}

/**
 * All eigenpairs of a symmetric D x D matrix: Householder tridiagonalisation then the implicit QL
 * algorithm (tred2/tql2 as in JAMA, public domain). O(D^3): ~1 s for D = 784 in JS.
 * Returns eigenvalues descending and eigenvectors as rows (D x D).
 */
export function symmetricEigen(matrix: Float64Array, size: number): { values: Float64Array; vectors: Float64Array } {
  const n = size;
  const V = Float64Array.from(matrix); // row-major, becomes the eigenvectors (columns)
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // tred2
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // tql2
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = Math.pow(2, -52);
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      for (let iter = 0; iter < 100; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            const vk1 = V[k * n + i + 1];
            const vk = V[k * n + i];
            V[k * n + i + 1] = s * vk + c * vk1;
            V[k * n + i] = c * vk - s * vk1;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    for (let k = 0; k < n; k++) vectors[dst * n + k] = V[k * n + src];
  });
  return { values, vectors };
}

/** Orthonormalise the columns of a D x m matrix in place (modified Gram-Schmidt, twice for stability). */
function orthonormalise(q: Float64Array, dim: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += q[k * m + i] * q[k * m + j];
        for (let k = 0; k < dim; k++) q[k * m + j] -= dot * q[k * m + i];
      }
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += q[k * m + j] * q[k * m + j];
      norm = Math.sqrt(norm);
      if (norm < 1e-300) {
        for (let k = 0; k < dim; k++) q[k * m + j] = k === j % dim ? 1 : 0;
      } else {
        for (let k = 0; k < dim; k++) q[k * m + j] /= norm;
      }
    }
  }
}

/** Sign convention shared by both paths: the largest |loading| of each component is positive. */
function fixSigns(vectors: Float64Array, count: number, dim: number): void {
  for (let j = 0; j < count; j++) {
    let best = 0;
    for (let k = 1; k < dim; k++) if (Math.abs(vectors[j * dim + k]) > Math.abs(vectors[j * dim + best])) best = k;
    if (vectors[j * dim + best] < 0) for (let k = 0; k < dim; k++) vectors[j * dim + k] = -vectors[j * dim + k];
  }
}

/** Above this dimension the D x D covariance is too big; PCA uses randomized subspace iteration on the data. */
export const EXACT_PCA_MAX_DIM = 2048;

/**
 * Randomized PCA (Halko et al. 2011): a few power iterations of X^T X on a random subspace of
 * components + 10 columns. Approximate for the trailing components; used only for very wide inputs.
 */
function randomizedPca(data: NumericArray, n: number, dim: number, count: number, mean: Float64Array): { values: Float64Array; vectors: Float64Array } {
  const m = Math.min(dim, n, count + 10);
  let q: Float64Array = new Float64Array(dim * m);
  let seed = 12345;
  for (let i = 0; i < q.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    q[i] = seed / 4294967296 - 0.5;
  }
  orthonormalise(q, dim, m);
  const xq = new Float64Array(m);
  const centred = new Float64Array(dim);
  const applyCov = (src: Float64Array): Float64Array => {
    const out = new Float64Array(dim * m);
    for (let r = 0; r < n; r++) {
      const base = r * dim;
      for (let c = 0; c < dim; c++) centred[c] = data[base + c] - mean[c];
      xq.fill(0);
      for (let c = 0; c < dim; c++) {
        const v = centred[c];
        if (v === 0) continue;
        for (let j = 0; j < m; j++) xq[j] += v * src[c * m + j];
      }
      for (let c = 0; c < dim; c++) {
        const v = centred[c];
        if (v === 0) continue;
        for (let j = 0; j < m; j++) out[c * m + j] += v * xq[j];
      }
    }
    for (let i = 0; i < out.length; i++) out[i] /= n;
    return out;
  };
  for (let iter = 0; iter < 8; iter++) {
    q = applyCov(q);
    orthonormalise(q, dim, m);
  }
  const cq = applyCov(q);
  const small = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[k * m + i] * cq[k * m + j];
      small[i * m + j] = s;
    }
  }
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) small[i * m + j] = small[j * m + i] = (small[i * m + j] + small[j * m + i]) / 2;
  const eig = symmetricEigen(small, m);
  const values = new Float64Array(count);
  const vectors = new Float64Array(count * dim);
  for (let j = 0; j < count; j++) {
    values[j] = Math.max(eig.values[j], 0);
    for (let k = 0; k < dim; k++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += q[k * m + i] * eig.vectors[j * m + i];
      vectors[j * dim + k] = s;
    }
  }
  return { values, vectors };
}

/** Project N x D data onto its top `components` principal axes. */
export function pca(data: NumericArray, n: number, dim: number, components: number): PcaResult {
  if (!Number.isInteger(components) || components < 1) throw new Error('PCA: components must be a positive integer');
  if (components > dim) throw new Error(`PCA: cannot take ${components} components of ${dim}-D data`);
  if (n < 1) throw new Error('PCA needs at least one row');
  if (data.length < n * dim) throw new Error(`PCA: data has ${data.length} values, expected ${n}x${dim}`);
  let mean: Float64Array;
  let totalVariance = 0;
  let values: Float64Array;
  let vectors: Float64Array;
  if (dim <= EXACT_PCA_MAX_DIM) {
    const moments = covariance(data, n, dim);
    mean = moments.mean;
    for (let c = 0; c < dim; c++) totalVariance += moments.cov[c * dim + c];
    const eig = symmetricEigen(moments.cov, dim);
    values = eig.values.slice(0, components).map((v) => Math.max(v, 0));
    vectors = eig.vectors.slice(0, components * dim);
  } else {
    mean = new Float64Array(dim);
    for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c];
    for (let c = 0; c < dim; c++) mean[c] /= n;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < dim; c++) {
        const v = data[r * dim + c] - mean[c];
        totalVariance += v * v;
      }
    }
    totalVariance /= n;
    ({ values, vectors } = randomizedPca(data, n, dim, components, mean));
  }
  fixSigns(vectors, components, dim);
  const projected = new Float32Array(n * components);
  const centred = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    const base = r * dim;
    for (let c = 0; c < dim; c++) centred[c] = data[base + c] - mean[c];
    for (let j = 0; j < components; j++) {
      const vo = j * dim;
      let s = 0;
      for (let c = 0; c < dim; c++) s += centred[c] * vectors[vo + c];
      projected[r * components + j] = s;
    }
  }
  return { projected, components: vectors, variances: values, mean, totalVariance };
}
