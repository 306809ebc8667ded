// t-SNE's input side on inputs small enough to work out by hand: the perplexity calibration of each row
// (p(j|i) ∝ exp(−β_i d_ij), entropy log(perplexity)) and the symmetric joint P = (P_cond + P_condᵀ) / 2N.
// Fast, so the mutation run (npm run test:mutation -- tsne-input) can rerun it for every change it makes to
// affinities.ts; tsne-parts.test.ts checks the same on 1,000 digits.
import { describe, expect, it } from 'vitest';
import { calibrateRows, conditionalAffinities, conditionalAffinitiesShared, symmetrise, symmetriseRows, symmetriseShared, type CalibrationHelper, type ConditionalP, type SymmetriseHelper } from '../../electron/engine/projections/affinities.ts';
import type { KnnResult } from '../../electron/engine/projections/knn.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

/** A kNN result from rows of (neighbour, squared distance) pairs. */
function knnOf(rows: [number, number][][]): KnnResult {
  const k = rows[0].length;
  return {
    k,
    indices: Int32Array.from(rows.flatMap((r) => r.map(([j]) => j))),
    distances: Float64Array.from(rows.flatMap((r) => r.map(([, d]) => d))),
  };
}

/** Row i of the conditional probabilities, and its entropy −Σ p log p worked out here (nats). */
function row(cond: ConditionalP, i: number): { p: number[]; entropy: number } {
  const p = Array.from(cond.values.subarray(i * cond.k, (i + 1) * cond.k));
  return { p, entropy: -p.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0) };
}

