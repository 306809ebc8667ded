// Data-parallel training (worker threads, gradients averaged through a SharedArrayBuffer, one Adam
// state): the same steps as one thread within float tolerance, and the same run again for a given
// seed and thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToFloats } from '../../models/pixels.ts';
import { createStepper } from '../../electron/engine/training/parallel/stepper.ts';
import { mulberry32 } from '../../models/random.ts';
import { adamRange, parameterRange, trainableSegments } from '../../models/parallel/adam.ts';
import { combineStats, planPasses, readWeights, replicaVariables, shardRows, shardSize, weightCount, writeWeights } from '../../models/parallel/shard.ts';
import { allInAndWell, meetingBuffer, shard, startStep, waitUntilIn } from '../../electron/engine/training/parallel/meeting.ts';
import type { ThreadRoute } from '../../electron/engine/training/parallel/threads.ts';
import type { TrainProgress } from '../../electron/contract/training.ts';
import type { TrainSettings } from '../../electron/engine/training/settings.ts';
import type { Lending } from '../../electron/engine/training/parallel/protocol.ts';
import { loadedAddon, nativeAddon, nativeCalls } from '../../models/native/kernels.ts';
import { withoutNative } from './helpers/native.ts';
import { patchWasmKernels, restoreWasmKernels } from '../../models/wasm-kernels.ts';

const ds = mnistSlice(96);
// Without the addon the native kernel threads' tests show as skipped, with why in their names
// (models-native-kernels.test.ts fails where a C++ compiler is and the addon is not loaded).
const noHelp = withoutNative || (loadedAddon()?.help ? '' : ' (skipped: the native kernels predate help(): npm run setup rebuilds them)');
const B = 32;
const STEPS = 4;

interface Trace {
  losses: number[];
  recon: number[];
  weights: Float32Array;
  threads: number;
  /** parts of other threads' native kernels run by threads that waited (data-parallel lending) */
  lentParts: number;
}

/** Steps [first, first + STEPS) of a run: on a new model, or on `model` (kept) with its optimiser's state. */
async function train(
  config: ModelConfig,
  threads: number,
  labels?: Int32Array,
  carry?: { model: VaeModel; first: number; keep?: boolean },
  imagesPerPass?: number,
  route?: ThreadRoute,
  lending?: Lending,
  steps = STEPS,
): Promise<Trace> {
  await useWasm();
  const model = carry?.model ?? VaeModel.create(config);
  const stepper = await createStepper(model, threads, { imagesPerPass, maxImages: B, route, lending });
  const losses: number[] = [];
  const recon: number[] = [];
  try {
    for (let s = carry?.first ?? 0; s < (carry?.first ?? 0) + steps; s++) {
      const idx = Array.from({ length: B }, (_, k) => (s * B + k) % ds.images.count);
      const x = pixelsToFloats(ds.images.pixels, idx, 28, 1, 'dynamic', mulberry32(s));
      const r = await stepper.step(x, [B, 28, 28, 1], labels ? Int32Array.from(idx, (i) => labels[i]) : undefined, 1000 + s);
      losses.push(r.loss);
      recon.push(r.recon);
    }
    const weights = new Float32Array(model.trainableVariables().flatMap((v) => Array.from(v.dataSync())));
    // what a checkpoint does: the optimiser's state where it reads it
    await stepper.beforeCheckpoint?.();
    return { losses, recon, weights, threads: stepper.threads, lentParts: (stepper as { lentParts?: number }).lentParts ?? 0 };
  } finally {
    await stepper.dispose();
    if (!carry?.keep) model.dispose();
  }
}

