// Conv layers with a bias and relu, fused while training on wasm with the native kernels
// (models/native/fused-layers.ts): the same outputs and gradients, bit for bit, as tfjs-layers' own path
// (Conv2D or Conv2DBackpropInput, then Add, then Relu, with Step and Multiply for relu's gradient) on the
// same backend, and the cpu backend's within float tolerance; fewer kernel calls; no tensor left behind.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { patchWasmKernels } from '../../models/wasm-kernels.ts';
import { fuseLayers, reluGradient, unfuseLayers } from '../../models/native/fused-layers.ts';
import { gaussianLogLikelihood, gaussianLogLikelihoodOfLogits } from '../../models/losses.ts';

const compilerPresent = spawnSync('c++', ['--version']).status === 0;

type LayerArgs =
  | { kind: 'conv' | 'deconv'; filters: number; kernelSize: number; strides: number; padding: 'same' | 'valid'; activation: 'relu' | 'linear' }
  | { kind: 'dense'; units: number; activation: 'relu' | 'linear' };

/** A seeded layer on [n, h, w, c] inputs: its output, and the gradients of Σ output·weights for the input, kernel and bias. */
function run(args: LayerArgs, inputShape: number[], seed: number): tf.Tensor[] {
  const init = { kernelInitializer: tf.initializers.randomNormal({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }) };
  const { kind, ...rest } = args;
  const layer = kind === 'dense' ? tf.layers.dense({ ...(rest as { units: number }), ...init }) : (kind === 'conv' ? tf.layers.conv2d : tf.layers.conv2dTranspose)({ ...(rest as Parameters<typeof tf.layers.conv2d>[0]), ...init });
  const x = tf.randomNormal(inputShape, 0, 1, 'float32', seed + 2);
  layer.build(inputShape);
  const y = layer.apply(x) as tf.Tensor;
  const w = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 3);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, w)) as tf.Scalar, layer.trainableWeights.map((v) => v.read() as tf.Variable));
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, w)))(x);
  const out = [y, value, dx, ...layer.trainableWeights.map((v) => grads[(v.read() as tf.Variable).name])];
  tf.dispose([x, w]);
  for (const v of layer.weights) v.dispose(); // layer.dispose() refuses a layer never called symbolically
  return out;
}