describe('perplexity calibration, by hand', () => {
  it('finds p = (3/4, 1/4) and β = ln 3 for two neighbours one unit apart, whatever their offset', () => {
    // p(1) = 1 / (1 + e^−β) = 3/4 at β = ln 3; its entropy H fixes the perplexity e^H asked for
    const h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const cond = conditionalAffinities(
      knnOf([
        [[1, 2], [2, 3]],
        [[0, 0], [2, 1]],
        [[0, 1e6], [1, 1e6 + 1]],
      ]),
      Math.exp(h),
    );
    for (let i = 0; i < 3; i++) {
      const { p, entropy } = row(cond, i);
      expect(p[0]).toBeCloseTo(0.75, 4);
      expect(p[1]).toBeCloseTo(0.25, 4);
      expect(cond.betas[i]).toBeCloseTo(Math.log(3), 3);
      expect(Math.abs(entropy - h)).toBeLessThan(2e-5);
      expect(cond.entropies[i]).toBeCloseTo(entropy, 8);
    }
  });

  it('calibrates a far row beside a near one (distances ~4e6 and ~1, the same gaps)', () => {
    // Each row's own nearest distance is its reference, so the far row's exponentials do not underflow to
    // nothing. Same gaps, so the same p and β in every row.
    const gaps = [0, 1, 2, 3, 5, 8];
    const cond = conditionalAffinities(
      knnOf([
        gaps.map((g, t) => [t + 1, 4e6 + g] as [number, number]),
        gaps.map((g, t) => [(t + 2) % 7, 1 + g] as [number, number]),
        gaps.map((g, t) => [(t + 3) % 7, 4e6 + g] as [number, number]),
      ]),
      3,
    );
    const rows = [0, 1, 2].map((i) => row(cond, i));
    for (const [i, r] of rows.entries()) {
      expect(r.p.every(Number.isFinite)).toBe(true);
      expect(r.p.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
      expect(Math.abs(r.entropy - Math.log(3))).toBeLessThan(2e-5);
      expect(cond.entropies[i]).toBeCloseTo(r.entropy, 8);
      // nearer neighbours weigh more
      for (let t = 1; t < gaps.length; t++) expect(r.p[t]).toBeLessThan(r.p[t - 1]);
      for (let t = 0; t < gaps.length; t++) expect(r.p[t]).toBeCloseTo(rows[1].p[t], 6);
      expect(cond.betas[i]).toBeCloseTo(cond.betas[1], 5);
    }
  });

  it('gives every row of a random kNN an entropy of log(perplexity) within the search tolerance', () => {
    const random = mulberry32(11);
    const n = 40;
    const k = 12;
    const rows = Array.from({ length: n }, (_, i) => {
      const scale = 10 ** (6 * random() - 3); // rows from 1e-3 to 1e3
      // gaps between 0.5 and 1.5 times the row's scale: no near-ties at the front that no β could separate
      let d = scale * random();
      return Array.from({ length: k }, (_, t) => [(i + t + 1) % n, (d += scale * (0.5 + random()))] as [number, number]);
    });
    for (const perplexity of [1.5, 4, 10]) {
      const cond = conditionalAffinities(knnOf(rows), perplexity);
      for (let i = 0; i < n; i++) {
        const r = row(cond, i);
        expect(Math.abs(r.entropy - Math.log(perplexity))).toBeLessThan(2e-5);
        expect(cond.entropies[i]).toBeCloseTo(r.entropy, 8);
        // p(j|i) ∝ exp(−β_i d_ij): the log-ratio of two neighbours is β_i times their distance gap
        const d = rows[i].map(([, v]) => v);
        expect(Math.log(r.p[0] / r.p[k - 1])).toBeCloseTo(cond.betas[i] * (d[k - 1] - d[0]), 6);
      }
    }
  });

  it('spreads p evenly over neighbours at one distance (duplicates), and as evenly as it can when the perplexity exceeds k', () => {
    const cond = conditionalAffinities(
      knnOf([
        [[1, 0], [2, 0], [3, 0], [4, 0]],
        [[0, 7], [2, 7], [3, 7], [4, 7]],
        [[0, 1], [1, 2], [3, 3], [4, 4]],
      ]),
      2,
    );
    for (const i of [0, 1]) {
      expect(row(cond, i).p).toEqual([0.25, 0.25, 0.25, 0.25]);
      expect(cond.entropies[i]).toBeCloseTo(Math.log(4), 12);
    }
    // perplexity 10 > 4 neighbours: the flattest row there is, entropy → log 4
    const flat = conditionalAffinities(knnOf([[[1, 0], [2, 1], [3, 2], [4, 3]]]), 10);
    for (const p of row(flat, 0).p) expect(p).toBeCloseTo(0.25, 6);
  });

  it('calibrates a row with one far outlier: the outlier gets p ≈ 0, no overflow', () => {
    // Measured from the nearest neighbour, exp(−β d) is at most 1; from any other reference the near
    // neighbours' weights would be exp(β · 1000) at β ≈ 1, beyond what a double holds.
    const cond = conditionalAffinities(knnOf([[[1, 0], [2, 1], [3, 2], [4, 1000]]]), 2);
    const { p, entropy } = row(cond, 0);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(Math.abs(entropy - Math.log(2))).toBeLessThan(2e-5);
    expect(p[3]).toBeLessThan(1e-100);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
  });

  it('refuses a perplexity that is not positive', () => {
    const knn = knnOf([[[1, 1]], [[0, 1]]]);
    for (const bad of [0, -5, Number.NaN]) expect(() => conditionalAffinities(knn, bad)).toThrow('perplexity must be positive');
  });
});

/** The symmetric P of a conditional P, as a dense N × N matrix: (p(j|i) + p(i|j)) / 2N. */
function denseJoint(cond: { k: number; indices: Int32Array; values: Float64Array }, n: number): number[][] {
  const dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let t = 0; t < cond.k; t++) {
      const j = cond.indices[i * cond.k + t];
      if (j === i) continue;
      const p = cond.values[i * cond.k + t] / (2 * n);
      dense[i][j] += p;
      dense[j][i] += p;
    }
  return dense;
}

