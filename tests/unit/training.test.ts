// The training job: events, files on disk, pause/stop/resume, NaN guard, loading runs.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import type { Dataset } from '../../electron/engine/datasets/types.ts';
import type { EpochReport, Reconstructions, TrainProgress, TrainSettings } from '../../electron/engine/training/job.ts';
import { isSnapshotEpoch, startTraining, TrainingClock } from '../../electron/engine/training/job.ts';
import { loadRun, readRunFile, RunLoadError, setDimensionNames } from '../../electron/engine/training/run-file.ts';
import { keepBalancedLabels, SettingsError } from '../../electron/engine/training/settings.ts';
import { VaeModel } from '../../models/vae.ts';
import { mnistSlice } from './helpers/sample.ts';


const ds = mnistSlice(1200);
const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 128, lr: 1e-3, seed: 3, hidden: [128, 32] };
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'le-train-'));
  dirs.push(d);
  return join(d, 'run');
};

beforeAll(async () => {
  await useWasm();
});
afterEach(() => {
  vi.restoreAllMocks();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe('training job', () => {
  it('trains, reports progress, epochs and reconstructions, and writes a loadable run', async () => {
    const runDir = newDir();
    const progress: TrainProgress[] = [];
    const epochs: EpochReport[] = [];
    const recons: Reconstructions[] = [];
    const before = tf.memory().numTensors;
    const job = startTraining(ds, base, runDir, {
      onProgress: (p) => progress.push(p),
      onEpoch: (e) => epochs.push(e),
      onReconstructions: (r) => recons.push(r),
    });
    expect(job.state).toBe('running');
    const summary = await job.done;
    expect(job.state).toBe('done');
    expect(summary.status).toBe('done');
    expect(summary.epochs).toBe(2);
    expect(summary.step).toBe(2 * 9);
    expect(tf.memory().numTensors).toBe(before);

    expect(progress.length).toBeGreaterThan(1);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ epoch: 2, epochs: 2, stepInEpoch: 9, stepsPerEpoch: 9, step: 18 });
    expect(last.klPerDim).toHaveLength(2);
    expect(last.samplesPerSec).toBeGreaterThan(0);

    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[1].testLoss).toBeGreaterThan(50);
    expect(epochs[1].testLoss).toBeLessThan(epochs[0].testLoss); // learning
    expect(epochs[1].testLoss).toBeLessThan(543); // below an untrained model (784 log 2)

    expect(recons.length).toBeGreaterThanOrEqual(2); // at least one per epoch end
    const r = recons[recons.length - 1];
    expect(r).toMatchObject({ size: 28, channels: 1, count: 8 });
    expect(r.train.input).toHaveLength(8 * 784);
    expect(r.test.output).toHaveLength(8 * 784);
    expect(new Set(r.train.input)).toEqual(new Set([0, 255])); // binarized at 0.5 as the sample asks

    // The run folder: standard TF.js models, run.json, checkpoint, snapshots at epochs 1 and 2
    for (const f of ['run.json', 'encoder/model.json', 'decoder/model.json', 'checkpoint/state.json', 'snapshots/epoch-0001/decoder/model.json', 'snapshots/epoch-0002/encoder/model.json'])
      expect(existsSync(join(runDir, f)), f).toBe(true);
    const runJson = readRunFile(runDir);
    expect(runJson.status).toBe('done');
    expect(runJson.history).toHaveLength(2);
    expect(runJson.history[1].testLoss).toBeCloseTo(epochs[1].testLoss, 6);
    expect(runJson.dataset).toMatchObject({ ref: 'sample:mnist', size: 28, channels: 1, images: 1200, test: ds.summary.test });
    expect(runJson.dataset.options.binarize).toBe(0.5);
    expect(runJson.dimensionNames).toEqual(['z1', 'z2']);
    expect(runJson.versions.tfjs).toBe(tf.version.tfjs);
    expect(runJson.snapshots).toEqual([1, 2]);

    // The decoder loads with plain tf.loadLayersModel from its model.json
    const decoderJson = JSON.parse(readFileSync(join(runDir, 'decoder/model.json'), 'utf8'));
    expect(decoderJson.format).toBe('layers-model');
    expect(decoderJson.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);

    const run = await loadRun(runDir);
    const { means, logVars } = await run.encode(ds.images.pixels.subarray(0, 3 * 784), 3);
    expect(means).toHaveLength(6);
    expect(logVars).toHaveLength(6);
    const images = await run.decode(means, 3);
    expect(images).toHaveLength(3 * 784);
    expect(await run.reconstruct(ds.images.pixels.subarray(0, 3 * 784), 3)).toEqual(images);
    run.dispose();
    const snap = await loadRun(runDir, { snapshot: 1 });
    expect(snap.snapshot).toBe(1);
    snap.dispose();
  });

  it('pauses, resumes and stops; a stopped run resumes where it stopped and finishes', async () => {
    const runDir = newDir();
    const settings = { ...base, epochs: 3 };
    let steps = 0;
    let paused = false;
    let stopAt = Infinity;
    let stopCalledAt = -1;
    let pauseRequested!: () => void;
    const pauseHappened = new Promise<void>((resolve) => (pauseRequested = resolve));
    const job = startTraining(ds, settings, runDir, {
      onProgress: (p) => {
        steps = p.step;
        if (!paused) {
          paused = true;
          job.pause(); // from inside the step loop, so the pause lands at a known point
          pauseRequested();
        }
        if (p.step >= stopAt && stopCalledAt < 0) {
          stopCalledAt = p.step;
          job.stop();
        }
      },
    });
    await pauseHappened; // the first step's progress, not a guess at how long a step takes
    expect(job.state).toBe('paused');
    const pausedAt = steps;
    // Nothing may happen while paused. (This wait races nothing: a working pause makes no step however long it lasts.)
    await new Promise((r) => setTimeout(r, 300));
    expect(steps).toBe(pausedAt); // no steps while paused
    stopAt = pausedAt + 10; // stop mid-way through epoch 2
    job.resume();
    expect(job.state).toBe('running');
    const summary = await job.done;
    expect(summary.status).toBe('stopped');
    expect(readRunFile(runDir).status).toBe('stopped');
    const stoppedStep = summary.step;
    expect(stoppedStep).toBe(stopCalledAt); // stops after the step in progress
    expect(stoppedStep).toBeLessThan(27);
    expect(readRunFile(runDir).modelEpoch).toBeCloseTo(stoppedStep / 9, 5);

    expect(() => startTraining(ds, settings, runDir, {})).toThrow(SettingsError); // no silent overwrite
    expect(() => startTraining(ds, { ...settings, latent: 3 }, runDir, { resume: true })).toThrow(/latent/);

    let firstStep = -1;
    const resumed = startTraining(ds, settings, runDir, {
      resume: true,
      onProgress: (p) => {
        if (firstStep < 0) firstStep = p.step;
      },
    });
    const done = await resumed.done;
    expect(firstStep).toBeGreaterThan(stoppedStep); // continued, did not start over
    expect(done).toMatchObject({ status: 'done', epochs: 3, step: 27 });
    expect(readRunFile(runDir).history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  });

  it('keeps dimension names the user saves while the run trains', async () => {
    const runDir = newDir();
    let named: Promise<unknown> | null = null;
    const job = startTraining(ds, { ...base, epochs: 3 }, runDir, {
      // After the first epoch's run.json exists, the explorer names the two dimensions.
      onEpoch: (e) => {
        if (e.epoch === 1) named = setDimensionNames(runDir, ['slant', 'width']);
      },
    });
    const summary = await job.done;
    await named;
    expect(summary.status).toBe('done');
    expect(readRunFile(runDir).dimensionNames).toEqual(['slant', 'width']);
  });

  it('the same seed gives the same run', async () => {
    const a = startTraining(ds, { ...base, epochs: 1 }, newDir(), {});
    const b = startTraining(ds, { ...base, epochs: 1 }, newDir(), {});
    const [sa, sb] = await Promise.all([a.done, b.done]);
    expect(sa.testLoss).toBe(sb.testLoss);
    expect(sa.trainLoss).toBe(sb.trainLoss);
  });

  it('NaN guard: stops, restores the last good checkpoint and says what to change', async () => {
    const runDir = newDir();
    // the steps training takes (the fused MLP step on the batch's floats, else trainStep on a tensor)
    const real = VaeModel.prototype.trainStepOnFloats;
    let calls = 0;
    vi.spyOn(VaeModel.prototype, 'trainStepOnFloats').mockImplementation(function (this: VaeModel, ...args) {
      const r = real.apply(this, args);
      return ++calls > 12 ? { ...r, loss: NaN } : r; // epoch 1 = 9 steps are fine, then NaN
    });
    const job = startTraining(ds, { ...base, epochs: 3 }, runDir, {});
    const summary = await job.done;
    expect(job.state).toBe('failed');
    expect(summary.status).toBe('diverged');
    expect(summary.epochs).toBe(1);
    expect(summary.message).toMatch(/NaN at epoch 2, step 4/);
    expect(summary.message).toMatch(/last good checkpoint \(epoch 1\)/);
    expect(summary.message).toMatch(/Lower the learning rate \(e\.g\. 0\.0001/);
    const runJson = readRunFile(runDir);
    expect(runJson.status).toBe('diverged');
    expect(runJson.message).toBe(summary.message);
    expect(runJson.modelEpoch).toBe(1);
    vi.restoreAllMocks();
    // the restored run opens and resumes with a lower learning rate
    const run = await loadRun(runDir);
    run.dispose();
    const resumed = startTraining(ds, { ...base, epochs: 2, lr: 1e-4 }, runDir, { resume: true });
    expect((await resumed.done).status).toBe('done');
  });

  it('semi-supervised: keeps K balanced labels and its class head beats chance after a short run', async () => {
    const kept = keepBalancedLabels(ds, 100, 1);
    const perClass = new Array(10).fill(0);
    kept.forEach((l, i) => {
      if (l >= 0 && ds.images.split[i] === 0) perClass[l]++;
    });
    expect(perClass).toEqual(new Array(10).fill(10));
    kept.forEach((l, i) => {
      if (ds.images.split[i] === 1) expect(l).toBe(ds.images.labels[i]); // test labels stay for measuring accuracy
    });

    const runDir = newDir();
    const epochs: EpochReport[] = [];
    const summary = await startTraining(ds, { ...base, model: 'ssvae', latent: 8, style: 3, labels: 100, epochs: 4 }, runDir, { onEpoch: (e) => epochs.push(e) }).done;
    expect(epochs.every((e) => e.testAccuracy !== undefined)).toBe(true);
    expect(summary.testAccuracy!).toBeGreaterThan(0.3); // chance is 0.1
    const runJson = readRunFile(runDir);
    expect(runJson.dataset.labelledTrain).toBe(100);
    expect(runJson.dimensionNames).toEqual(['style 1', 'style 2', 'style 3', 'class 1', 'class 2', 'class 3', 'class 4', 'class 5']);
    const run = await loadRun(runDir);
    const probs = await run.classify(ds.images.pixels.subarray(0, 2 * 784), 2);
    expect(probs).toHaveLength(20);
    expect(probs.slice(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    run.dispose();
  });

  it('semi-supervised runs made before the class prior and the consistency term existed resume with N(0, I) on z^Y and no consistency', async () => {
    const runDir = newDir();
    const settings: TrainSettings = { ...base, model: 'ssvae', latent: 6, style: 2, labels: 100, epochs: 1, classPrior: 'standard' };
    await startTraining(ds, settings, runDir).done;
    // make it look like an old run: no classPrior anywhere in run.json
    const file = join(runDir, 'run.json');
    const old = JSON.parse(readFileSync(file, 'utf8'));
    delete old.model.classPrior;
    delete old.settings.classPrior;
    delete old.model.consistencyWeight;
    writeFileSync(file, JSON.stringify(old));
    const before = await loadRun(runDir);
    expect(before.model.classPriorMeans()).toBeNull();
    before.dispose();
    const { classPrior: _, ...oldSettings } = settings;
    const summary = await startTraining(ds, { ...oldSettings, epochs: 2 }, runDir, { resume: true }).done;
    expect(summary.status).toBe('done');
    expect(readRunFile(runDir).model.classPrior).toBe('standard');
    expect(readRunFile(runDir).model.consistencyWeight).toBe(0);
    expect(() => startTraining(ds, { ...oldSettings, epochs: 3, classPrior: 'mixture' }, runDir, { resume: true })).toThrow(/classPrior/);
    expect(() => startTraining(ds, { ...oldSettings, epochs: 3, consistencyWeight: 50 }, runDir, { resume: true })).toThrow(/consistencyWeight 50 \(run has 0\)/);
  });

  it('trains the conv architecture on RGB images with a Gaussian likelihood', async () => {
    const count = 60;
    const size = 32;
    const pixels = new Uint8Array(count * size * size * 3);
    for (let i = 0; i < count; i++) {
      const x0 = (i * 7) % 22;
      const y0 = (i * 5) % 22;
      for (let y = y0; y < y0 + 10; y++) for (let x = x0; x < x0 + 10; x++) pixels[((i * size + y) * size + x) * 3 + (i % 3)] = 230;
    }
    const split = Uint8Array.from({ length: count }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const options: Dataset['options'] = { size, channels: 3, fit: 'contain', invert: 'no', binarize: 'off', testSplit: 0.1, seed: 1 };
    const rgb: Dataset = {
      ref: '/data/squares',
      options,
      images: { pixels, count, size, channels: 3, labels: new Int32Array(count).fill(-1), classNames: [], files: [], split },
      summary: {
        ...ds.summary,
        ref: '/data/squares',
        images: count,
        train: 54,
        test: 6,
        classCounts: {},
        unlabelled: count,
        options,
      },
    };
    const runDir = newDir();
    const epochs: EpochReport[] = [];
    const summary = await startTraining(rgb, { ...base, arch: 'conv', latent: 4, epochs: 3, batchSize: 16 }, runDir, { onEpoch: (e) => epochs.push(e) }).done;
    expect(summary.status).toBe('done');
    expect(epochs[2].testLoss).toBeLessThan(epochs[0].testLoss);
    const runJson = readRunFile(runDir);
    expect(runJson.model).toMatchObject({ arch: 'conv', likelihood: 'gaussian', channels: 3, imageSize: 32 });
    expect(typeof runJson.pixelLogVar).toBe('number');
    const run = await loadRun(runDir);
    expect(await run.decode(new Float32Array(8), 2)).toHaveLength(2 * size * size * 3);
    run.dispose();
  });

  it('rejects bad settings with a clear message', () => {
    expect(() => startTraining(ds, { ...base, latent: 0 }, newDir(), {})).toThrow(/latent must be/);
    expect(() => startTraining(ds, { ...base, model: 'ssvae', latent: 4, style: 4 }, newDir(), {})).toThrow(/style must be/);
    expect(() => startTraining(ds, { ...base, batchSize: 0 }, newDir(), {})).toThrow(/batch size must be/);
    expect(() => startTraining(ds, { ...base, lr: 0 }, newDir(), {})).toThrow(/learning rate/);
  });

  it('loadRun names the missing or corrupt file', async () => {
    const runDir = newDir();
    await startTraining(ds, { ...base, epochs: 1 }, runDir, {}).done;
    await expect(loadRun(join(runDir, 'nope'))).rejects.toThrow(/no such run folder/);

    const weights = join(runDir, 'decoder', 'group1-shard1of1.bin');
    const good = readFileSync(weights);
    writeFileSync(weights, good.subarray(0, 100));
    await expect(loadRun(runDir)).rejects.toThrow(RunLoadError);
    await expect(loadRun(runDir)).rejects.toThrow(/decoder.*corrupt weights \(100 bytes/);
    writeFileSync(weights, good);

    rmSync(join(runDir, 'encoder', 'model.json'));
    await expect(loadRun(runDir)).rejects.toThrow(/encoder.model\.json: missing/);

    writeFileSync(join(runDir, 'run.json'), '{"format": "latent-explorer-run", ');
    await expect(loadRun(runDir)).rejects.toThrow(/run\.json: corrupt, not valid JSON/);
    rmSync(join(runDir, 'run.json'));
    await expect(loadRun(runDir)).rejects.toThrow(/run\.json: missing/);
  });

  it('snapshots at epochs 1, 2, 5, 10, 25, 50, 100, 250, ...', () => {
    const epochs = Array.from({ length: 1000 }, (_, i) => i + 1).filter(isSnapshotEpoch);
    expect(epochs).toEqual([1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]);
  });
});

describe('training speed and time left', () => {
  it("takes images/s from the steps after the first (the start's warm-up is no pace to project), then follows a change", () => {
    const clock = new TrainingClock({ seconds: 0 } as ConstructorParameters<typeof TrainingClock>[0]);
    // the first step took 1 s (kernels compiled, workers started); then steps of 128 images every 10 ms
    clock.count(128, 1000);
    expect(clock.rate).toBe(0); // nothing to show yet: "measuring"
    for (let t = 1010; t <= 1060; t += 10) clock.count(128, t);
    expect(clock.rate).toBeCloseTo(12_800, 6); // 128 images / 10 ms, the warm-up left out (with it: ~800)
    // the machine gets busy: steps every 20 ms; the smoothed rate is within 15 % of it after 2 s
    for (let t = 1080; t <= 3060; t += 20) clock.count(128, t);
    expect(clock.rate).toBeGreaterThan(6_400);
    expect(clock.rate).toBeLessThan(6_400 * 1.15);
  });
});
