// Approximate kNN (random-projection forest + NN-descent), which t-SNE uses from 5,000 points:
// its recall against the exact search, well-formed neighbour lists, and degenerate inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import { knnApprox, knnRecall, DEFAULT_APPROX } from '../../electron/engine/projections/knn-approx.ts';
import { knnBruteForce, knnAll } from '../../electron/engine/projections/knn.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

const N = 2000;
let digits: Float32Array;
beforeAll(() => {
  const ds = loadSampleMnist();
  digits = pca(ds.images.pixels.subarray(0, N * 784), N, 784, 50).projected;
});

describe('approximate kNN', () => {
  it('finds most of the exact 90 nearest neighbours of PCA-50 digits, and NN-descent adds to the forest', () => {
    const exact = knnAll(digits, N, 50, 90, 1, undefined, 'blocked');
    const forestOnly = knnRecall(knnApprox(digits, N, 50, 90, 1, undefined, { ...DEFAULT_APPROX, rounds: 0 }), exact);
    const refined = knnRecall(knnApprox(digits, N, 50, 90, 1), exact);
    expect(refined).toBeGreaterThan(0.85);
    expect(refined).toBeGreaterThan(forestOnly + 0.05);
  });

  it('lists k distinct neighbours nearest first, never the point itself, with their true distances', () => {
    const k = 30;
    const r = knnApprox(digits, N, 50, k, 2);
    for (let i = 0; i < N; i += 37) {
      const row = Array.from(r.indices.subarray(i * k, i * k + k));
      expect(new Set(row).size).toBe(k);
      expect(row).not.toContain(i);
      for (let t = 0; t < k; t++) {
        const j = row[t];
        let s = 0;
        for (let c = 0; c < 50; c++) s += (digits[i * 50 + c] - digits[j * 50 + c]) ** 2;
        expect(r.distances[i * k + t]).toBeCloseTo(s, 6);
        if (t > 0) expect(r.distances[i * k + t]).toBeGreaterThanOrEqual(r.distances[i * k + t - 1]);
      }
    }
  });

  it('is exact when every point fits in one leaf', () => {
    const rand = mulberry32(5);
    const n = 80;
    const x = Float32Array.from({ length: n * 6 }, () => rand());
    const got = knnApprox(x, n, 6, 12, 1);
    const want = knnBruteForce(x, n, 6, 12);
    expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
  });

  it('repeats with the same seed, and handles identical points', () => {
    const a = knnApprox(digits, N, 50, 15, 9);
    const b = knnApprox(digits, N, 50, 15, 9);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    const n = 500;
    const same = new Float32Array(n * 4).fill(0.5);
    const r = knnApprox(same, n, 4, 10, 1);
    for (let i = 0; i < n; i++) {
      const row = Array.from(r.indices.subarray(i * 10, i * 10 + 10));
      expect(new Set(row).size).toBe(10);
      expect(row).not.toContain(i);
    }
  });
});
