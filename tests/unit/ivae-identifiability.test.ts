// Identifiability (the iVAE lecture): sources conditionally independent given a segment u, mixed by a random
// invertible MLP (helpers/ica-data.ts). The iVAE (prior p(z|u) learned per segment) recovers them up to
// permutation, sign and scale clearly better than a plain VAE with the same networks, steps and seeds
// (mean correlation coefficient after the best matching). Seeded; 2 × 3,000 small steps.
// The bench's recipe fixes the decoder's pixel sd (a learned one sinks to its floor on these noise-free data and
// freezes the fit) and trains 8,000 steps: minutes per seed, bench only. This is its short form: 3,000 steps at
// a constant rate, pixel sd 0.1 (over 3,000 steps the larger sd separates the models more: 0.846 vs 0.656,
// where sd 0.07 with the bench's decay gave 0.806 vs 0.738). The run repeats exactly on the wasm backend
// (0.846 vs 0.656); another backend sums in another order, so the thresholds leave room: ≥ 0.8 and a lead
// over the VAE of more than 0.1. With the learned sd it measured 0.807 vs 0.689 (README).
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from './helpers/tf.ts';
import { icaData } from './helpers/ica-data.ts';
import { fitIca } from './helpers/ica-fit.ts';
import { absCorrelations, meanCorrelationCoefficient } from '../../electron/engine/disentanglement/mcc.ts';
import { mulberry32 } from '../../models/random.ts';

beforeAll(async () => {
  await useWasm();
});

describe('mean correlation coefficient', () => {
  it('is 1 for the sources permuted, flipped and scaled, and finds that permutation; near 0 for unrelated codes', () => {
    const rand = mulberry32(5);
    const n = 2000;
    const s = Float32Array.from({ length: n * 3 }, () => rand() - 0.5);
    const codes = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      codes[i * 3 + 0] = -2 * s[i * 3 + 2];
      codes[i * 3 + 1] = 0.5 * s[i * 3 + 0] + 3;
      codes[i * 3 + 2] = s[i * 3 + 1];
    }
    const m = meanCorrelationCoefficient(s, 3, codes, 3, n);
    expect(m.mcc).toBeCloseTo(1, 6);
    expect(m.matching).toEqual([1, 2, 0]);
    const noise = Float32Array.from({ length: n * 3 }, () => rand());
    expect(meanCorrelationCoefficient(s, 3, noise, 3, n).mcc).toBeLessThan(0.06);
    // |r| of (1, 2, 3) with (2, 4, 7): by hand 0.9934
    expect(absCorrelations([1, 2, 3], 1, [2, 4, 7], 1, 3)[0]).toBeCloseTo(0.99340, 4);
  });
});

describe('iVAE identifiability on generated data', () => {
  it('recovers the sources (MCC ≥ 0.8) clearly better than a plain VAE (by more than 0.1)', async () => {
    const data = icaData({ n: 6000, sources: 3, segments: 15, seed: 1 });
    // the bench's recipe (decoder sd fixed at 0.1), shortened to one start of 3,000 steps at a constant rate
    const options = { seed: 1, steps: 3000, batch: 100, learningRate: 3e-3, restarts: 1, segments: 15, sources: 3, gaussianStd: 0.1 };
    const ivae = (await fitIca('ivae', data, options)).mcc;
    const vae = (await fitIca('vae', data, options)).mcc;
    console.log(`MCC iVAE ${ivae.toFixed(3)}, VAE ${vae.toFixed(3)}`);
    expect(ivae).toBeGreaterThanOrEqual(0.8);
    expect(ivae - vae).toBeGreaterThan(0.1);
  }, 900_000);
});
