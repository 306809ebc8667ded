// The models beyond the VAE family through the training job, as the UI and the CLI start them: each writes
// the same run folder, opens in the explorer's loader, and evaluates with its own figures and units.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import type { TrainSettings } from '../../electron/engine/training/job.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { loadRun, readRunFile } from '../../electron/engine/training/run-file.ts';
import { evaluateRun } from '../../electron/engine/training/evaluate.ts';
import { auxValues, SettingsError } from '../../electron/engine/training/settings.ts';
import { mnistSlice } from './helpers/sample.ts';
import type { Dataset } from '../../electron/engine/datasets/types.ts';

beforeAll(async () => {
  await useWasm();
});

const grey = mnistSlice(1200);
const ds: Dataset = { ...grey, options: { ...grey.options, binarize: 'off' } };
const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 3, epochs: 1, batchSize: 100, lr: 1e-3, seed: 3, hidden: [64, 16], threads: 1 };
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'le-models-'));
  dirs.push(d);
  return join(d, 'run');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function train(settings: Partial<TrainSettings>) {
  const runDir = newDir();
  const epochs: number[] = [];
  const job = startTraining(ds, { ...base, ...settings }, runDir, { onEpoch: (e) => epochs.push(e.testLoss) });
  const summary = await job.done;
  return { runDir, summary, epochs };
}

describe('training the other models', () => {
  it('PPCA and FA: one fit, the run folder with a linear decoder, the exact −log p(x) in eval; FA beats PPCA', async () => {
    const before = tf.memory().numTensors;
    const results: Record<string, number> = {};
    for (const model of ['ppca', 'fa'] as const) {
      const { runDir, summary } = await train({ model, latent: 5 });
      expect(summary.status).toBe('done');
      const run = readRunFile(runDir);
      expect(run.decoderOutput).toBe('mean');
      expect(run.model.likelihood).toBe('gaussian');
      expect(run.linearGaussian!.noiseVariance).toHaveLength(model === 'ppca' ? 1 : 784);
      for (const part of ['encoder', 'decoder']) expect(existsSync(join(runDir, part, 'model.json'))).toBe(true);
      const loaded = await loadRun(runDir);
      const report = await evaluateRun(loaded, ds, { iwae: 5 });
      // eval's exact figure is what training recorded, and its parts add up
      expect(report.negLogLikelihood).toBeCloseTo(summary.testLoss!, 6);
      expect(report.recon + report.kl).toBeCloseTo(report.negElbo, 6);
      expect(report.figures.map((f) => f.unit)).toEqual(['nats/image', 'bits/dim']);
      // the views decode W z + μ: the origin decodes to the training mean image
      const mean = await loaded.decode(new Float32Array(5), 1);
      expect(mean.length).toBe(784);
      loaded.dispose();
      results[model] = summary.testLoss!;
    }
    expect(results.fa).toBeLessThan(results.ppca);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('IWAE, DAE and iVAE train through the job and evaluate with their own figures', async () => {
    const iwae = await train({ model: 'iwae', samples: 3 });
    const loadedIwae = await loadRun(iwae.runDir);
    expect(loadedIwae.run.model.samples).toBe(3);
    const r1 = await evaluateRun(loadedIwae, ds, { iwae: 5 });
    expect(r1.figures.map((f) => f.name)).toEqual(['−ELBO', '−IWAE (K=5)']);
    expect(r1.negIwae!).toBeLessThan(r1.negElbo);
    loadedIwae.dispose();

    const dae = await train({ model: 'dae', noise: 'gaussian', noiseLevel: 0.2 });
    const loadedDae = await loadRun(dae.runDir);
    expect(loadedDae.run.model.noise).toEqual({ kind: 'gaussian', level: 0.2 });
    const r2 = await evaluateRun(loadedDae, ds, { iwae: 5 });
    expect(r2.negIwae).toBeUndefined();
    expect(r2.figures[0].name).toMatch(/reconstruction/);
    expect(r2.notes[0]).toMatch(/no ELBO, IWAE bound or KL/);
    // the saved codes are standardised over training images: the test codes' spread is about 1
    const test: number[] = [];
    for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) test.push(i);
    const pixels = new Uint8Array(test.length * 784);
    test.forEach((i, k) => pixels.set(ds.images.pixels.subarray(i * 784, (i + 1) * 784), k * 784));
    const { means } = await loadedDae.encode(pixels, test.length);
    let sq = 0;
    for (const v of means) sq += v * v;
    expect(Math.sqrt(sq / means.length)).toBeGreaterThan(0.6);
    expect(Math.sqrt(sq / means.length)).toBeLessThan(1.6);
    loadedDae.dispose();

    const ivae = await train({ model: 'ivae', aux: 'label' });
    expect(existsSync(join(ivae.runDir, 'prior', 'model.json'))).toBe(true);
    const loadedIvae = await loadRun(ivae.runDir);
    expect(loadedIvae.run.model.auxValues).toBe(10);
    const r3 = await evaluateRun(loadedIvae, ds, { iwae: 3 });
    expect(r3.figures[0].name).toBe('−ELBO under p(z|u)');
    expect(r3.negElbo).toBeCloseTo(ivae.summary.testLoss!, 0);
    loadedIvae.dispose();
  });

  it('refuses settings that do not fit the model, in one sentence', () => {
    const runDir = newDir();
    expect(() => startTraining(ds, { ...base, model: 'ivae' }, runDir)).toThrow(/needs an auxiliary variable/);
    expect(() => startTraining(ds, { ...base, model: 'ivae', aux: 'nope' }, runDir)).toThrow(/no factor 'nope'.*have label/);
    expect(() => startTraining(ds, { ...base, model: 'vae', noise: 'mask' }, runDir)).toThrow(/noise applies to the denoising autoencoder/);
    expect(() => startTraining(ds, { ...base, model: 'dae', noise: 'mask', noiseLevel: 1.5 }, runDir)).toThrow(/noise level must be from 0 to 0.99/);
    expect(() => startTraining(ds, { ...base, model: 'ppca', likelihood: 'bernoulli' }, runDir)).toThrow(SettingsError);
  });

  it('cuts a numeric factor into quantile bins for the iVAE’s u', () => {
    const n = ds.images.count;
    const values = Float32Array.from({ length: n }, (_, i) => (i % 2 ? NaN : i));
    const withFactor: Dataset = { ...ds, images: { ...ds.images, factors: [{ name: 'weight', kind: 'numeric', values }] } };
    const aux = auxValues(withFactor, 'weight');
    expect(aux.count).toBe(5);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < n; i++) if (aux.values[i] >= 0) counts[aux.values[i]]++;
    expect(aux.values[1]).toBe(-1); // no value: unknown
    counts.forEach((c) => expect(Math.abs(c - n / 10)).toBeLessThan(n / 25));
  });
});