/** Positions where two weight arrays differ (a diff of ~10^5 values would take the reporter minutes). */
function differing(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((n, v, i) => n + (Object.is(v, b[i]) ? 0 : 1), 0);
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

  it("the Adam state moves between thread counts (checkpoints): 4 steps on 2 threads then 4 on 1 match 8 on 1, and back", async () => {
    const config = defaultModelConfig({ latent: 2, hidden: [64, 16], learningRate: 3e-3 });
    await useWasm();
    const tensorsBefore = tf.memory().numTensors;
    const straight = VaeModel.create(config);
    await train(config, 1, undefined, { model: straight, first: 0, keep: true });
    const reference = await train(config, 1, undefined, { model: straight, first: STEPS });
    for (const [first, second] of [[2, 1], [1, 2]]) {
      const model = VaeModel.create(config);
      await train(config, first, undefined, { model, first: 0, keep: true });
      const continued = await train(config, second, undefined, { model, first: STEPS });
      // Without the moments the second half would restart Adam (bias correction from step 1): far off.
      expectClose(continued.losses, reference.losses, 1e-4);
      const maxDiff = Math.max(...continued.weights.map((w, i) => Math.abs(w - reference.weights[i])));
      expect(maxDiff, `${first} then ${second} threads`).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  }, 240_000);

  it("reads the model's weights again when they changed between steps: assigned (a checkpoint loaded) or written in place", async () => {
    const config = defaultModelConfig({ latent: 2, hidden: [64, 16], learningRate: 3e-3 });
    await useWasm();
    const idx = Array.from({ length: B }, (_, k) => k);
    const x = pixelsToFloats(ds.images.pixels, idx, 28, 1, 0.5);
    const shape: [number, number, number, number] = [B, 28, 28, 1];
    /** The loss a step on `m` reports (computed before its update, so the optimiser's state does not enter). */
    const lossOf = async (m: VaeModel) => {
      const s = await createStepper(m, 1);
      try {
        return (await s.step(x, shape, undefined, 7)).loss;
      } finally {
        await s.dispose();
      }
    };
    const model = VaeModel.create(config);
    const assigned = VaeModel.create(config);
    const inPlace = VaeModel.create(config);
    const flat = new Float32Array(weightCount(inPlace));
    readWeights(inPlace, flat);
    // larger weights: a loss far from a freshly initialised model's (those all start near 784 ln 2)
    flat.forEach((v, i) => (flat[i] = 3 * v));
    writeWeights(inPlace, flat);
    const stepper = await createStepper(model, 2);
    try {
      await stepper.step(x, shape, undefined, 6);
      const stale = (await stepper.step(x, shape, undefined, 7)).loss;
      replicaVariables(model).forEach((v, i) => v.assign(replicaVariables(assigned)[i].clone()));
      const afterAssign = (await stepper.step(x, shape, undefined, 7)).loss;
      writeWeights(model, flat);
      const afterWrite = (await stepper.step(x, shape, undefined, 7)).loss;
      const wantAssigned = await lossOf(assigned);
      const wantInPlace = await lossOf(inPlace);
      // different initial weights give clearly different losses, so stale weights could not pass
      expect(Math.abs(wantAssigned - stale) / stale).toBeGreaterThan(1e-3);
      expect(Math.abs(wantInPlace - wantAssigned) / wantAssigned).toBeGreaterThan(1e-3);
      expectClose([afterAssign, afterWrite], [wantAssigned, wantInPlace], 1e-5);
    } finally {
      await stepper.dispose();
      for (const m of [model, assigned, inPlace]) m.dispose();
    }
  }, 120_000);

  it('writes weights in place where the memory is the variable\'s own and the native kernels read it, and never into a tensor that shares it', async () => {
    await useWasm();
    const model = VaeModel.create(defaultModelConfig({ latent: 2, hidden: [16] }));
    try {
      const vars = replicaVariables(model);
      const flat = new Float32Array(weightCount(model)).map((_, i) => (i % 7) / 7);
      const shared = vars[0].clone(); // shares the first variable's data: must keep its value
      const before = shared.dataSync().slice();
      const ids = vars.map((v) => v.dataId);
      writeWeights(model, flat);
      const back = new Float32Array(flat.length);
      readWeights(model, back);
      expect(Array.from(back)).toEqual(Array.from(flat));
      expect(Array.from(shared.dataSync())).toEqual(Array.from(before));
      // with the native kernels, the others were overwritten where they lay; the shared one was given new data
      if (nativeAddon()) expect(vars.slice(1).every((v, i) => v.dataId === ids[i + 1])).toBe(true);
      expect(vars[0].dataId).not.toBe(ids[0]);
      shared.dispose();
    } finally {
      model.dispose();
    }
  });

  it('written weights reach the next forward pass, on the native kernels and on TF.js\'s own (which keep a packed copy of each weight tensor)', async () => {
    await useWasm();
    const config = defaultModelConfig({ latent: 2, hidden: [16] });
    const x = tf.tensor4d(Array.from({ length: 4 * 784 }, (_, i) => (i % 11) / 11), [4, 28, 28, 1]);
    const encode = (m: VaeModel) => tf.tidy(() => Array.from((m.encoder.predict(x) as tf.Tensor[])[0].dataSync()));
    const probe = VaeModel.create(config);
    const flat = new Float32Array(weightCount(probe)).map((_, i) => Math.sin(i) / 4);
    probe.dispose();
    const kernelsInUse: string[] = [];
    try {
      for (const kernels of ['native', 'TF.js'] as const) {
        if (kernels === 'native' && !nativeAddon()) continue;
        const model = VaeModel.create(config);
        const reference = VaeModel.create(config);
        // TF.js's XNNPACK products, as where the native kernels did not build (after the models: making one patches them in)
        if (kernels === 'TF.js') restoreWasmKernels();
        expect(nativeAddon() !== null, kernels).toBe(kernels === 'native');
        kernelsInUse.push(kernels);
        try {
          encode(model); // a first use: TF.js's kernels pack the weights here
          const ids = replicaVariables(model).map((v) => v.dataId);
          writeWeights(model, flat);
          // without the native kernels every variable gets new data (and TF.js's kernels a new packed copy)
          if (kernels === 'TF.js') expect(replicaVariables(model).some((v, i) => v.dataId === ids[i])).toBe(false);
          let at = 0;
          for (const v of replicaVariables(reference)) v.assign(tf.tensor(flat.subarray(at, (at += v.size)), v.shape));
          expect(encode(model), kernels).toEqual(encode(reference));
        } finally {
          model.dispose();
          reference.dispose();
        }
      }
    } finally {
      patchWasmKernels();
      x.dispose();
    }
    expect(kernelsInUse).toContain('TF.js');
  });

  it('the threads\' Adam is TF.js\'s: three steps on flat arrays match tf.train.adam, whatever the split', async () => {
    await useWasm();
    const init = [0.5, -1, 2, 0.25, -0.75];
    const grads = [
      [0.1, -0.2, 0.3, 0, 1],
      [-0.5, 0.4, 0.1, 2, -1],
      [0.05, 0.05, -0.3, 0.2, 0.7],
    ];
    // TF.js: two variables (3 and 2 values)
    const a = tf.variable(tf.tensor1d(init.slice(0, 3)));
    const b = tf.variable(tf.tensor1d(init.slice(3)));
    const optimizer = tf.train.adam(0.01);
    for (const g of grads) optimizer.applyGradients([{ name: a.name, tensor: tf.tensor1d(g.slice(0, 3)) }, { name: b.name, tensor: tf.tensor1d(g.slice(3)) }]);
    const expected = [...a.dataSync(), ...b.dataSync()];
    const settings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    // ours: the same two variables in a replica layout with a frozen value between them; two gradient
    // slots weighted 1/4 and 3/4 that average to g; the parameters split across 1 or 3 threads
    const segments = [{ grad: 0, weight: 0, size: 3 }, { grad: 3, weight: 4, size: 2 }];
    // on the native kernels' Adam and on the JavaScript loop (where the kernels did not build)
    const ran: string[] = [];
    try {
      for (const kernels of ['native', 'JavaScript'] as const) {
        if (kernels === 'native') patchWasmKernels();
        else restoreWasmKernels();
        if (kernels === 'native' && !nativeAddon()) continue;
        expect(nativeAddon() !== null, kernels).toBe(kernels === 'native');
        ran.push(kernels);
        const calls = nativeCalls.adamShared;
        for (const parts of [1, 3]) {
          const weights = Float32Array.from([...init.slice(0, 3), 42, ...init.slice(3)]);
          const moments = { m: new Float32Array(5), v: new Float32Array(5) };
          grads.forEach((g, t) => {
            const slots = [Float32Array.from(g, (v) => 2 * v), Float32Array.from(g, (v) => (2 / 3) * v)];
            for (let p = 0; p < parts; p++) adamRange(t + 1, settings, slots, [0.25, 0.75], moments, weights, segments, ...parameterRange(5, parts, p));
          });
          const got = [weights[0], weights[1], weights[2], weights[4], weights[5]];
          got.forEach((w, i) => expect(w, `${kernels}, ${parts} part(s), weight ${i}`).toBeCloseTo(expected[i], 5));
          expect(weights[3]).toBe(42);
          // and the moments are TF.js's too
          expect(moments.m[0]).toBeCloseTo((0.9 * (0.9 * 0.1 * 0.1 + 0.1 * -0.5) + 0.1 * 0.05), 6);
          expect(moments.v[0]).toBeCloseTo(0.999 * (0.999 * 0.001 * 0.1 * 0.1 + 0.001 * 0.5 * 0.5) + 0.001 * 0.05 * 0.05, 9);
        }
        // ε keeps a tiny gradient's step bounded: |g| = ε gives half the learning rate
        const one = Float32Array.of(1);
        adamRange(1, settings, [Float32Array.of(1e-7)], [1], { m: new Float32Array(1), v: new Float32Array(1) }, one, [{ grad: 0, weight: 0, size: 1 }], 0, 1);
        expect(one[0], kernels).toBeCloseTo(1 - 0.005, 5);
        expect(nativeCalls.adamShared > calls, kernels).toBe(kernels === 'native');
      }
    } finally {
      patchWasmKernels();
    }
    expect(ran).toContain('JavaScript');
    // parameterRange covers every parameter once
    const covered = Array.from({ length: 4 }, (_, p) => parameterRange(10, 4, p));
    expect(covered).toEqual([[0, 3], [3, 6], [6, 8], [8, 10]]);
    tf.dispose([a, b]);
    optimizer.dispose();
  });

  it('a batch computed in passes (memory) takes the same steps as in one, on one thread or two', async () => {
    const config = defaultModelConfig({ latent: 2, hidden: [64, 16], learningRate: 3e-3 });
    const whole = await train(config, 1);
    for (const threads of [1, 2]) {
      const passes = await train(config, threads, undefined, undefined, 10); // 32 images: 4 passes of 8 on one thread, 2 of 8 on each of two
      expectClose(passes.losses, whole.losses, 1e-4);
      const maxDiff = Math.max(...passes.weights.map((w, i) => Math.abs(w - whole.weights[i])));
      expect(maxDiff, `${threads} thread(s) in passes`).toBeLessThan(1e-4);
    }
  }, 180_000);

  it('plans passes in batch order: every image once, at most the pass size, slots numbered in order', async () => {
    expect(planPasses(32, 1, 10)).toEqual([[{ offset: 0, size: 8, slot: 0 }, { offset: 8, size: 8, slot: 1 }, { offset: 16, size: 8, slot: 2 }, { offset: 24, size: 8, slot: 3 }]]);
    expect(planPasses(7, 2, 3)).toEqual([
      [{ offset: 0, size: 2, slot: 0 }, { offset: 2, size: 2, slot: 1 }],
      [{ offset: 4, size: 3, slot: 2 }],
    ]);
    expect(planPasses(5, 2)).toEqual([[{ offset: 0, size: 3, slot: 0 }], [{ offset: 3, size: 2, slot: 1 }]]);
    expect(planPasses(1, 4)).toEqual([[{ offset: 0, size: 1, slot: 0 }]]);
  });

  it("a step's figures are its shards' weighted by their images, the class loss by their labelled images", () => {
    const shards = [
      { images: 3, labelled: 1, values: { loss: 10, recon: 8, kl: 2, classLoss: 0.5 }, klPerDim: [1, 2] },
      // a shard without labelled images has no class loss of its own (a mean over none)
      { images: 1, labelled: 0, values: { loss: 2, recon: 1, kl: 1, classLoss: NaN }, klPerDim: [3, 0] },
      { images: 2, labelled: 2, values: { loss: 4, recon: 3, kl: 1, classLoss: 2 }, klPerDim: [0, 4] },
    ];
    const r = combineStats(shards) as unknown as Record<string, number | number[]>;
    expect(r.loss).toBeCloseTo((3 * 10 + 2 + 2 * 4) / 6, 12);
    expect(r.recon).toBeCloseTo((3 * 8 + 1 + 2 * 3) / 6, 12);
    expect(r.kl).toBeCloseTo((3 * 2 + 1 + 2 * 1) / 6, 12);
    expect(r.classLoss).toBeCloseTo((0.5 + 2 * 2) / 3, 12);
    expect(r.klPerDim).toEqual([(3 * 1 + 3) / 6, (3 * 2 + 2 * 4) / 6]);
    // no labelled image in the whole batch: no class loss
    expect(combineStats([{ ...shards[1] }, { ...shards[1], images: 3 }]).classLoss).toBeNaN();
  });

  it('shards a batch into contiguous rows, sizes differing by at most one and the larger first', () => {
    expect(shardRows(10, 4)).toEqual([{ offset: 0, total: 10 }, { offset: 3, total: 10 }, { offset: 6, total: 10 }, { offset: 8, total: 10 }]);
    expect(shardRows(8, 2)).toEqual([{ offset: 0, total: 8 }, { offset: 4, total: 8 }]);
    expect([0, 1, 2, 3].map((p) => shardSize(10, 4, p))).toEqual([3, 3, 2, 2]);
    expect([0, 1].map((p) => shardSize(8, 2, p))).toEqual([4, 4]);
  });

  it("the threads' Adam finds each trainable variable where the replica holds it, past a tied class bias", async () => {
    await useWasm();
    // the mixture prior ties the class bias (not trained); the learned pixel variance comes after it in the replica
    const model = VaeModel.create(defaultModelConfig({ objective: 'ssvae', latent: 4, style: 2, numClasses: 10, hidden: [16], classPrior: 'mixture', likelihood: 'gaussian', gaussianStd: 'learned' }));
    try {
      const vars = model.trainableVariables();
      const replica = replicaVariables(model);
      expect(replica.length).toBe(vars.length + 1);
      const segments = trainableSegments(model);
      expect(segments.some((seg) => seg.weight !== seg.grad)).toBe(true); // the tied bias lies before the pixel variance
      const weights = new Float32Array(weightCount(model));
      readWeights(model, weights);
      const before = weights.slice();
      segments.forEach((seg, i) => {
        expect(seg.size).toBe(vars[i].size);
        expect(seg.grad).toBe(i === 0 ? 0 : segments[i - 1].grad + segments[i - 1].size);
        expect(Array.from(weights.subarray(seg.weight, seg.weight + seg.size))).toEqual(Array.from(vars[i].dataSync()));
      });
      // one Adam step with every gradient 1 moves every trained weight by the learning rate, and nothing else
      const n = vars.reduce((a, v) => a + v.size, 0);
      const settings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
      adamRange(1, settings, [new Float32Array(n).fill(1)], [1], { m: new Float32Array(n), v: new Float32Array(n) }, weights, segments, 0, n);
      const moved = weights.reduce((k, w, i) => k + (w !== before[i] ? 1 : 0), 0);
      expect(moved).toBe(n);
      const off = segments.flatMap((seg) => Array.from(weights.subarray(seg.weight, seg.weight + seg.size), (w, j) => Math.abs(before[seg.weight + j] - w - 0.01)));
      expect(Math.max(...off)).toBeLessThan(1e-6);
    } finally {
      model.dispose();
    }
  });

  it('the shards meet on a shared counter: a step starts with none in, the Adam step waits for all of them, and a failed shard stops it', () => {
    const meeting = new Int32Array(meetingBuffer());
    // what the last step left: every shard in, one failed
    meeting[0] = 3;
    meeting[1] = 1;
    startStep(meeting);
    expect(Array.from(meeting)).toEqual([0, 0]);
    expect(allInAndWell(meeting, 2)).toBe(false);
    expect(shard(meeting, () => 'first')).toBe('first');
    expect(allInAndWell(meeting, 2)).toBe(false);
    // a worker waiting for a shard that never comes gives up, saying so
    expect(() => waitUntilIn(meeting, 2, 20)).toThrow(/did not finish their shards within 0.02 s/);
    expect(shard(meeting, () => 'second')).toBe('second');
    expect(allInAndWell(meeting, 2)).toBe(true);
    expect(() => waitUntilIn(meeting, 2, 20)).not.toThrow();
    expect(Array.from(meeting)).toEqual([2, 0]);
    // a shard that throws is counted in, as failed: the step is not applied anywhere
    startStep(meeting);
    expect(() =>
      shard(meeting, () => {
        throw new Error('out of memory');
      }),
    ).toThrow('out of memory');
    expect(shard(meeting, () => 1)).toBe(1);
    expect(Array.from(meeting)).toEqual([2, 1]);
    expect(allInAndWell(meeting, 2)).toBe(false);
    expect(() => waitUntilIn(meeting, 2, 1000)).toThrow(/another training thread's shard failed/);
  });

  it("a thread waiting for the shards goes on when another thread's shard comes in", async () => {
    const { Worker } = await import('node:worker_threads');
    const buffer = meetingBuffer();
    const meeting = new Int32Array(buffer);
    startStep(meeting);
    shard(meeting, () => undefined);
    // the other shard, 100 ms later on another thread
    const other = new Worker(
      "const { workerData } = require('node:worker_threads'); const m = new Int32Array(workerData); setTimeout(() => { Atomics.add(m, 0, 1); Atomics.notify(m, 0); }, 100);",
      { eval: true, workerData: buffer },
    );
    try {
      await new Promise((resolve) => other.once('online', resolve));
      const start = performance.now();
      expect(() => waitUntilIn(meeting, 2, 10_000)).not.toThrow();
      expect(Atomics.load(meeting, 0)).toBe(2);
      expect(performance.now() - start).toBeLessThan(5_000);
    } finally {
      await other.terminate();
    }
  });

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
    expect(defaultThreads({})).toEqual({ threads: Math.min(availableParallelism(), 64), source: 'cores', cores: availableParallelism() });
    // at most 64 (the kernels' pool and the settings' bound) on a machine with more cores
    expect(defaultThreads({}, 128)).toEqual({ threads: 64, source: 'cores', cores: 128 });
    expect(defaultThreads({ LATENT_EXPLORER_THREADS: '3' }).threads).toBe(3);
    expect(() => defaultThreads({ LATENT_EXPLORER_THREADS: 'two' })).toThrow(/LATENT_EXPLORER_THREADS must be a whole number.*'two'/);
    // set but empty or blank: the core count; 1 to 64 taken as they are, outside named
    for (const blank of ['', '  ']) expect(defaultThreads({ LATENT_EXPLORER_THREADS: blank }, 8), JSON.stringify(blank)).toEqual({ threads: 8, source: 'cores', cores: 8 });
    expect(defaultThreads({ LATENT_EXPLORER_THREADS: '1' }, 8).threads).toBe(1);
    expect(defaultThreads({ LATENT_EXPLORER_THREADS: '64' }, 8).threads).toBe(64);
    for (const bad of ['0', '65', '2.5']) expect(() => defaultThreads({ LATENT_EXPLORER_THREADS: bad }), bad).toThrow(`whole number from 1 to 64 (got '${bad}')`);
    const vae = defaultModelConfig({ latent: 2 });
    expect(trainingThreads(4, vae, 'wasm', 128)).toEqual({ threads: 4 });
    expect(trainingThreads(4, vae, 'tensorflow', 128).threads).toBe(1);
    expect(trainingThreads(4, defaultModelConfig({ objective: 'beta-tcvae', latent: 4 }), 'wasm', 128).note).toMatch(/β-TCVAE/);
    expect(trainingThreads(4, vae, 'wasm', 16)).toEqual({ threads: 2, note: '2 training threads: a batch of 16 gives each thread at least 8 images' });
    expect(trainingThreads(4, vae, 'wasm', 8)).toEqual({ threads: 1, note: '1 training thread: a batch of 8 gives each thread at least 8 images' });
    // one thread asked for: one, with nothing to explain, on the kernels too
    expect(trainingThreads(1, vae, 'wasm', 128, { nativeKernels: true, cores: 8 })).toEqual({ threads: 1 });
    // objectives whose terms need the whole batch, or that are not split yet, train on one thread (without the kernels); the others split
    const one = (objective: string, extra: Partial<ModelConfig> = {}) => trainingThreads(4, defaultModelConfig({ objective, latent: 4, ...extra } as Partial<ModelConfig>), 'wasm', 128);
    expect(one('dae')).toEqual({ threads: 1, note: "one training thread: the denoising autoencoder's corruption is not split across threads yet" });
    expect(one('ivae', { auxValues: 2 })).toEqual({ threads: 1, note: "one training thread: the iVAE's conditional prior is not split across threads yet" });
    const fair = { values: 2, prior: [0.5, 0.5], penalty: 'mmd', weight: 10, dropout: 0 } as ModelConfig['fair'];
    expect(one('fair-vae', { fair })).toEqual({ threads: 1, note: "one training thread: the fair VAE's penalty compares the whole batch's codes" });
    const wholeBatch = { threads: 1, note: 'one training thread: the style-TC and leakage terms are estimated from the whole batch' };
    const ss = { numClasses: 10, style: 2 };
    expect(one('ssvae', { ...ss, styleTcWeight: 1 })).toEqual(wholeBatch);
    expect(one('ssvae', { ...ss, classPrior: 'mixture', classCode: 'prototype', leakageWeight: 3 })).toEqual(wholeBatch);
    expect(one('ssvae', { ...ss, styleTcWeight: 0 })).toEqual({ threads: 4 });
    expect(one('ssvae', { ...ss, classPrior: 'mixture', classCode: 'prototype', leakageWeight: 0 })).toEqual({ threads: 4 });
    expect(one('ssvae', { ...ss, classPrior: 'mixture', leakageWeight: 3 })).toEqual({ threads: 4 }); // the leakage term is the prototype code's
    expect(one('beta-vae', { styleTcWeight: 1 })).toEqual({ threads: 4 });
    // with the native kernels: split inside them for every objective, except conv runs data-parallel may take
    const conv = defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 8 });
    const tcvae = (arch: 'mlp' | 'conv') => defaultModelConfig({ objective: 'beta-tcvae', arch, latent: 4 });
    const native = { nativeKernels: true, cores: 8 };
    expect(trainingThreads(4, vae, 'wasm', 128, native)).toMatchObject({ threads: 4, route: 'kernels' });
    expect(trainingThreads(4, vae, 'wasm', 16, native)).toMatchObject({ threads: 4, route: 'kernels' });
    expect(trainingThreads(4, tcvae('mlp'), 'wasm', 128, native)).toMatchObject({ threads: 4, route: 'kernels' });
    expect(trainingThreads(4, tcvae('conv'), 'wasm', 128, native)).toMatchObject({ threads: 4, route: 'kernels' });
    expect(trainingThreads(4, conv, 'wasm', 128, native)).toEqual({ threads: 4 });
    expect(trainingThreads(4, vae, 'cpu', 128, native)).toEqual({ threads: 4 });
    expect(trainingThreads(4, vae, 'tensorflow', 128, native).threads).toBe(1);
    expect(trainingThreads(4, vae, 'webgpu', 128, native)).toEqual({ threads: 1, note: 'one training thread: the webgpu backend uses the GPU by itself' });
  });

  it('kernel threads stop at the core count (beyond it they wait on each other); data-parallel threads, which decide the bits, do not', async () => {
    const { trainingThreads } = await import('../../electron/engine/training/parallel/threads.ts');
    const vae = defaultModelConfig({ latent: 2 });
    expect(trainingThreads(8, vae, 'wasm', 128, { nativeKernels: true, cores: 2 })).toEqual({
      threads: 2,
      route: 'kernels',
      note: '2 threads inside the native kernels',
      why: '8 asked for, but this machine has 2 cores and kernel threads beyond them wait on each other',
    });
    expect(trainingThreads(8, vae, 'wasm', 128, { nativeKernels: true, cores: 8 })).toEqual({ threads: 8, route: 'kernels', note: '8 threads inside the native kernels' });
    expect(trainingThreads(8, vae, 'wasm', 128, { nativeKernels: false, cores: 2 })).toEqual({ threads: 8 });
    expect(trainingThreads(3, vae, 'wasm', 128, { nativeKernels: true, cores: 1 })).toEqual({ threads: 1, note: 'one training thread: this machine has one core' });
  });

  it('data-parallel workers (a TF.js each) only while the run stays within 1.5x the data set; past that the conv VAE takes the kernel threads, without the kernels as many workers as fit', async () => {
    const { modelTrainingBytes, threadsNote, trainingThreads, trainingThreadBytes, workerBytes } = await import('../../electron/engine/training/parallel/threads.ts');
    const MB = 1024 * 1024;
    const conv = defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32, likelihood: 'gaussian' });
    // the estimates follow what was measured (README, "Memory on many cores"): 100-125 MB a worker at passes
    // of 32 images, less with smaller shards; ~130 MB for the training thread in passes of 32, ~42 MB more
    // in passes of 64 (one thread, kernel threads)
    const native = { nativeKernels: true };
    expect(workerBytes(conv, 'wasm', 128, { threads: 2, ...native }) / MB).toBeGreaterThan(115);
    expect(workerBytes(conv, 'wasm', 128, { threads: 2, ...native }) / MB).toBeLessThan(135);
    expect(workerBytes(conv, 'wasm', 128, { threads: 16, ...native })).toBeLessThan(workerBytes(conv, 'wasm', 128, { threads: 2, ...native }));
    expect(trainingThreadBytes(conv, 'wasm', 128, { threads: 2, ...native }) / MB).toBeGreaterThan(120);
    expect(trainingThreadBytes(conv, 'wasm', 128, { threads: 2, ...native }) / MB).toBeLessThan(140);
    expect(trainingThreadBytes(conv, 'wasm', 128, native) / MB).toBeGreaterThan(165);
    expect(trainingThreadBytes(conv, 'wasm', 128, native) / MB).toBeLessThan(185);
    const images = (n: number) => ({ datasetBytes: n * 64 * 64 * 3, modelBytes: 12 * MB });
    const withKernels = (threads: number, n: number) => trainingThreads(threads, conv, 'wasm', 128, { nativeKernels: true, cores: threads, memory: images(n) });
    const without = (threads: number, n: number) => trainingThreads(threads, conv, 'wasm', 128, { nativeKernels: false, cores: threads, memory: images(n) });
    // the bench's 40,000 images (469 MB): a worker took the run to 1.45-1.50x; the kernel threads stay well within
    expect(withKernels(2, 40_000)).toMatchObject({ threads: 2, route: 'kernels', why: expect.stringMatching(/with one the run would grow ~254 MB, more than the 240 MB that keep/) });
    // sixteen cores: fifteen workers would take ~1.4 GB; the kernel threads take none
    const sixteen = withKernels(16, 40_000);
    expect(sixteen).toMatchObject({ threads: 16, route: 'kernels' });
    expect(sixteen.why).toMatch(/^not data-parallel workers: each data-parallel worker holds a TF\.js of its own \(~91 MB here\); with 15 the run would grow ~1464 MB, more than the 240 MB that keep the run within 1\.5x the data set and model \(469 \+ 12 MB\)$/);
    expect(threadsNote(sixteen, { threads: 16, note: '16 threads inside the native kernels; each step in passes of at most 91 images, to bound memory' })).toBe(
      `16 threads inside the native kernels; each step in passes of at most 91 images, to bound memory; ${sixteen.why}`,
    );
    // workers that did not start: the stepper's note alone (the choice's reasons no longer describe the run)
    const fewer = without(16, 40_000 * 2);
    expect(fewer.threads).toBeGreaterThan(1);
    expect(threadsNote(fewer, { threads: 1, note: 'training on one thread: the worker threads did not start (x)' })).toBe('training on one thread: the worker threads did not start (x)');
    // without the kernels: as many workers as fit
    expect(without(16, 40_000)).toMatchObject({ threads: 1, note: expect.stringMatching(/^1 training thread: each data-parallel worker/) });
    expect(without(16, 100_000)).toMatchObject({ threads: 5, note: expect.stringMatching(/^5 training threads: each data-parallel worker .* with 15 the run would grow/) });
    // not told whether the kernels are installed: the estimates without them
    expect(trainingThreads(16, conv, 'wasm', 128, { cores: 16, memory: images(100_000) }).threads).toBe(5);
    // both reasons where the workers would not fit and the cores are fewer than asked for
    expect(trainingThreads(16, conv, 'wasm', 128, { nativeKernels: true, cores: 4, memory: images(40_000) })).toMatchObject({
      threads: 4,
      route: 'kernels',
      why: expect.stringMatching(/^not data-parallel workers: each data-parallel worker .*\(469 \+ 12 MB\); 16 asked for, but this machine has 4 cores and kernel/),
    });
    // a batch of 64 gives 8 workers at most: the kernel threads are taken for the batch, and no memory reason is given
    expect(trainingThreads(16, conv, 'wasm', 64, { nativeKernels: true, cores: 16, memory: images(40_000) })).toEqual({ threads: 16, route: 'kernels', note: '16 threads inside the native kernels' });
    // what the memory is measured against: 4 floats a parameter (weights, gradients, Adam's two moments)
    expect(modelTrainingBytes({ trainableVariables: () => [{ size: 10 }, { size: 5 }] })).toBe(240);
    // the choice's note where the stepper has none (one thread for β-TCVAE); both where the stepper adds its own
    const tc = trainingThreads(4, defaultModelConfig({ objective: 'beta-tcvae', latent: 4 }), 'wasm', 128);
    expect(threadsNote(tc, { threads: 1 })).toBe(tc.note);
    expect(threadsNote({ threads: 2, note: '2 training threads: a batch of 16 gives each thread at least 8 images' }, { threads: 2, note: 'each step in passes of at most 8 images, to bound memory' })).toBe(
      '2 training threads: a batch of 16 gives each thread at least 8 images; each step in passes of at most 8 images, to bound memory',
    );
    expect(threadsNote({ threads: 4 }, { threads: 4 })).toBeUndefined();
    expect(withKernels(4, 100_000)).toEqual({ threads: 4 });
    // 25,000 images (293 MB): one thread's run (~174 MB) already passes 1.5x, so a worker may add 128 MB
    expect(withKernels(2, 25_000)).toEqual({ threads: 2 });
    expect(without(2, 25_000)).toEqual({ threads: 2 });
    expect(withKernels(4, 25_000)).toMatchObject({ threads: 4, route: 'kernels', why: expect.stringMatching(/with 3 the run would grow ~414 MB, more than one thread's run and 128 MB \(~302 MB; one thread's run already passes 1\.5x/) });
    expect(withKernels(2, 5_000)).toEqual({ threads: 2 });
    // the estimates are the conv VAE's on wasm: an MLP's workers (without the kernels) are not held back by them
    const fashion = { datasetBytes: 55 * MB, modelBytes: 7 * MB };
    expect(trainingThreads(8, defaultModelConfig({ latent: 2 }), 'wasm', 128, { nativeKernels: false, cores: 8, memory: fashion })).toEqual({ threads: 8 });
    expect(trainingThreads(8, conv, 'cpu', 128, { nativeKernels: false, cores: 8, memory: images(40_000) })).toEqual({ threads: 8 });
    // the MLP VAE takes the kernel threads anyway: no memory reason is given
    expect(trainingThreads(8, defaultModelConfig({ latent: 2 }), 'wasm', 128, { nativeKernels: true, cores: 8, memory: { datasetBytes: 55 * MB, modelBytes: 7 * MB } })).toEqual({
      threads: 8,
      route: 'kernels',
      note: '8 threads inside the native kernels',
    });
  });

  it('big conv batches go in passes on wasm only (its heap never shrinks); other backends take the whole batch', async () => {
    const { imagesPerPass, passContext } = await import('../../electron/engine/training/parallel/threads.ts');
    const conv = defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 });
    // TF.js's own kernels: ~340 bytes of heap an input value, so 32 images of 64 px RGB in 128 MB
    expect(imagesPerPass(conv, 128, 'wasm')).toBe(32);
    // the native kernels: ~120 bytes, so 91 (a batch of 128 then goes in two passes of 64, planPasses)
    expect(imagesPerPass(conv, 128, 'wasm', { nativeKernels: true })).toBe(91);
    expect(planPasses(128, 1, 91)[0].map((p) => p.size)).toEqual([64, 64]);
    // data-parallel threads each compute a pass at once: they share the 128 MB (two threads' shards of 64 in passes of 32)
    expect(imagesPerPass(conv, 128, 'wasm', { threads: 2, nativeKernels: true })).toBe(45);
    expect(planPasses(128, 2, 45).map((t) => t.map((p) => p.size))).toEqual([[32, 32], [32, 32]]);
    for (const backend of ['webgpu', 'tensorflow', 'cpu']) expect(imagesPerPass(conv, 128, backend, { nativeKernels: true }), backend).toBeUndefined();
    expect(imagesPerPass(defaultModelConfig({ latent: 2 }), 128, 'wasm')).toBeUndefined(); // the MLP's batch fits
    expect(imagesPerPass(defaultModelConfig({ latent: 2 }), 4096, 'wasm')).toBeUndefined(); // and an MLP is never cut into passes
    // a batch that fits one pass is not cut: 32 images go in one, 33 in passes of at most 32; two threads' shards of 32 each fit 45
    expect(imagesPerPass(conv, 32, 'wasm')).toBeUndefined();
    expect(imagesPerPass(conv, 33, 'wasm')).toBe(32);
    expect(imagesPerPass(conv, 16, 'wasm')).toBeUndefined();
    expect(imagesPerPass(conv, 64, 'wasm', { threads: 2, nativeKernels: true })).toBeUndefined();
    // terms estimated from the whole batch take it in one pass
    const convOf = (extra: Partial<ModelConfig>) => defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32, ...extra });
    for (const whole of [{ objective: 'beta-tcvae' }, { objective: 'fair-vae', fair: { values: 2, prior: [0.5, 0.5], penalty: 'mmd', weight: 10, dropout: 0 } }, { objective: 'ssvae', numClasses: 10, style: 2, styleTcWeight: 1 }, { objective: 'ssvae', numClasses: 10, style: 2, classPrior: 'mixture', classCode: 'prototype', leakageWeight: 3 }] as Partial<ModelConfig>[])
      expect(imagesPerPass(convOf(whole), 128, 'wasm'), JSON.stringify(whole)).toBeUndefined();
    expect(imagesPerPass(convOf({ objective: 'ssvae', numClasses: 10, style: 2, classPrior: 'mixture', classCode: 'prototype', leakageWeight: 0 }), 128, 'wasm')).toBe(32);
    expect(imagesPerPass(convOf({ objective: 'ssvae', numClasses: 10, style: 2, styleTcWeight: 0 }), 128, 'wasm')).toBe(32);
    expect(imagesPerPass(convOf({ objective: 'beta-vae', styleTcWeight: 1 }), 128, 'wasm')).toBe(32); // the style TC is the semi-supervised model's
    // kernel threads share one pass's heap; data-parallel threads each compute their own
    expect(passContext({ threads: 2, route: 'kernels' }, true)).toEqual({ threads: 1, nativeKernels: true });
    expect(passContext({ threads: 2 }, true)).toEqual({ threads: 2, nativeKernels: true });
    expect(imagesPerPass(conv, 128, 'wasm', passContext({ threads: 2, route: 'kernels' }, true))).toBe(91);
  });

  it('shown as runs take them: one, with the reason, where the backend runs its own threads or the GPU', async () => {
    const { defaultThreadsOn } = await import('../../electron/engine/training/parallel/threads.ts');
    expect(defaultThreadsOn('wasm', {}, 8)).toEqual({ threads: 8, source: 'cores', cores: 8 });
    expect(defaultThreadsOn('cpu', { LATENT_EXPLORER_THREADS: '3' }, 8)).toEqual({ threads: 3, source: 'LATENT_EXPLORER_THREADS', cores: 8 });
    expect(defaultThreadsOn('webgpu', {}, 8)).toEqual({ threads: 1, source: 'cores', cores: 8, note: 'the webgpu backend uses the GPU by itself' });
    expect(defaultThreadsOn('tensorflow', { LATENT_EXPLORER_THREADS: '3' }, 8)).toMatchObject({ threads: 1, note: 'the tensorflow backend uses every core by itself' });
  });

  it.skipIf(withoutNative)(`native kernel threads take exactly the one-thread steps (MLP VAE, and β-TCVAE which data-parallel workers cannot split)${withoutNative}`, async () => {
    await useWasm();
    VaeModel.create(defaultModelConfig({ latent: 2 })).dispose(); // installs the kernels
    expect(nativeAddon(), 'native kernels loaded but not installed on the wasm backend').not.toBeNull();
    // the default 784-256-64 networks: their products and Adam steps are big enough to be split
    for (const config of [defaultModelConfig({ latent: 2 }), defaultModelConfig({ objective: 'beta-tcvae', latent: 3 })]) {
      const one = await train(config, 1);
      const two = await train(config, 2, undefined, undefined, undefined, 'kernels');
      expect(two.threads).toBe(2);
      expect(two.losses).toEqual(one.losses);
      expect(Array.from(two.weights)).toEqual(Array.from(one.weights));
    }
  });

  it.skipIf(withoutNative)(`native kernel threads take the one-thread steps of a conv VAE, in passes too (within float tolerance: filter gradients split their depth)${withoutNative}`, async () => {
    await useWasm();
    VaeModel.create(defaultModelConfig({ latent: 2 })).dispose(); // installs the kernels
    expect(nativeAddon(), 'native kernels loaded but not installed on the wasm backend').not.toBeNull();
    const config = defaultModelConfig({ arch: 'conv', imageSize: 28, channels: 1, latent: 4, learningRate: 3e-3 });
    const calls = nativeCalls.conv2dInputGrad;
    const one = await train(config, 1);
    expect(nativeCalls.conv2dInputGrad).toBeGreaterThan(calls); // the transposed convolutions ran natively
    const two = await train(config, 2, undefined, undefined, undefined, 'kernels');
    const passes = await train(config, 2, undefined, undefined, 8, 'kernels');
    expect(two.threads).toBe(2);
    expect(new Set(one.losses).size).toBe(STEPS); // the steps moved the model
    expectClose(two.losses, one.losses, 1e-4);
    expectClose(passes.losses, one.losses, 1e-4);
    let scale = 0;
    let diff = 0;
    one.weights.forEach((w, i) => ((scale = Math.max(scale, Math.abs(w))), (diff = Math.max(diff, Math.abs(w - two.weights[i])))));
    expect(diff / scale).toBeLessThan(1e-4);
  });

  it.skipIf(noHelp)(`threads whose shard is done run parts of the slower shard's native kernels: the same bits whoever runs them (conv VAE)${noHelp}`, async () => {
    await useWasm();
    VaeModel.create(defaultModelConfig({ latent: 2 })).dispose(); // installs the kernels
    expect(nativeAddon(), 'native kernels loaded but not installed on the wasm backend').not.toBeNull();
    // 64x64 RGB, so that the first layer's filter gradient splits its depth (the parts' sums are added in order)
    const config = defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 4, learningRate: 3e-3 });
    const run = async (threads: number, lending?: Lending) => {
      const model = VaeModel.create(config);
      const stepper = await createStepper(model, threads, { maxImages: B, lending, imagesPerPass: threads > 1 ? undefined : B / 2 }); // one thread: in passes, as the conv VAE trains
      const random = mulberry32(7);
      const losses: number[] = [];
      try {
        for (let s = 0; s < 6; s++) {
          const x = Float32Array.from({ length: B * 64 * 64 * 3 }, () => random());
          losses.push((await stepper.step(x, [B, 64, 64, 3], undefined, 50 + s)).loss);
        }
        const weights = new Float32Array(model.trainableVariables().flatMap((v) => Array.from(v.dataSync())));
        return { losses, weights, lentParts: (stepper as { lentParts?: number }).lentParts ?? 0 };
      } finally {
        await stepper.dispose();
        model.dispose();
      }
    };
    const tensorsBefore = tf.memory().numTensors;
    const one = await run(1);
    // alone (a step in passes, no worker) nothing can help: the kernels keep one thread's bits
    const oneOff = await run(1, 'off');
    expect(oneOff.losses).toEqual(one.losses);
    expect(differing(one.weights, oneOff.weights)).toBe(0);
    // 'split': the kernels cut their work into the parts a helper could take, but no thread helps
    const split = await run(2, 'split');
    const helped = await run(2, 'help');
    const again = await run(2, 'help');
    expect(split.lentParts).toBe(0);
    // parts really changed threads (a waiting thread ran some), and the run is the same bit for bit
    expect(helped.lentParts + again.lentParts).toBeGreaterThan(0);
    expect(helped.losses).toEqual(split.losses);
    expect(differing(helped.weights, split.weights)).toBe(0);
    expect(differing(again.weights, split.weights)).toBe(0);
    // and the same steps as one thread, within float tolerance
    expect(new Set(one.losses).size).toBe(one.losses.length);
    expectClose(helped.losses, one.losses, 1e-4);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // every worker that lent has ended and given its offer back (workers come and go with each run;
    // the desk holds 64): only this thread's stays
    expect(nativeAddon()!.seatedOffers!()).toBe(1);
  }, 180_000);

  it('workers that cannot start leave one thread that still computes its batch in passes (memory), with the reason', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    await useWasm();
    const config = defaultModelConfig({ arch: 'conv', imageSize: 16, channels: 3, latent: 4, likelihood: 'gaussian', learningRate: 1e-3 });
    const x = Float32Array.from({ length: 32 * 16 * 16 * 3 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    const broken = join(mkdtempSync(join(tmpdir(), 'le-broken-')), 'train-worker.mjs');
    writeFileSync(broken, "throw new Error('this worker cannot start');\n");
    const before = process.env.LATENT_EXPLORER_TRAIN_WORKER;
    process.env.LATENT_EXPLORER_TRAIN_WORKER = broken;
    const fallback = await createStepper(VaeModel.create(config), 2, { imagesPerPass: 8, maxImages: 32 }).finally(() => {
      if (before === undefined) delete process.env.LATENT_EXPLORER_TRAIN_WORKER;
      else process.env.LATENT_EXPLORER_TRAIN_WORKER = before;
    });
    const direct = await createStepper(VaeModel.create(config), 1, { imagesPerPass: 8, maxImages: 32 });
    try {
      expect(fallback.threads).toBe(1);
      expect(fallback.note).toMatch(/^training on one thread: the worker threads did not start \(.*cannot start.*\); each step in passes of at most 8 images, to bound memory$/);
      // the same passes as a one-thread run asked for them: the same bits
      for (let s = 0; s < 2; s++) expect((await fallback.step(x, [32, 16, 16, 3], undefined, 7 + s)).loss).toBe((await direct.step(x, [32, 16, 16, 3], undefined, 7 + s)).loss);
    } finally {
      await fallback.dispose();
      await direct.dispose();
    }
  }, 120_000);

  it("a step whose worker shard fails applies nothing: the next steps are those of a run that never saw it", async () => {
    const config = defaultModelConfig({ latent: 2, hidden: [64, 16], learningRate: 3e-3 });
    await useWasm();
    const batch = (s: number) => pixelsToFloats(ds.images.pixels, Array.from({ length: B }, (_, k) => (s * B + k) % ds.images.count), 28, 1, 'dynamic', mulberry32(s));
    const steps = async (failAt?: number) => {
      const model = VaeModel.create(config);
      const stepper = await createStepper(model, 2, { maxImages: B });
      const losses: number[] = [];
      try {
        for (let s = 0; s < 3; s++) {
          if (s === failAt) {
            // one value short: the worker's shard (the batch's last rows) cannot be made into a tensor
            const short = batch(s).subarray(0, B * 28 * 28 - 1);
            await expect(stepper.step(short, [B, 28, 28, 1], undefined, 1000 + s)).rejects.toThrow();
          }
          losses.push((await stepper.step(batch(s), [B, 28, 28, 1], undefined, 1000 + s)).loss);
        }
        await stepper.beforeCheckpoint?.();
        const weights = new Float32Array(model.trainableVariables().flatMap((v) => Array.from(v.dataSync())));
        return { losses, weights };
      } finally {
        await stepper.dispose();
        model.dispose();
      }
    };
    const clean = await steps();
    const failed = await steps(1);
    expect(failed.losses).toEqual(clean.losses);
    expect(differing(failed.weights, clean.weights)).toBe(0);
  }, 180_000);

  /** A training job to its end: its summary, every progress report, and the run.json it wrote. */
  async function trainJob(dataset: typeof ds, settings: TrainSettings) {
    const { startTraining } = await import('../../electron/engine/training/job.ts');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    await useWasm();
    const runDir = join(mkdtempSync(join(tmpdir(), 'le-threads-')), 'run');
    const progress: TrainProgress[] = [];
    const summary = await startTraining(dataset, settings, runDir, { onProgress: (p) => progress.push(p) }).done;
    return { summary, progress, run: JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) };
  }

  it('a training job on two threads reports them and finishes its run', async () => {
    const { summary, progress, run } = await trainJob(ds, { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 32, lr: 1e-3, seed: 3, threads: 2, hidden: [64, 16] });
    expect(summary.status).toBe('done');
    expect(Number.isFinite(summary.testLoss)).toBe(true);
    expect([...new Set(progress.map((p) => p.threads ?? 0))]).toEqual([2]);
    // run.json records the threads taken as well as those asked for
    expect(run.settings.threads).toBe(2);
    expect(run.threadsTaken).toMatchObject({ threads: 2, route: withoutNative ? 'data-parallel' : 'native kernels' });
  }, 180_000);

  it.skipIf(withoutNative || availableParallelism() < 2 || availableParallelism() > 62)(`a job asked for more kernel threads than cores runs on the cores and says why${withoutNative}`, async () => {
    const asked = availableParallelism() + 2;
    const { summary, progress } = await trainJob(ds, { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 32, lr: 1e-3, seed: 3, threads: asked, hidden: [64, 16] });
    expect(summary.status).toBe('done');
    const cores = availableParallelism();
    expect([...new Set(progress.map((p) => `${p.threads} | ${p.threadsNote}`))]).toEqual([`${cores} | ${cores} threads inside the native kernels; ${asked} asked for, but this machine has ${cores} cores and kernel threads beyond them wait on each other`]);
  }, 180_000);

  it.skipIf(withoutNative || availableParallelism() < 2)(`a job on a big folder's conv VAE takes the kernel threads where a worker would take the run past 1.5x the data set${withoutNative}`, async () => {
    // 64 px RGB images, 128 to train on and 32 to test; the rest held in the store as a big folder's are
    const folder = (count: number) => {
      const per = 64 * 64 * 3;
      const pixels = new Uint8Array(count * per);
      for (let i = 0; i < 160 * per; i++) pixels[i] = (i * 2654435761) >>> 24;
      const split = Uint8Array.from({ length: count }, (_, i) => (i < 128 ? 0 : i < 160 ? 1 : 2));
      const images = { pixels, count, size: 64, channels: 3 as const, labels: new Int32Array(count), classNames: ['a'], files: Array.from({ length: count }, (_, i) => `#${i}`), split };
      return { ...ds, ref: `test:${count}`, options: { ...ds.options, size: 64, channels: 3 }, images } as typeof ds;
    };
    const run = async (count: number) => {
      const { summary, progress, run } = await trainJob(folder(count), { model: 'vae', arch: 'conv', latent: 8, epochs: 1, batchSize: 64, lr: 1e-3, seed: 3, threads: 2, likelihood: 'gaussian' });
      expect(summary.status).toBe('done');
      return [...new Set(progress.map((p) => `${p.threads} | ${p.threadsNote ?? ''}`)), run.threadsTaken.route];
    };
    // 2,000 images (24 MB): a small folder, one worker beside it
    expect(await run(2_000)).toEqual(['2 | ', 'data-parallel']);
    // 35,000 images (410 MB): a worker would take the run past 1.5x
    const big = await run(35_000);
    expect(big).toHaveLength(2);
    expect(big[1]).toBe('native kernels');
    expect(big[0]).toMatch(/^2 \| 2 threads inside the native kernels; not data-parallel workers: each data-parallel worker holds a TF\.js of its own .* more than the \d+ MB that keep the run within 1\.5x/);
  }, 300_000);
});
