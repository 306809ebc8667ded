// Exact k-nearest neighbours: both fast methods (VP tree, blocked brute force) against a plain
// brute-force search, on random data and on PCA-50 of the bundled digits.
import { beforeAll, describe, expect, it } from 'vitest';
import { knnAll, knnBlocked, knnBruteForce, type KnnResult } from '../../electron/engine/projections/knn.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

function randomData(n: number, dim: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
}

function expectSameNeighbours(got: KnnResult, want: KnnResult): void {
  expect(got.k).toBe(want.k);
  // Continuous random data has no ties, so the neighbour lists must be identical.
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
  let worst = 0;
  for (let i = 0; i < want.distances.length; i++) worst = Math.max(worst, Math.abs(got.distances[i] - want.distances[i]) / Math.max(want.distances[i], 1e-12));
  expect(worst).toBeLessThan(1e-9);
}

let digits: Float32Array;
beforeAll(() => {
  const ds = loadSampleMnist();
  const n = 1200;
  digits = pca(ds.images.pixels.subarray(0, n * 784), n, 784, 50).projected;
});

describe('exact kNN', () => {
  it('VP tree finds the same neighbours as brute force (random 5-D and 2-D data)', () => {
    for (const [n, dim, k] of [
      [700, 5, 15],
      [900, 2, 10],
    ]) {
      const x = randomData(n, dim, n + dim);
      expectSameNeighbours(knnAll(x, n, dim, k, 1, undefined, 'vptree'), knnBruteForce(x, n, dim, k));
    }
  });

  it('VP tree and blocked search match brute force on PCA-50 digits with k = 90', () => {
    const n = 1200;
    const want = knnBruteForce(digits, n, 50, 90);
    expectSameNeighbours(knnAll(digits, n, 50, 90, 3, undefined, 'vptree'), want);
    expectSameNeighbours(knnBlocked(digits, n, 50, 90), want);
    expectSameNeighbours(knnAll(digits, n, 50, 90), want);
  });

  it('blocked search handles N not a multiple of its 4 x 4 tiles', () => {
    const n = 203;
    const x = randomData(n, 7, 9);
    expectSameNeighbours(knnBlocked(x, n, 7, 12), knnBruteForce(x, n, 7, 12));
  });

  it('lists neighbours nearest first, never the point itself, and keeps exact duplicates at distance 0', () => {
    const n = 300;
    const x = randomData(n, 3, 4);
    x.set(x.subarray(0, 3), 3 * 17); // row 17 duplicates row 0
    for (const method of ['vptree', 'blocked'] as const) {
      const r = knnAll(x, n, 3, 8, 1, undefined, method);
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < 8; t++) {
          expect(r.indices[i * 8 + t]).not.toBe(i);
          if (t > 0) expect(r.distances[i * 8 + t]).toBeGreaterThanOrEqual(r.distances[i * 8 + t - 1]);
        }
      }
      expect(r.indices[0]).toBe(17);
      expect(r.distances[0]).toBe(0);
      expect(r.indices[17 * 8]).toBe(0);
    }
  });

  it('gives the same neighbours whatever the seed of the vantage points', () => {
    const n = 500;
    const x = randomData(n, 4, 11);
    expect(Array.from(knnAll(x, n, 4, 10, 1, undefined, 'vptree').indices)).toEqual(Array.from(knnAll(x, n, 4, 10, 99, undefined, 'vptree').indices));
  });

  it('refuses k >= N', () => {
    const x = randomData(10, 2, 1);
    expect(() => knnAll(x, 10, 2, 10)).toThrow(/asked for 10 neighbours of 10 points/);
  });

  it('stops when the signal is aborted', () => {
    const x = randomData(3000, 10, 2);
    expect(() => knnAll(x, 3000, 10, 30, 1, { aborted: true })).toThrow(/cancelled/);
    expect(() => knnBlocked(x, 3000, 10, 30, { aborted: true })).toThrow(/cancelled/);
  });
});
