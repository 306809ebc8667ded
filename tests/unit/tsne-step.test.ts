// The t-SNE gradient step against the definition: the layout after each step equals a reference
// optimiser written here from the formulas — the gradient of α·Σ p log(1 + d²) + log Z (the KL when
// α = 1, up to the constant Σ p log p) taken by central finite differences of the objective itself (no
// closed-form gradient), and the delta-bar-delta gains and momentum of van der Maaten's and
// scikit-learn's implementation, with the optimiser state restarted when early exaggeration ends — and the KL(P‖Q) a step reports equals the KL summed over all pairs.
import { describe, expect, it } from 'vitest';
import { TsneOptimizer } from '../../electron/engine/projections/tsne.ts';
import type { JointP } from '../../electron/engine/projections/affinities.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

const N = 10;
const DIM = 3;

/** The full symmetric P (N × N) from the sparse pairs. */
function denseP(P: JointP): number[][] {
  const full = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let i = 0; i < N; i++)
    for (let t = P.rowStart[i]; t < P.rowStart[i + 1]; t++) {
      full[i][P.rowJ[t]] = P.values[t];
      full[P.rowJ[t]][i] = P.values[t];
    }
  return full;
}

/** α·Σ p_ij log(1 + d_ij²) + log Σ (1 + d_ij²)^−1 over ordered pairs: KL(P‖Q) − Σ p log p when α = 1; its gradient is t-SNE's with exaggeration α. */
function objective(P: number[][], y: ArrayLike<number>, alpha: number): number {
  let cross = 0;
  let z = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      const d2 = (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2;
      cross += P[i][j] * Math.log(1 + d2);
      z += 1 / (1 + d2);
    }
  return alpha * cross + Math.log(z);
}

function numericGradient(P: number[][], y: Float64Array, alpha: number): Float64Array {
  const g = new Float64Array(y.length);
  const h = 1e-6;
  const probe = Float64Array.from(y);
  for (let c = 0; c < y.length; c++) {
    probe[c] = y[c] + h;
    const up = objective(P, probe, alpha);
    probe[c] = y[c] - h;
    const down = objective(P, probe, alpha);
    probe[c] = y[c];
    g[c] = (up - down) / (2 * h);
  }
  return g;
}

function klOf(P: number[][], y: ArrayLike<number>): number {
  let entropy = 0;
  for (const row of P) for (const p of row) if (p > 0) entropy += p * Math.log(p);
  return entropy + objective(P, y, 1);
}

describe('t-SNE gradient step', () => {
  it('follows the exaggerated then the plain KL gradient with gains and momentum, and reports the KL', () => {
    const random = mulberry32(5);
    const data = Float64Array.from({ length: N * DIM }, () => random() * 4);
    const exaggeration = 4;
    const switchAt = 6;
    const lr = 3;
    const opt = new TsneOptimizer(data, N, DIM, { perplexity: 2, iterations: 20, seed: 3, exact: true, init: 'random', learningRate: lr, earlyExaggeration: exaggeration, exaggerationIterations: switchAt });
    opt.prepare();
    const P = denseP(opt.P!);
    let total = 0;
    for (const row of P) for (const p of row) total += p;
    expect(total).toBeCloseTo(1, 12);
    // The reference: the same start, then the rule written out.
    const y = Float64Array.from(opt.y);
    let update = new Float64Array(2 * N);
    let gains = new Float64Array(2 * N).fill(1);
    for (let it = 0; it < 20; it++) {
      const exaggerating = it < switchAt;
      if (it === switchAt) {
        update = new Float64Array(2 * N);
        gains = new Float64Array(2 * N).fill(1);
      }
      const alpha = exaggerating ? exaggeration : 1;
      const momentum = exaggerating ? 0.5 : 0.8;
      const g = numericGradient(P, y, alpha);
      const kl = klOf(P, y);
      for (let c = 0; c < 2 * N; c++) {
        gains[c] = Math.max(0.01, update[c] * g[c] < 0 ? gains[c] + 0.2 : gains[c] * 0.8);
        update[c] = momentum * update[c] - lr * gains[c] * g[c];
        y[c] += update[c];
      }
      const reported = opt.step(it % 3 === 0);
      if (it % 3 === 0) expect(reported).toBeCloseTo(kl, 9);
      else expect(reported).toBeUndefined();
      for (let c = 0; c < 2 * N; c++) expect(opt.y[c]).toBeCloseTo(y[c], 7);
      // Go on from the optimiser's own state, so the finite differences' rounding does not add up over steps.
      for (let c = 0; c < 2 * N; c++) {
        update[c] += opt.y[c] - y[c];
        y[c] = opt.y[c];
      }
    }
    expect(opt.iteration).toBe(20);
  });
});