describe('symmetrised P, by hand', () => {
  it('stores each pair once, i < j, sorted, with p_ij = (p(j|i) + p(i|j)) / 2N', () => {
    // 5 points, 2 neighbours each (neighbour lists not in index order). Directed: 0→3 .6, 0→1 .4, 1→2 .5,
    // 1→0 .5, 2→1 .8, 2→4 .2, 3→4 .7, 3→2 .3, 4→0 .9, 4→3 .1. Mutual pairs (0,1), (1,2), (3,4) add both
    // directions; (0,3), (0,4), (2,3), (2,4) have one. Found in the order row 2 finds (2,4), row 3 (2,3).
    const cond = {
      k: 2,
      indices: Int32Array.from([3, 1, 2, 0, 1, 4, 4, 2, 0, 3]),
      values: Float64Array.from([0.6, 0.4, 0.5, 0.5, 0.8, 0.2, 0.7, 0.3, 0.9, 0.1]),
      betas: new Float64Array(5),
      entropies: new Float64Array(5),
    };
    const P = symmetrise(cond);
    expect(P.n).toBe(5);
    expect(Array.from(P.rowI)).toEqual([0, 0, 0, 1, 2, 2, 3]);
    expect(Array.from(P.rowJ)).toEqual([1, 3, 4, 2, 3, 4, 4]);
    expect(Array.from(P.rowStart)).toEqual([0, 3, 4, 6, 7, 7]);
    const expected = [0.9, 0.6, 0.9, 1.3, 0.3, 0.2, 0.8].map((v) => v / 10);
    P.values.forEach((v, t) => expect(v).toBeCloseTo(expected[t], 15));
    // both triangles together sum to 1
    expect(2 * P.values.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 15);
  });

  it('matches the dense (P_cond + P_condᵀ) / 2N on random neighbour lists, one pair per nonzero', () => {
    const random = mulberry32(5);
    for (const [n, k] of [
      [9, 3],
      [30, 7],
      [64, 16],
    ]) {
      // k distinct neighbours per row, some mutual, some not; p(j|i) positive and summing to 1
      const indices = new Int32Array(n * k);
      const values = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const pool = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
        let sum = 0;
        for (let t = 0; t < k; t++) {
          indices[i * k + t] = pool.splice(Math.floor(random() * pool.length), 1)[0];
          sum += values[i * k + t] = 0.05 + random();
        }
        for (let t = 0; t < k; t++) values[i * k + t] /= sum;
      }
      const P = symmetrise({ k, indices, values, betas: new Float64Array(n), entropies: new Float64Array(n) });
      const dense = denseJoint({ k, indices, values }, n);
      let nonzero = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (dense[i][j] > 0) nonzero++;
      expect(P.values.length).toBe(nonzero);
      expect(P.rowStart[n]).toBe(nonzero);
      for (let i = 0; i < n; i++) {
        for (let t = P.rowStart[i]; t < P.rowStart[i + 1]; t++) {
          expect(P.rowI[t]).toBe(i);
          expect(P.rowJ[t]).toBeGreaterThan(i);
          if (t > P.rowStart[i]) expect(P.rowJ[t]).toBeGreaterThan(P.rowJ[t - 1]);
          expect(P.values[t]).toBeCloseTo(dense[i][P.rowJ[t]], 15);
        }
      }
    }
  });

  it("looks for p(i|j) in j's own list only, not in the list after it", () => {
    // Row 4 lists 2, but 2's list (0, 1) does not hold 4, while the next list (row 3's: 4, 5) starts with it:
    // the pair (2, 4) has p(2|4) alone, and must be there.
    const cond = {
      k: 2,
      indices: Int32Array.from([1, 2, 0, 2, 0, 1, 4, 5, 2, 3, 3, 4]),
      values: Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
      betas: new Float64Array(6),
      entropies: new Float64Array(6),
    };
    const P = symmetrise(cond);
    expect(Array.from(P.rowI)).toEqual([0, 0, 1, 2, 3, 3, 4]);
    expect(Array.from(P.rowJ)).toEqual([1, 2, 2, 4, 4, 5, 5]);
    expect(P.values[3]).toBeCloseTo(0.5 / 12, 15);
    expect(2 * P.values.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 15);
  });

  it('leaves out a point listed as its own neighbour (a kNN that keeps the query point)', () => {
    const cond = {
      k: 2,
      indices: Int32Array.from([0, 1, 1, 0, 2, 0]),
      values: Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
      betas: new Float64Array(3),
      entropies: new Float64Array(3),
    };
    const P = symmetrise(cond);
    expect(Array.from(P.rowI)).toEqual([0, 0]);
    expect(Array.from(P.rowJ)).toEqual([1, 2]);
    expect(Array.from(P.values)).toEqual([(0.5 + 0.5) / 6, 0.5 / 6]);
  });
});