const cases: [string, LayerArgs, number[]][] = [
  ['conv, stride 2, same (the conv VAE encoder)', { kind: 'conv', filters: 8, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' }, [3, 16, 16, 3]],
  ['conv, stride 1, valid, odd sizes', { kind: 'conv', filters: 5, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }, [2, 11, 9, 7]],
  ['transposed conv, stride 2, same (the decoder)', { kind: 'deconv', filters: 6, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' }, [3, 8, 8, 5]],
  ['transposed conv, stride 1, valid', { kind: 'deconv', filters: 4, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }, [2, 7, 5, 3]],
  ['dense (the MLP layers)', { kind: 'dense', units: 256, activation: 'relu' }, [32, 784]],
  ['dense, odd sizes', { kind: 'dense', units: 7, activation: 'relu' }, [5, 13]],
];

/** How many times each kernel runs in one gradient step of Σ layer(x) for the layer's weights. */
/**
 * The kernels of one forward and backward pass of `layer` (built for x) fused, then through tfjs-layers'
 * own path; leaves the layers fused and disposes x and the layer's weights.
 */
async function kernelCountsBothWays(layer: tf.layers.Layer, x: tf.Tensor): Promise<{ fused: Map<string, number>; plain: Map<string, number> }> {
  fuseLayers();
  layer.build(x.shape);
  const fused = await kernelCounts(layer, x);
  unfuseLayers();
  const plain = await kernelCounts(layer, x);
  fuseLayers();
  tf.dispose(x);
  for (const v of layer.weights) v.dispose();
  return { fused, plain };
}

async function kernelCounts(layer: tf.layers.Layer, x: tf.Tensor): Promise<Map<string, number>> {
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const counts = new Map<string, number>();
  for (const k of info.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  return counts;
}

describe.runIf(compilerPresent)('fused conv layers (wasm, native kernels)', () => {
  beforeAll(async () => {
    await useWasm();
    patchWasmKernels();
  });
  afterAll(async () => {
    await useWasm();
    fuseLayers();
  });

  for (const [label, args, shape] of cases) {
    it(`${label}: the unfused path's output and gradients, bit for bit, and the cpu backend's`, async () => {
      await useWasm();
      fuseLayers();
      const fused = tf.tidy(() => run(args, shape, 7).map((t) => tf.keep(t)));
      unfuseLayers();
      const plain = tf.tidy(() => run(args, shape, 7).map((t) => tf.keep(t)));
      fuseLayers();
      await tf.setBackend('cpu');
      const cpu = tf.tidy(() => run(args, shape, 7).map((t) => tf.keep(t)));
      await useWasm();
      expect(fused.length).toBe(5);
      fused.forEach((t, i) => {
        expect(t.shape, `${label} [${i}]`).toEqual(plain[i].shape);
        expect(Array.from(t.dataSync()), `${label} [${i}] against the unfused kernels`).toEqual(Array.from(plain[i].dataSync()));
        const want = cpu[i].dataSync();
        const got = t.dataSync();
        let diff = 0;
        let scale = 1e-6;
        for (let k = 0; k < want.length; k++) {
          diff = Math.max(diff, Math.abs(got[k] - want[k]));
          scale = Math.max(scale, Math.abs(want[k]));
        }
        expect(diff / scale, `${label} [${i}] against cpu`).toBeLessThan(2e-5);
      });
      // relu clipped something, so the mask is exercised
      expect(Array.from(fused[0].dataSync()).filter((v) => v === 0).length).toBeGreaterThan(0);
      tf.dispose([...fused, ...plain, ...cpu]);
    });
  }

  it('run as one fused kernel forward, no Step or Relu, and no input gradient for the first layer', async () => {
    await useWasm();
    const layer = tf.layers.conv2d({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' });
    const { fused, plain } = await kernelCountsBothWays(layer, tf.randomNormal([2, 16, 16, 3]));
    expect(fused.get('FusedConv2D')).toBe(1);
    expect(fused.get('Conv2DBackpropFilter')).toBe(1);
    expect(fused.has('Conv2DBackpropInput')).toBe(false); // x is data: no gradient asked for it
    for (const name of ['Relu', 'Step', 'Conv2D']) expect(fused.has(name), name).toBe(false);
    expect(plain.get('Conv2D')).toBe(1); // tfjs-layers' own path, back
    expect(plain.get('Relu')).toBe(1);
  });

  it('a dense layer runs as one _FusedMatMul forward, no Add or Relu, and back through two products', async () => {
    await useWasm();
    const layer = tf.layers.dense({ units: 64, activation: 'relu' });
    const { fused, plain } = await kernelCountsBothWays(layer, tf.randomNormal([32, 200]));
    expect(fused.get('_FusedMatMul')).toBe(1);
    expect(fused.get('BatchMatMul')).toBe(1); // the kernel's gradient; x is data
    for (const name of ['Add', 'Relu', 'Step']) expect(fused.has(name), name).toBe(false);
    expect(plain.get('Relu')).toBe(1); // tfjs-layers' own path, back
  });

  it('leave no tensors behind', async () => {
    await useWasm();
    fuseLayers();
    for (const [, args, shape] of cases) tf.dispose(run(args, shape, 3)); // warm-up: variables, initialisers
    const before = tf.memory().numTensors;
    for (const [, args, shape] of cases) tf.dispose(run(args, shape, 3));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("relu's gradient: the cpu backend's dy·step(x) bit for bit, NaN, ±0, infinities and denormals included", async () => {
    await useWasm();
    // every pair of special values; x never denormal: the native kernels read denormal inputs as 0 (DAZ,
    // README "Denormals flushed"), so step() of one is 0 there and 1 on cpu, for the Step kernel as for this
    const dySpecial = [NaN, 0, -0, Infinity, -Infinity, 1e-39, -1e-39, 3.5, -2.25];
    const xSpecial = [NaN, 0, -0, Infinity, -Infinity, 1e-30, -1e-30, 3.5, -2.25];
    const pairs = dySpecial.length * xSpecial.length;
    const n = 5000; // past the elementwise kernels' lower bound and not a multiple of any vector width
    const xs = new Float32Array(n).map((_, i) => (i < pairs ? xSpecial[i % xSpecial.length] : Math.sin(i * 7.1) * 3));
    const dys = new Float32Array(n).map((_, i) => (i < pairs ? dySpecial[Math.floor(i / xSpecial.length)] : Math.cos(i * 3.3)));
    const x = tf.tensor(xs);
    const dy = tf.tensor(dys);
    const native = reluGradient(dy, x);
    const got = native.dataSync();
    await tf.setBackend('cpu');
    const plain = tf.tidy(() => tf.mul(tf.tensor(dys), tf.cast(tf.step(tf.tensor(xs)), 'float32')));
    const want = plain.dataSync();
    await useWasm();
    expect(Array.from(want.slice(0, 81)).filter((v) => v !== 0 && Math.abs(v) < 1.2e-38).length).toBeGreaterThan(0); // a denormal survives on cpu
    const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
    const bad = Array.from(got).findIndex((v, i) => !same(v, want[i]));
    expect(bad, bad >= 0 ? `x ${xs[bad]}, dy ${dys[bad]}: ${got[bad]} against ${want[bad]}` : '').toBe(-1);
    tf.dispose([x, dy, native]);
    plain.dispose();
  });
});

describe.runIf(compilerPresent)('the Gaussian likelihood under sigmoid means, fused (wasm, native kernels)', () => {
  beforeAll(async () => {
    await useWasm();
    patchWasmKernels();
  });

  /** −log-likelihood summed with per-image weights, its value per image, and gradients for logits, logVar and x. */
  function likelihood(f: typeof gaussianLogLikelihoodOfLogits, shape: number[], logVar: number | number[], seed: number) {
    return tf.tidy(() => {
      const x = tf.randomUniform(shape, 0, 1, 'float32', seed);
      // logits past ±87 (sigmoid's underflow) and around 0
      const logits = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + 1), tf.tensor(Array.from({ length: shape[shape.length - 2] * shape[shape.length - 1] }, (_, i) => [40, 1, 0.01, 120][i % 4]), shape.slice(-2)));
      const lv = Array.isArray(logVar) ? tf.tensor(logVar) : tf.scalar(logVar);
      const weights = tf.randomUniform([shape[0]], 0.5, 2, 'float32', seed + 2);
      const per = f(x, logits, lv);
      const g = tf.grads((l: tf.Tensor, v: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.mul(f(xx, l, v), weights)))([logits, lv, x]);
      return [per, ...g].map((t) => tf.keep(t));
    });
  }

  const plain = (x: tf.Tensor, l: tf.Tensor, v: tf.Tensor) => gaussianLogLikelihood(x, tf.sigmoid(l), v);

  it("matches the plain chain on the cpu backend: values and the gradients for logits, logVar and x", async () => {
    // 64x64 RGB rows (12,288 values: many sum blocks of 256) and odd rows (not a multiple of any vector width)
    for (const shape of [[5, 64, 64, 3], [3, 7, 9, 4]]) {
      await useWasm();
      const calls = { sq: 0, sigmoid: 0 };
      const info = await tf.profile(() => tf.dispose(likelihood(gaussianLogLikelihoodOfLogits, shape, -2.3, 4)));
      for (const k of info.kernels) {
        if (k.name === 'LatentExplorerSigmoidSquaredError') calls.sq++;
        if (k.name === 'Sigmoid') calls.sigmoid++;
      }
      expect(calls.sq, 'the fused kernel runs').toBeGreaterThan(0);
      const got = likelihood(gaussianLogLikelihoodOfLogits, shape, -2.3, 4);
      await tf.setBackend('cpu');
      const want = likelihood(plain, shape, -2.3, 4);
      await useWasm();
      ['per image', 'logits', 'logVar', 'x'].forEach((label, i) => {
        expect(got[i].shape, label).toEqual(want[i].shape);
        const g = got[i].dataSync();
        const w = want[i].dataSync();
        const scale = Math.max(1e-6, ...Array.from(w, Math.abs));
        let diff = 0;
        for (let k = 0; k < w.length; k++) diff = Math.max(diff, Math.abs(g[k] - w[k]));
        expect(diff / scale, `${shape.join('x')}: ${label}`).toBeLessThan(2e-5);
      });
      tf.dispose([...got, ...want]);
    }
  });

  it('falls back to the plain chain for a logVar per value, and leaves no tensors', async () => {
    await useWasm();
    tf.dispose(likelihood(gaussianLogLikelihoodOfLogits, [2, 4, 4, 4], -1, 1));
    const before = tf.memory().numTensors;
    const perValue = Array.from({ length: 4 }, (_, i) => -1 - i / 4);
    const info = await tf.profile(() => tf.dispose(likelihood(gaussianLogLikelihoodOfLogits, [2, 4, 4, 4], perValue, 1)));
    expect(info.kernels.some((k) => k.name === 'LatentExplorerSigmoidSquaredError')).toBe(false);
    const a = likelihood(gaussianLogLikelihoodOfLogits, [2, 4, 4, 4], perValue, 1);
    const b = likelihood(plain, [2, 4, 4, 4], perValue, 1);
    a.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(b[i].dataSync())));
    tf.dispose([...a, ...b]);
    tf.dispose(likelihood(gaussianLogLikelihoodOfLogits, [2, 4, 4, 4], -1, 1));
    expect(tf.memory().numTensors).toBe(before);
  });
});
