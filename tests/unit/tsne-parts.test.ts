// The pieces of the fast t-SNE: perplexity calibration, the symmetric sparse P, PCA, the tree
// repulsion against the exact O(N^2) sums, and the vectors CSV format of `latent-explorer embed`.
import { beforeAll, describe, expect, it } from 'vitest';
import { conditionalAffinities, symmetrise } from '../../electron/engine/projections/affinities.ts';
import { knnAll, knnBruteForce } from '../../electron/engine/projections/knn.ts';
import { covariance, pca, symmetricEigen } from '../../electron/engine/projections/pca.ts';
import { DualTreeRepulsion, repulsionExact } from '../../electron/engine/projections/repulsion.ts';
import { formatCoordsCsv, parseVectorsCsv, splitCsvLine } from '../../electron/engine/projections/vectors-csv.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

let digits: Float32Array; // PCA-50 of the first 1,000 sample digits
const N = 1000;
beforeAll(() => {
  const ds = loadSampleMnist();
  digits = pca(ds.images.pixels.subarray(0, N * 784), N, 784, 50).projected;
});

describe('perplexity calibration', () => {
  it.each([5, 30, 50])('gives every row an entropy of log(perplexity) within 1e-3 (perplexity %d)', (perplexity) => {
    const k = Math.min(N - 1, 3 * perplexity);
    const cond = conditionalAffinities(knnAll(digits, N, 50, k), perplexity);
    let worst = 0;
    for (let i = 0; i < N; i++) {
      let sum = 0;
      let h = 0;
      for (let t = 0; t < k; t++) {
        const p = cond.values[i * k + t];
        sum += p;
        if (p > 0) h -= p * Math.log(p);
      }
      expect(sum).toBeCloseTo(1, 12);
      worst = Math.max(worst, Math.abs(h - Math.log(perplexity)));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('calibrates rows at very different scales (raw pixels, distances ~1e6)', () => {
    const ds = loadSampleMnist();
    const n = 300;
    const x = ds.images.pixels.subarray(0, n * 784);
    const cond = conditionalAffinities(knnBruteForce(x, n, 784, 90), 30);
    for (let i = 0; i < n; i++) expect(Math.abs(cond.entropies[i] - Math.log(30))).toBeLessThan(1e-3);
  });

  it('symmetrises to P = (P_cond + P_cond^T) / 2N, summing to 1, each pair stored once', () => {
    const k = 90;
    const cond = conditionalAffinities(knnAll(digits, N, 50, k), 30);
    const P = symmetrise(cond);
    const dense = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let t = 0; t < k; t++) dense[i * N + cond.indices[i * k + t]] += cond.values[i * k + t];
    let total = 0;
    let worst = 0;
    let misordered = 0;
    const seen = new Set<number>();
    for (let t = 0; t < P.values.length; t++) {
      const i = P.rowI[t];
      const j = P.rowJ[t];
      if (i >= j) misordered++;
      seen.add(i * N + j);
      worst = Math.max(worst, Math.abs(P.values[t] - (dense[i * N + j] + dense[j * N + i]) / (2 * N)));
      total += 2 * P.values[t];
    }
    expect(misordered).toBe(0);
    expect(seen.size).toBe(P.values.length);
    expect(worst).toBeLessThan(1e-18);
    expect(total).toBeCloseTo(1, 10);
    // Every nonzero of the dense matrix is a stored pair.
    let nonzero = 0;
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) if (dense[i * N + j] + dense[j * N + i] > 0) nonzero++;
    expect(P.values.length).toBe(nonzero);
    // The CSR view covers the same pairs.
    let outside = 0;
    for (let i = 0; i < N; i++) for (let t = P.rowStart[i]; t < P.rowStart[i + 1]; t++) if (P.rowI[t] !== i) outside++;
    expect(outside).toBe(0);
    expect(P.rowStart[N]).toBe(P.values.length);
  });
});

describe('PCA', () => {
  it('recovers the axes and variances of correlated Gaussian data', () => {
    const rand = mulberry32(3);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const n = 4000;
    const dim = 5;
    const stds = [5, 3, 1, 0.5, 0.1];
    // Rotate the axis-aligned data by a fixed orthogonal matrix (eigenvectors of a symmetric matrix).
    const sym = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) for (let j = i; j < dim; j++) sym[i * dim + j] = sym[j * dim + i] = Math.sin(3 * i + 7 * j + 1);
    const R = symmetricEigen(sym, dim).vectors; // rows orthonormal
    const data = new Float64Array(n * dim);
    for (let r = 0; r < n; r++) {
      const z = stds.map((s) => s * gauss());
      for (let c = 0; c < dim; c++) {
        let v = 10; // offset: PCA must centre
        for (let a = 0; a < dim; a++) v += z[a] * R[a * dim + c];
        data[r * dim + c] = v;
      }
    }
    const result = pca(data, n, dim, 3);
    for (let j = 0; j < 3; j++) {
      expect(Math.sqrt(result.variances[j]) / stds[j]).toBeGreaterThan(0.95);
      expect(Math.sqrt(result.variances[j]) / stds[j]).toBeLessThan(1.05);
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += result.components[j * dim + c] * R[j * dim + c];
      expect(Math.abs(dot)).toBeGreaterThan(0.99);
    }
    // Projections are centred and their variance is the eigenvalue.
    for (let j = 0; j < 3; j++) {
      let m = 0;
      let v = 0;
      for (let r = 0; r < n; r++) m += result.projected[r * 3 + j];
      m /= n;
      for (let r = 0; r < n; r++) v += (result.projected[r * 3 + j] - m) ** 2;
      expect(Math.abs(m)).toBeLessThan(1e-3 * stds[0]);
      expect(v / n).toBeCloseTo(result.variances[j], 2);
    }
  });

  it('matches the covariance eigen-decomposition on sparse pixel data, with a repeatable sign', () => {
    // The central 16 x 16 crop of 500 digits: mostly zeros, like the images PCA-50 is taken of.
    const ds = loadSampleMnist();
    const n = 500;
    const D = 256;
    const x = new Uint8Array(n * D);
    for (let r = 0; r < n; r++) for (let py = 0; py < 16; py++) for (let px = 0; px < 16; px++) x[r * D + py * 16 + px] = ds.images.pixels[r * 784 + (py + 6) * 28 + px + 6];
    const { cov } = covariance(x, n, D);
    const a = pca(x, n, D, 4);
    for (let j = 0; j < 4; j++) {
      // C v = lambda v
      let err = 0;
      for (let r = 0; r < D; r++) {
        let s = 0;
        for (let c = 0; c < D; c++) s += cov[r * D + c] * a.components[j * D + c];
        err = Math.max(err, Math.abs(s - a.variances[j] * a.components[j * D + r]));
      }
      expect(err / a.variances[j]).toBeLessThan(1e-8);
    }
    expect(a.variances[0]).toBeGreaterThan(a.variances[1]);
    expect(Array.from(pca(x, n, D, 2).projected)).toEqual(Array.from(a.projected.filter((_, i) => i % 4 < 2)));
  });

  it('falls back to randomized PCA for very wide data and still finds the top variances', () => {
    // 120 rows of 2,100 dimensions (above the exact limit): rank-3 signal plus small noise. The
    // covariance's nonzero eigenvalues are those of the centred Gram matrix / N (120 x 120, exact).
    const n = 120;
    const dim = 2100;
    const rand = mulberry32(8);
    const basis = Array.from({ length: 3 }, () => Float64Array.from({ length: dim }, () => rand() - 0.5));
    const data = new Float32Array(n * dim);
    for (let r = 0; r < n; r++) {
      const w = [8 * (rand() - 0.5), 4 * (rand() - 0.5), 2 * (rand() - 0.5)];
      for (let c = 0; c < dim; c++) data[r * dim + c] = w[0] * basis[0][c] + w[1] * basis[1][c] + w[2] * basis[2][c] + 0.01 * (rand() - 0.5);
    }
    const mean = new Float64Array(dim);
    for (let r = 0; r < n; r++) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c] / n;
    const gram = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = a; b < n; b++) {
        let s = 0;
        for (let c = 0; c < dim; c++) s += (data[a * dim + c] - mean[c]) * (data[b * dim + c] - mean[c]);
        gram[a * n + b] = gram[b * n + a] = s / n;
      }
    }
    const exact = symmetricEigen(gram, n).values;
    const result = pca(data, n, dim, 3);
    for (let j = 0; j < 3; j++) expect(result.variances[j] / exact[j]).toBeCloseTo(1, 6);
  });
});

