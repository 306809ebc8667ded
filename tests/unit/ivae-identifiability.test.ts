// Identifiability (the iVAE lecture): sources conditionally independent given a segment u, mixed by a random
// invertible MLP (helpers/ica-data.ts). The iVAE (prior p(z|u) learned per segment) recovers them up to
// permutation, sign and scale clearly better than a plain VAE with the same networks, steps and seeds
// (mean correlation coefficient after the best matching). Seeded; 2 × 3,000 small steps.
// The run repeats exactly: it measures MCC 0.807 for the iVAE against 0.689 for the VAE on the wasm backend.
// Earlier runs moved by several hundredths (0.690–0.801 vs 0.655–0.729) because TF.js reads a seed of 0 as
// "no seed", so step 0's noise was drawn from Math.random (fixed by models/random.ts's tfSeed). Another
// backend sums in another order and lands elsewhere, and 3,000 steps are far from converged (README: the
// ELBO is still falling), so the thresholds leave room: ≥ 0.75 and ahead of the VAE by more than 0.08.
// The bench's restarts and longer fits cost minutes per seed: bench only.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { icaData } from './helpers/ica-data.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
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
  it('recovers the sources (MCC ≥ 0.75) clearly better than a plain VAE (by more than 0.08)', () => {
    const P = 3;
    const U = 15;
    const data = icaData({ n: 6000, sources: P, segments: U, seed: 1 });
    const xt = tf.tensor4d(data.x, [data.n, 4, 4, 1]);
    const score = (objective: 'ivae' | 'vae') => {
      const model = VaeModel.create(defaultModelConfig({ objective, imageSize: 4, channels: 1, latent: P, hidden: [64, 32], likelihood: 'gaussian', auxValues: U, seed: 1, learningRate: 3e-3 }));
      for (let step = 0; step < 3000; step++) {
        const start = (step * 100) % data.n;
        const x = xt.slice([start, 0, 0, 0], [100, -1, -1, -1]);
        model.trainStep(x, objective === 'ivae' ? data.u.slice(start, start + 100) : undefined, step);
        x.dispose();
      }
      const { mean, logVar } = model.encode(xt);
      const mcc = meanCorrelationCoefficient(data.sources, P, mean.dataSync(), P, data.n).mcc;
      tf.dispose([mean, logVar]);
      model.dispose();
      return mcc;
    };
    const ivae = score('ivae');
    const vae = score('vae');
    xt.dispose();
    console.log(`MCC iVAE ${ivae.toFixed(3)}, VAE ${vae.toFixed(3)}`);
    expect(ivae).toBeGreaterThanOrEqual(0.75);
    expect(ivae - vae).toBeGreaterThan(0.08);
  }, 900_000);
});
