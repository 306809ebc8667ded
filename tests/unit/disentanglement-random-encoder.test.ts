// Acceptance (issue 13): a random-weights encoder scores about 0 on the generated glyph factors.
// (The trained ranking, β-TCVAE and β-VAE above the plain VAE over 2 seeds, takes 6 trainings of
// minutes each: measured with `compare` and reported in the README, not run here.)
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { VaeModel } from '../../models/vae.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { generateGlyphs } from '../../electron/engine/datasets/synthetic/glyphs.ts';
import { computeFactorMetrics } from '../../electron/engine/disentanglement/metrics.ts';
import { initBackend } from '../../electron/engine/backend.ts';

describe('a random-weights encoder on the glyph factors', () => {
  it('scores MIG about 0', async () => {
    await initBackend();
    const N = 2000;
    const set = generateGlyphs({ count: N, seed: 1 });
    const factors = Object.entries(set.factors).map(([name, values]) =>
      name === 'shape' ? { name, kind: 'categorical' as const, values, categories: set.classNames } : { name, kind: 'numeric' as const, values },
    );
    const model = VaeModel.create(defaultModelConfig({ latent: 10, seed: 1 }));
    const x = pixelsToTensor(set.images, Array.from({ length: N }, (_, i) => i), 28, 1, 'off', Math.random);
    const { mean, logVar } = model.encode(x);
    const codes = mean.dataSync() as Float32Array;
    const m = computeFactorMetrics({ codes, count: N, dims: 10, factors, split: Uint8Array.from({ length: N }, (_, i) => (i % 10 === 0 ? 1 : 0)) });
    tf.dispose([x, mean, logVar]);
    model.dispose();
    expect(m.mig.score).toBeLessThan(0.06); // measured 0.006 (seed 1) and 0.033 (seed 2) on 3,000 glyphs
    expect(m.factors).toHaveLength(8);
  });
});