describe('tree repulsion', () => {
  function relativeErrors(y: Float64Array, n: number, theta: number) {
    const exact = new Float64Array(2 * n);
    const { sumQ: zExact } = repulsionExact(y, n, exact);
    const approx = new Float64Array(2 * n);
    const { sumQ } = new DualTreeRepulsion(n, theta).compute(y, approx);
    let num = 0;
    let den = 0;
    for (let i = 0; i < 2 * n; i++) {
      num += (approx[i] - exact[i]) ** 2;
      den += exact[i] ** 2;
    }
    return { z: Math.abs(sumQ - zExact) / zExact, force: Math.sqrt(num / den) };
  }

  it('matches the exact forces and normaliser on a clustered layout, more closely as theta shrinks', () => {
    const rand = mulberry32(7);
    const n = 3000;
    const y = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = i % 10;
      y[2 * i] = 30 * Math.cos(c) + 4 * (rand() - 0.5) * (1 + (c % 3));
      y[2 * i + 1] = 30 * Math.sin(c) + 4 * (rand() - 0.5);
    }
    const loose = relativeErrors(y, n, 0.8);
    const tight = relativeErrors(y, n, 0.3);
    expect(loose.z).toBeLessThan(1e-2);
    expect(loose.force).toBeLessThan(0.1);
    expect(tight.z).toBeLessThan(5e-4);
    expect(tight.force).toBeLessThan(1e-2);
    expect(tight.force).toBeLessThan(loose.force / 4);
  });

  it('is exact for theta = 0 and handles coincident points', () => {
    const n = 200;
    const rand = mulberry32(1);
    const y = Float64Array.from({ length: 2 * n }, () => rand());
    y.fill(0.5, 0, 40); // 20 points on top of each other
    const e = relativeErrors(y, n, 0);
    expect(e.z).toBeLessThan(1e-12);
    expect(e.force).toBeLessThan(1e-12);
  });

  it('errors shrink with the cube of the cells\' size (second-order expansions)', () => {
    // Two clusters of 8 points: one cell-cell interaction; the error of its expansion is O(size^3).
    const rand = mulberry32(5);
    const base = Array.from({ length: 32 }, () => rand() - 0.5);
    const errors = [0.4, 0.2].map((size) => {
      const y = new Float64Array(32);
      for (let i = 0; i < 16; i++) {
        const c = i < 8 ? 0 : 1;
        y[2 * i] = 10 * c + size * base[2 * i];
        y[2 * i + 1] = 3 * c + size * base[2 * i + 1];
      }
      const exact = new Float64Array(32);
      const zx = repulsionExact(y, 16, exact).sumQ;
      const approx = new Float64Array(32);
      const z = new DualTreeRepulsion(16, 0.99).compute(y, approx).sumQ;
      // Cross-cluster force error only: the within-cluster sums are exact in both.
      let err = 0;
      for (let i = 0; i < 32; i++) err = Math.max(err, Math.abs(approx[i] - exact[i]));
      return { z: Math.abs(z - zx), force: err };
    });
    expect(errors[0].z / errors[1].z).toBeGreaterThan(6);
    expect(errors[0].force / errors[1].force).toBeGreaterThan(6);
  });
});

