// Training settings proposed from the data (Train view, train.propose, the CLI's defaults) and the
// units text shown wherever a −ELBO is.
import { describe, expect, it } from 'vitest';
import { epochsForBudget, proposeSettings } from '../../electron/engine/training/propose.ts';
import { bitsPerDim, formatLoss, lossUnitsNote } from '../../electron/contract/units.ts';

const mnist = { size: 28, channels: 1 as const, binarized: true, train: 9001, classes: 10 };
const photos = { size: 64, channels: 3 as const, binarized: false, train: 4500, classes: 10 };

describe('proposeSettings', () => {
  it('keeps the lectures’ MLP, 2-D code, Bernoulli and 10 epochs for binarised 28 px digits', () => {
    const p = proposeSettings(mnist);
    expect(p.settings).toEqual({ model: 'vae', arch: 'mlp', latent: 2, likelihood: 'bernoulli', epochs: 10, batchSize: 128, lr: 0.001 });
    expect(p.reasons.arch).toMatch(/lectures/);
    expect(p.reasons.likelihood).toMatch(/binarised/);
    expect(proposeSettings(mnist, 'beta-vae').settings.latent).toBe(10);
    expect(proposeSettings(mnist, 'ssvae').settings).toMatchObject({ latent: 26, style: 16 });
  });

  it('proposes a convolutional model, a 32-D code, a Gaussian and a time budget for 64 px colour photos', () => {
    const p = proposeSettings(photos);
    expect(p.settings).toMatchObject({ arch: 'conv', latent: 32, likelihood: 'gaussian', minutes: 5 });
    expect(p.reasons.arch).toMatch(/^Convolutional: colour images \(64×64 RGB\)/);
    expect(p.reasons.latent).toMatch(/12,288 values per image/);
    expect(p.reasons.likelihood).toMatch(/can be negative/);
    expect(p.reasons.duration).toMatch(/^Train for 5 min/);
  });

  it('goes convolutional from 32 px for grey images, with a code growing with the values per image', () => {
    expect(proposeSettings({ ...mnist, size: 32, binarized: false }).settings).toMatchObject({ arch: 'conv', latent: 8, likelihood: 'gaussian' });
    expect(proposeSettings({ ...mnist, size: 64, binarized: false }).settings).toMatchObject({ arch: 'conv', latent: 16 });
    expect(proposeSettings({ ...photos, size: 128 }).settings).toMatchObject({ arch: 'conv', latent: 64 });
    // Grey but colour-free photos at 28 px that are not binarised keep the MLP, with a Gaussian.
    expect(proposeSettings({ ...mnist, binarized: false }).settings).toMatchObject({ arch: 'mlp', likelihood: 'gaussian' });
  });

  it('keeps the MLP when the size does not suit the convolutional model, and says how to fix it', () => {
    const p = proposeSettings({ ...photos, size: 30 });
    expect(p.settings.arch).toBe('mlp');
    expect(p.reasons.arch).toMatch(/divisible by 4 \(these are 30 px\); re-import at 32 px/);
  });

  it('splits a semi-supervised code into style and one dimension per class', () => {
    expect(proposeSettings(photos, 'ssvae').settings).toMatchObject({ latent: 16 + 10, style: 16 });
  });

  it('scales the budget with the data: at least a minute, at most half an hour', () => {
    expect(proposeSettings({ ...photos, train: 300 }).settings.minutes).toBe(1);
    expect(proposeSettings({ ...photos, train: 100_000 }).settings.minutes).toBe(30);
  });
});

describe('epochsForBudget', () => {
  it('fits whole epochs into the budget, at least one (or the epochs already done)', () => {
    expect(epochsForBudget(60, 14)).toBe(4);
    expect(epochsForBudget(60, 90)).toBe(1);
    expect(epochsForBudget(60, 20, 5)).toBe(5);
    expect(epochsForBudget(60, 0)).toBe(1);
  });
});

describe('units', () => {
  it('bits per dimension moves a density on [0,1] to 8-bit pixel units', () => {
    // A uniform density on [0,1]^D is 0 nats: exactly 8 bits for each 8-bit value.
    expect(bitsPerDim(0, 12_288)).toBeCloseTo(8, 10);
    // A density 2^D (half the range) is D ln 2 nats below zero: one bit less per value.
    expect(bitsPerDim(-784 * Math.LN2, 784)).toBeCloseTo(7, 10);
  });

  it('says a Gaussian −ELBO is a density that can be negative, and a Bernoulli one cannot', () => {
    expect(lossUnitsNote('gaussian', 12_288)).toMatch(/density over 12,288 continuous values, so it can be negative; bits\/dim/);
    expect(lossUnitsNote('bernoulli', 784)).toMatch(/never negative/);
    // each model's own loss: the denoising autoencoder has no ELBO, PPCA and FA report −log p(x) itself
    expect(lossUnitsNote('bernoulli', 784, 'dae')).toMatch(/^reconstruction loss in nats per image/);
    expect(lossUnitsNote('gaussian', 784, 'ppca')).toMatch(/^−log p\(x\) in nats per image/);
    expect(lossUnitsNote('bernoulli', 784, 'vae')).toMatch(/^−ELBO in nats per image/);
    expect(formatLoss(-1020.5, 'gaussian', 12_288)).toBe(`−1,020.50 nats · ${bitsPerDim(-1020.5, 12_288).toFixed(3)} bits/dim`);
    expect(formatLoss(105.5, 'bernoulli', 784)).toBe('105.50 nats');
  });
});
