// The attraction half of the t-SNE gradient and its fixed split between two threads: each part
// against the pair-by-pair definition, the split's place, and the same layout whether one thread or
// two compute the parts (the helper thread's command run here through its shared buffers).
import { describe, expect, it } from 'vitest';
import { addSecondPart, attraction, attractionSplit, FIRST_HELPER_SHARE, helperShare, MAX_HELPER_SHARE } from '../../electron/engine/projections/attraction.ts';
import { conditionalAffinities, symmetrise, type JointP } from '../../electron/engine/projections/affinities.ts';
import { knnAll } from '../../electron/engine/projections/knn.ts';
import { createHelperBuffers, HelperLink } from '../../electron/engine/projections/tsne-parallel.ts';
import { defaultTheta, DEFAULT_THETA, LARGE_THETA, LARGE_THETA_MIN_POINTS, neighbourCount, TsneOptimizer } from '../../electron/engine/projections/tsne.ts';
import { projectionWorkerEntry } from '../../electron/engine/projections/projection-worker.ts';
import type { HelperRequest } from '../../electron/engine/projections/tsne-protocol.ts';
import { startWorker } from '../../electron/engine/worker-entry.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

const N = 400;
const DIM = 5;

function sample(seed: number): { data: Float64Array; P: JointP; y: Float64Array } {
  const random = mulberry32(seed);
  const data = Float64Array.from({ length: N * DIM }, () => random() * 3);
  const k = neighbourCount(N, 10);
  const P = symmetrise(conditionalAffinities(knnAll(data, N, DIM, k), 10));
  const y = Float64Array.from({ length: 2 * N }, () => random() * 20 - 10);
  return { data, P, y };
}

/** sum_j p_ij (y_i - y_j) / (1 + d_ij^2) over both directions of every pair, and sum of P log(1 + d^2) over ordered pairs. */
function reference(P: JointP, y: Float64Array): { grad: Float64Array; cross: number } {
  const grad = new Float64Array(2 * N);
  let cross = 0;
  for (let t = 0; t < P.values.length; t++) {
    const i = P.rowI[t];
    const j = P.rowJ[t];
    const dx = y[2 * i] - y[2 * j];
    const dy = y[2 * i + 1] - y[2 * j + 1];
    const d2 = dx * dx + dy * dy;
    const w = P.values[t] / (1 + d2);
    grad[2 * i] += w * dx;
    grad[2 * i + 1] += w * dy;
    grad[2 * j] -= w * dx;
    grad[2 * j + 1] -= w * dy;
    cross += 2 * P.values[t] * Math.log(1 + d2);
  }
  return { grad, cross };
}

describe('t-SNE attraction split', () => {
  it('cuts P where its last rows hold at most the given share of the pairs', () => {
    const { P } = sample(1);
    const total = P.rowStart[N];
    for (const share of [0.1, 0.3, 0.5, 0.9]) {
      const split = attractionSplit(P, N, share);
      expect(total - P.rowStart[split]).toBeLessThanOrEqual(share * total);
      // One row more would exceed it.
      expect(total - P.rowStart[split - 1]).toBeGreaterThan(share * total);
    }
    // Share 0: only rows without pairs (the last points have no larger neighbour) go to the second part.
    expect(P.rowStart[attractionSplit(P, N, 0)]).toBe(total);
    expect(attractionSplit(P, N, 1)).toBe(0);
  });

  it('gives the helper less of the attraction as its repulsion grows, within bounds', () => {
    const pairs = 4_500_000;
    const n = 70_000;
    expect(helperShare(pairs, n, null)).toBe(FIRST_HELPER_SHARE);
    const early = helperShare(pairs, n, { cellPairs: 45_000, pointPairs: 130_000 });
    const late = helperShare(pairs, n, { cellPairs: 390_000, pointPairs: 1_100_000 });
    expect(early).toBeGreaterThan(late);
    expect(early).toBeGreaterThan(0.2);
    expect(early).toBeLessThanOrEqual(MAX_HELPER_SHARE);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(helperShare(pairs, n, { cellPairs: 10 ** 9, pointPairs: 0 })).toBe(0);
    expect(helperShare(pairs, n, { cellPairs: 0, pointPairs: 0 })).toBeLessThanOrEqual(MAX_HELPER_SHARE);
  });

  it('gives the pair-by-pair gradient and KL term, in two parts added in order, wherever the split', () => {
    const { P, y } = sample(2);
    const want = reference(P, y);
    for (const split of [0, 1, 137, N - 1, N]) {
      const grad = new Float64Array(2 * N);
      const part = new Float64Array(2 * N).fill(Number.NaN);
      let cross = attraction(P, y, 0, split, grad, true);
      part.fill(0, 2 * split);
      cross += attraction(P, y, split, N, part, true);
      addSecondPart(grad, part, split);
      for (let c = 0; c < 2 * N; c++) expect(grad[c]).toBeCloseTo(want.grad[c], 12);
      expect(cross).toBeCloseTo(want.cross, 10);
      // Without the KL: the same gradient, no KL term.
      const plain = new Float64Array(2 * N);
      expect(attraction(P, y, 0, N, plain, false)).toBe(0);
      for (let c = 0; c < 2 * N; c++) expect(plain[c]).toBeCloseTo(want.grad[c], 12);
    }
  });

  it('gives the same layout and KL when a helper thread computes the repulsion and the last rows', async () => {
    const { data } = sample(3);
    const options = { perplexity: 10, iterations: 30, seed: 4, exaggerationIterations: 10, neighbours: 'exact' as const };
    const alone = new TsneOptimizer(data, N, DIM, options);
    alone.prepare();
    const klAlone: (number | undefined)[] = [];
    for (let it = 0; it < 30; it++) klAlone.push(alone.step(it % 7 === 0));
    // The helper's command loop in a worker thread, on shared buffers.
    const buffers = createHelperBuffers(N, DIM, neighbourCount(N, 10));
    const worker = startWorker(projectionWorkerEntry());
    const request: HelperRequest = { type: 'helper', buffers };
    worker.postMessage(request);
    const link = new HelperLink(buffers);
    try {
      const withHelper = new TsneOptimizer(data, N, DIM, options, link);
      expect(link.ready(20_000)).toBe(true);
      withHelper.prepare();
      const klHelper: (number | undefined)[] = [];
      for (let it = 0; it < 30; it++) klHelper.push(withHelper.step(it % 7 === 0));
      expect(link.usable).toBe(true);
      expect(Array.from(withHelper.coords())).toEqual(Array.from(alone.coords()));
      expect(klHelper).toEqual(klAlone);
      // The helper did take rows of the attraction, as many as the thread alone cut off.
      expect(withHelper.timings.exaggeration.share).toBeGreaterThan(0);
      expect(withHelper.timings.optimisation.share).toBe(alone.timings.optimisation.share);
      expect(withHelper.timings.optimisation.waitMs).toBeGreaterThanOrEqual(0);
    } finally {
      link.close();
      await worker.terminate();
    }
  });
});

describe('t-SNE default theta', () => {
  it('is 0.5 below LARGE_THETA_MIN_POINTS (the 10,000-point figures) and coarser from there', () => {
    expect(defaultTheta(10_000)).toBe(DEFAULT_THETA);
    expect(DEFAULT_THETA).toBe(0.5);
    expect(defaultTheta(LARGE_THETA_MIN_POINTS - 1)).toBe(DEFAULT_THETA);
    expect(defaultTheta(LARGE_THETA_MIN_POINTS)).toBe(LARGE_THETA);
    expect(defaultTheta(70_000)).toBeGreaterThan(DEFAULT_THETA);
  });
});
