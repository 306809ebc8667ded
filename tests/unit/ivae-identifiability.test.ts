// Identifiability (the iVAE lecture): sources conditionally independent given a segment u, mixed by a random
// invertible MLP (helpers/ica-data.ts). The iVAE (prior p(z|u) learned per segment) recovers them up to
// permutation, sign and scale clearly better than a plain VAE with the same networks, steps and seeds
// (mean correlation coefficient after the best matching). Seeded; 2 × 3,000 small steps. Measured here
// 0.778 vs 0.682, 0.766 vs 0.657, 0.755 vs 0.657, 0.706 vs 0.639 and 0.772 vs 0.674 in five runs (the wasm
// backend does not repeat a run exactly); the same case is seed 1 of `npm run bench -- ivae` with RESTARTS=1
// (0.820 vs 0.659 there). The MCC moves by several hundredths between runs and nearby steps, and 3,000 steps
// are far from converged (README: the ELBO is still falling), so the 0.8 is not asserted: ≥ 0.68 and
// ahead of the VAE by > 0.04 (0.7 and 0.05 passed by 0.006 in one run: too close to be a stable test). The
// bench's restarts (the best training ELBO of several starts) and longer fits cost minutes per seed: bench only.
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
  it('recovers the sources (MCC ≥ 0.68) clearly better than a plain VAE (by more than 0.04)', () => {
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
    expect(ivae).toBeGreaterThanOrEqual(0.68);
    expect(ivae - vae).toBeGreaterThan(0.04);
  }, 900_000);
});