describe('vectors CSV', () => {
  it('reads a header with a label column anywhere, and quoted labels', () => {
    const t = parseVectorsCsv('a,label,b\n1,"cat, big",2\n3.5,dog,-4e-2\r\n\n');
    expect(t.n).toBe(2);
    expect(t.dim).toBe(2);
    expect(Array.from(t.data)).toEqual([1, 2, 3.5, Math.fround(-0.04)]);
    expect(t.labels).toEqual(['cat, big', 'dog']);
    expect(t.columns).toEqual(['a', 'b']);
  });

  it('reads headerless numbers', () => {
    const t = parseVectorsCsv('1,2,3\n4,5,6\n');
    expect([t.n, t.dim, t.labels, t.columns]).toEqual([2, 3, null, null]);
  });

  it('names the line and the reason for bad input', () => {
    expect(() => parseVectorsCsv('')).toThrow(/empty/);
    expect(() => parseVectorsCsv('x,y\n1,2\n3\n')).toThrow(/line 3: 1 values, expected 2/);
    expect(() => parseVectorsCsv('1,2\n3,abc\n')).toThrow(/line 2, column 2: 'abc' is not a number \(a label column needs a header/);
    expect(() => parseVectorsCsv('x,label\n1,a\n,b\n')).toThrow(/line 3, column 1: '' is not a number/);
    expect(() => parseVectorsCsv('x,y\n')).toThrow(/header but no vectors/);
    expect(() => parseVectorsCsv('label\na\n')).toThrow(/no vector columns/);
    expect(() => splitCsvLine('"open,1')).toThrow(/unclosed quote/);
  });

  it('writes x,y,label and quotes labels that need it', () => {
    const text = formatCoordsCsv(new Float32Array([1.5, -2, 0.25, 3]), 2, ['a', 'say "hi", ok']);
    expect(text).toBe('x,y,label\n1.500000,-2.000000,a\n0.2500000,3.000000,"say ""hi"", ok"\n');
    const round = parseVectorsCsv(text);
    expect(round.labels).toEqual(['a', 'say "hi", ok']);
    expect(Array.from(round.data)).toEqual([1.5, -2, 0.25, 3]);
  });
});
