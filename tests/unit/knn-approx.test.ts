// Approximate kNN (random-projection forest + NN-descent), which t-SNE uses from 5,000 points:
// its recall against the exact search, well-formed neighbour lists, and degenerate inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CANDIDATES_STAGE,
  DEFAULT_APPROX,
  INPUT_ORDER_TREES_STAGE,
  FOREST_STAGE,
  fillApproxRows,
  knnApprox,
  knnApproxInStorageOrder,
  knnApproxShared,
  knnRecall,
  LARGE_APPROX,
  newApproxShared,
  RENUMBER_STAGE,
  runApproxStage,
  toInputOrder,
  type ApproxKnnHelper,
  type ApproxShared,
} from '../../electron/engine/projections/knn-approx.ts';
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

  it('takes from the forest exactly the k nearest of the points that share a leaf with each row', () => {
    const n = 1500;
    const k = 40;
    const options = { ...DEFAULT_APPROX, trees: 5, leafSize: 60 };
    const shared = newApproxShared(n, 50, k, options.trees);
    fillApproxRows(digits, shared.rows);
    for (const stage of [INPUT_ORDER_TREES_STAGE, RENUMBER_STAGE, FOREST_STAGE, CANDIDATES_STAGE]) runApproxStage(shared, stage, k, options, [0, 1], undefined, 4);
    const order = shared.storageOrder;
    const dist = (p: number, q: number) => {
      let s = 0;
      for (let c = 0; c < 50; c++) s += (digits[order[p] * 50 + c] - digits[order[q] * 50 + c]) ** 2;
      return s;
    };
    for (let p = 0; p < n; p += 7) {
      const candidates = new Set<number>();
      for (const tree of shared.forest) for (let q = tree.leafStart[p]; q < tree.leafEnd[p]; q++) if (tree.order[q] !== p) candidates.add(tree.order[q]);
      const want = [...candidates].sort((a, b) => dist(p, a) - dist(p, b)).slice(0, k);
      const got = Array.from(shared.graphs[0].indices.subarray(p * k, p * k + k));
      expect(got).toEqual(want);
      for (let t = 0; t < k; t++) expect(shared.graphs[0].distances[p * k + t]).toBeCloseTo(dist(p, got[t]), 4);
    }
  });

  it('works in its own storage order (neighbours close in memory), the same neighbours renumbered', () => {
    const stored = knnApproxInStorageOrder(digits, N, 50, 20, 3);
    const order = stored.storageOrder!;
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    const inInputOrder = knnApprox(digits, N, 50, 20, 3);
    expect(inInputOrder.storageOrder).toBeUndefined();
    expect(Array.from(toInputOrder(stored).indices)).toEqual(Array.from(inInputOrder.indices));
    expect(Array.from(toInputOrder(stored).distances)).toEqual(Array.from(inInputOrder.distances));
    // Most of a row's neighbours sit within 100 rows of it in storage order (a tenth in input order).
    const near = (indices: Int32Array) => indices.filter((j, t) => Math.abs(j - Math.floor(t / 20)) < 100).length / indices.length;
    expect(near(stored.indices)).toBeGreaterThan(0.35);
    expect(near(inInputOrder.indices)).toBeLessThan(0.15);
  });

  it('gives the same result when a helper takes half of every stage, or fails', () => {
    // A helper that runs its share in this thread when asked for the result.
    const helper = (failAt: number | null): ApproxKnnHelper => {
      let shared: ApproxShared;
      let run: () => void = () => {};
      return {
        approxShared: (n, dim, k, trees) => (shared = newApproxShared(n, dim, k, trees)),
        startApproxStage: (stage, k, options, seed) => {
          run = () => runApproxStage(shared, stage, k, options, [1, 2], undefined, seed);
        },
        finishApproxStage: () => {
          if (failAt !== null && (failAt -= 1) < 0) return false;
          run();
          return true;
        },
      };
    };
    // The defaults, and the fewer trees of large N.
    for (const options of [DEFAULT_APPROX, LARGE_APPROX]) {
      const alone = knnApproxInStorageOrder(digits, N, 50, 30, 5, undefined, options);
      for (const failAt of [null, 0, 1, 2]) {
        const split = knnApproxShared(digits, N, 50, 30, 5, undefined, helper(failAt), options);
        expect(Array.from(split.storageOrder!)).toEqual(Array.from(alone.storageOrder!));
        expect(Array.from(split.indices)).toEqual(Array.from(alone.indices));
        expect(Array.from(split.distances)).toEqual(Array.from(alone.distances));
      }
    }
  });
});