describe('perplexity calibration split between threads', () => {
  it('fills the same rows, betas and entropies from two shares of the rows as from one pass', () => {
    const random = mulberry32(23);
    const n = 9;
    const k = 5;
    const distances = Float64Array.from({ length: n * k }, (_, t) => (t % k) + random());
    const whole = conditionalAffinities({ k, indices: new Int32Array(n * k), distances }, 3);
    const values = new Float64Array(n * k);
    const betas = new Float64Array(n);
    const entropies = new Float64Array(n);
    for (const part of [0, 1]) calibrateRows(distances, k, n, 3, values, betas, entropies, [part, 2]);
    expect(Array.from(values)).toEqual(Array.from(whole.values));
    expect(Array.from(betas)).toEqual(Array.from(whole.betas));
    expect(Array.from(entropies)).toEqual(Array.from(whole.entropies));
    // one share alone leaves the other share's rows untouched
    const half = new Float64Array(n * k);
    calibrateRows(distances, k, n, 3, half, null, null, [1, 2]);
    for (let i = 0; i < n; i++) expect(half[i * k] === 0).toBe(i % 2 === 0);
  });

  it('gives the same P, bit for bit, when a helper calibrates every other row (or fails and this thread does it)', () => {
    const random = mulberry32(31);
    const n = 11;
    const k = 4;
    const knn = { k, indices: Int32Array.from({ length: n * k }, (_, t) => (Math.floor(t / k) + 1 + (t % k)) % n), distances: Float64Array.from({ length: n * k }, (_, t) => (t % k) * 2 + random()) };
    const whole = conditionalAffinities(knn, 2.5);
    // A helper that runs its share in this thread when asked for the result, writing only its rows.
    const helper = (fails: boolean): CalibrationHelper & { shared: number } => {
      let args: [number, number] = [0, 0];
      let storage: { distances: Float64Array; values: Float64Array; betas: Float64Array; entropies: Float64Array };
      return {
        shared: 0,
        calibrationShared(rows, width, distances) {
          this.shared++;
          storage = { distances: distances.slice(), values: new Float64Array(rows * width), betas: new Float64Array(rows), entropies: new Float64Array(rows) };
          return storage;
        },
        startCalibration: (width, perplexity) => {
          args = [width, perplexity];
        },
        finishCalibration: () => {
          if (fails) return false;
          calibrateRows(storage.distances, args[0], n, args[1], storage.values, storage.betas, storage.entropies, [1, 2]);
          return true;
        },
      };
    };
    for (const fails of [false, true]) {
      const h = helper(fails);
      const split = conditionalAffinitiesShared(knn, 2.5, h);
      expect(h.shared).toBe(1);
      expect(Array.from(split.values)).toEqual(Array.from(whole.values));
      expect(Array.from(split.betas)).toEqual(Array.from(whole.betas));
      expect(Array.from(split.entropies)).toEqual(Array.from(whole.entropies));
      const [a, b] = [symmetrise(split), symmetrise(whole)];
      expect(Array.from(a.values)).toEqual(Array.from(b.values));
    }
    // No shared storage for this size: calibrated here alone.
    const none: CalibrationHelper = { calibrationShared: () => null, startCalibration: () => expect.unreachable(), finishCalibration: () => true };
    expect(Array.from(conditionalAffinitiesShared(knn, 2.5, none).values)).toEqual(Array.from(whole.values));
  });

  it('symmetrises the same P, bit for bit, when a helper takes the second half of the rows (or fails)', () => {
    const random = mulberry32(41);
    const n = 40;
    const k = 6;
    // Many rows list the last points (hubs): the second half has far more pairs than N k / 2.
    const indices = new Int32Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = new Set<number>();
      while (row.size < k) {
        const j = random() < 0.6 ? n - 1 - Math.floor(random() * 8) : Math.floor(random() * n);
        if (j !== i) row.add(j);
      }
      indices.set([...row], i * k);
    }
    const cond: ConditionalP = { k, indices, values: Float64Array.from({ length: n * k }, () => random()), betas: new Float64Array(n), entropies: new Float64Array(n) };
    const whole = symmetrise(cond);
    const helper = (fails: boolean): SymmetriseHelper => {
      let storage = { cols: new Int32Array(0), vals: new Float64Array(0), counts: new Int32Array(0) };
      let from = 0;
      return {
        symmetriseShared: () => (storage = { cols: new Int32Array(n * k), vals: new Float64Array(n * k), counts: new Int32Array(n) }),
        startSymmetrise: (row) => {
          from = row;
        },
        finishSymmetrise: () => (fails ? null : symmetriseRows(indices, cond.values, k, from, n, storage.cols, storage.vals, storage.counts, true)),
      };
    };
    for (const fails of [false, true]) {
      const split = symmetriseShared(cond, helper(fails));
      for (const key of ['rowI', 'rowStart', 'rowJ', 'values'] as const) expect(Array.from(split[key])).toEqual(Array.from(whole[key]));
    }
  });
});
