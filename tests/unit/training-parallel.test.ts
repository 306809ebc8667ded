// Data-parallel training (worker threads, gradients averaged through a SharedArrayBuffer, one Adam
// state): the same steps as one thread within float tolerance, and the same run again for a given
// seed and thread count.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToFloats } from '../../models/pixels.ts';
import { createStepper } from '../../electron/engine/training/parallel/stepper.ts';
import { mulberry32 } from '../../models/random.ts';

const ds = mnistSlice(96);
const B = 32;
const STEPS = 4;

interface Trace {
  losses: number[];
  recon: number[];
  weights: Float32Array;
  threads: number;
}

async function train(config: ModelConfig, threads: number, labels?: Int32Array): Promise<Trace> {
  await useWasm();
  const model = VaeModel.create(config);
  const stepper = await createStepper(model, threads);
  const losses: number[] = [];
  const recon: number[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const idx = Array.from({ length: B }, (_, k) => (s * B + k) % ds.images.count);
      const x = pixelsToFloats(ds.images.pixels, idx, 28, 1, 'dynamic', mulberry32(s));
      const r = await stepper.step(x, [B, 28, 28, 1], labels ? Int32Array.from(idx, (i) => labels[i]) : undefined, 1000 + s);
      losses.push(r.loss);
      recon.push(r.recon);
    }
    const weights = new Float32Array(model.trainableVariables().flatMap((v) => Array.from(v.dataSync())));
    return { losses, recon, weights, threads: stepper.threads };
  } finally {
    await stepper.dispose();
    model.dispose();
  }
}

function expectClose(a: number[], b: number[], tol: number) {
  a.forEach((v, i) => expect(Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i])), `step ${i + 1}: ${v} vs ${b[i]}`).toBeLessThan(tol));
}

describe('data-parallel training', () => {
  afterAll(() => {
    tf.disposeVariables();
  });

  it('two threads take the same steps as one (MLP VAE), and repeat exactly', async () => {
    const config = defaultModelConfig({ latent: 2, hidden: [64, 16], learningRate: 3e-3 });
    await useWasm();
    const tensorsBefore = tf.memory().numTensors;
    const one = await train(config, 1);
    const two = await train(config, 2);
    const again = await train(config, 2);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    // the loss falls, so the comparison is over real steps
    expect(one.losses[STEPS - 1]).toBeLessThan(one.losses[0]);
    expectClose(two.losses, one.losses, 1e-4);
    expectClose(two.recon, one.recon, 1e-4);
    const maxDiff = Math.max(...two.weights.map((w, i) => Math.abs(w - one.weights[i])));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(again.losses).toEqual(two.losses);
    expect(Array.from(again.weights)).toEqual(Array.from(two.weights));
  }, 180_000);

  it('the semi-supervised model (labels, shift-consistency) on three threads matches one thread', async () => {
    const labels = Int32Array.from(ds.images.labels, (l, i) => (i % 3 === 0 ? l : -1));
    const config = defaultModelConfig({ objective: 'ssvae', latent: 4, style: 2, numClasses: 10, hidden: [64, 16], learningRate: 3e-3 });
    const one = await train(config, 1, labels);
    const three = await train(config, 3, labels);
    expect(three.threads).toBe(3);
    expectClose(three.losses, one.losses, 1e-4);
  }, 180_000);
});

describe('training threads', () => {
  it('default to the core count; LATENT_EXPLORER_THREADS sets them and a bad value is named', async () => {
    const { defaultThreads, trainingThreads } = await import('../../electron/engine/training/parallel/threads.ts');
    const { availableParallelism } = await import('node:os');
    expect(defaultThreads({})).toEqual({ threads: availableParallelism(), source: 'cores', cores: availableParallelism() });
    expect(defaultThreads({ LATENT_EXPLORER_THREADS: '3' }).threads).toBe(3);
    expect(() => defaultThreads({ LATENT_EXPLORER_THREADS: 'two' })).toThrow(/LATENT_EXPLORER_THREADS must be a whole number.*'two'/);
    const vae = defaultModelConfig({ latent: 2 });
    expect(trainingThreads(4, vae, 'wasm', 128)).toEqual({ threads: 4 });
    expect(trainingThreads(4, vae, 'tensorflow', 128).threads).toBe(1);
    expect(trainingThreads(4, defaultModelConfig({ objective: 'beta-tcvae', latent: 4 }), 'wasm', 128).note).toMatch(/β-TCVAE/);
    expect(trainingThreads(4, vae, 'wasm', 16)).toMatchObject({ threads: 2 });
  });

  it('a training job on two threads reports them and finishes its run', async () => {
    const { startTraining } = await import('../../electron/engine/training/job.ts');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    await useWasm();
    const runDir = join(mkdtempSync(join(tmpdir(), 'le-threads-')), 'run');
    const seen = new Set<number>();
    const job = startTraining(ds, { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 32, lr: 1e-3, seed: 3, threads: 2, hidden: [64, 16] }, runDir, {
      onProgress: (p) => seen.add(p.threads ?? 0),
    });
    const summary = await job.done;
    expect(summary.status).toBe('done');
    expect(Number.isFinite(summary.testLoss)).toBe(true);
    expect([...seen]).toEqual([2]);
  }, 180_000);
});
