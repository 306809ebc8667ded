// The native CPU kernels (models/native/) give the cpu backend's numbers for every shape the models ask
// for, and for the edges of their blocking: partial row and column panels, depths across the packed
// block size (256), transposes, batch broadcasting, bias and relu, strides, padding and dilation.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { compilerPresent } from './helpers/native.ts';
import { patchWasmKernels } from '../../models/wasm-kernels.ts';
import { nativeAddon, nativeCalls, nativeKernelsStatus, offset, setNativeThreads, type WasmBackend } from '../../models/native/kernels.ts';
import { applyAdam, nativeAdamCalls } from '../../models/native/adam.ts';
import { adamRange } from '../../models/parallel/adam.ts';


async function on<T>(backend: 'cpu' | 'wasm', f: () => T): Promise<T> {
  if (backend === 'wasm') await useWasm();
  else {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return f();
}

function expectClose(got: tf.Tensor, want: tf.Tensor, label: string, tolerance = 2e-5) {
  expect(got.shape, label).toEqual(want.shape);
  const g = got.dataSync();
  const w = want.dataSync();
  const scale = Math.max(1e-6, ...Array.from(w, Math.abs));
  let diff = 0;
  for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(g[i] - w[i]));
  expect(diff / scale, label).toBeLessThan(tolerance);
}

/** Runs f on cpu and on wasm with the same seeded inputs and compares every output. */
async function compare(label: string, f: () => tf.Tensor[]) {
  const want = await on('cpu', () => f().map((t) => tf.keep(t)));
  const got = await on('wasm', () => f().map((t) => tf.keep(t)));
  got.forEach((t, i) => expectClose(t, want[i], `${label} [${i}]`));
  tf.dispose([...want, ...got]);
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/**
 * The native product of two seeded random matrices [m, k] · [k, n] (wasm backend, patched), written into an
 * output filled with NaN, so that a row or column no part wrote shows (a freed tensor's memory, reused,
 * could hold the right numbers from an earlier run).
 */
function nativeProduct(m: number, n: number, k: number, seed: number): number[] {
  const backend = tf.backend() as unknown as WasmBackend;
  const a = rand([m, k], seed);
  const b = rand([k, n], seed + 1);
  const out = tf.fill([m, n], NaN);
  nativeAddon()!.matmul(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, a), offset(backend, b), offset(backend, out), 1, m, n, k, 0, 0, 0, 0, -1, 0);
  const values = Array.from(out.dataSync());
  tf.dispose([a, b, out]);
  return values;
}

/** How many values differ from `want` in their bits (Object.is: NaN equals NaN, −0 differs from 0). */
const bitsDiffering = (got: number[], want: number[]) => got.reduce((d, v, j) => d + (Object.is(v, want[j]) ? 0 : 1), 0);

/**
 * The input gradient of a stride-2 'same' transposed convolution (Conv2DBackpropInput, 4x4 filters) through
 * the patched wasm kernels: n images of size x size outputs with c channels in and out, seeded.
 */
function transposedConvGrad(n: number, size: number, c: number, seed: number): number[] {
  return tf.tidy(() => {
    const dy = rand([n, size, size, c], seed);
    const filter = rand([4, 4, c, c], seed + 1);
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], inputShape: [n, 2 * size, 2 * size, c] };
    return Array.from((tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor).dataSync());
  });
}

describe('native CPU kernels', () => {
  beforeAll(async () => {
    await useWasm();
    patchWasmKernels();
  });
  afterAll(async () => {
    await useWasm();
  });

  it('are built and loaded wherever a C++ compiler is (npm run setup builds them)', () => {
    const status = nativeKernelsStatus();
    if (!compilerPresent) return void expect(status.loaded).toBe(false);
    expect(status, status.reason).toMatchObject({ loaded: true });
    expect(['avx512', 'avx2+fma', '128-bit']).toContain(status.isa);
  });

  it.runIf(compilerPresent)('matrix products of every transpose, odd sizes, deep K and broadcast batches match the cpu backend', async () => {
    const before = nativeCalls.matmul;
    // [M, K, N]: partial row panels (13), one-vector columns (3), wide with a remainder (37, 100), K past the block size (600)
    const sizes = [[13, 7, 3], [128, 784, 256], [37, 600, 100], [6, 513, 33], [1, 5, 1], [65, 64, 17]];
    let cases = 0;
    for (const [m, k, n] of sizes)
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          cases++;
          await compare(`matMul ${m}x${k}x${n} ${ta} ${tb}`, () => [
            tf.matMul(rand(ta ? [k, m] : [m, k], m + k), rand(tb ? [n, k] : [k, n], n + 2 * k), ta, tb),
          ]);
        }
    await compare('batched and broadcast', () => [
      tf.matMul(rand([3, 5, 7], 1), rand([3, 7, 4], 2)),
      tf.matMul(rand([2, 3, 5, 7], 3), rand([7, 4], 4)),
      tf.matMul(rand([6, 9], 5), rand([4, 9, 10], 6), false, false),
      tf.matMul(rand([1, 6, 9], 7), rand([4, 10, 9], 8), false, true),
    ]);
    expect(nativeCalls.matmul - before).toBe(cases + 4);
  });

  it.runIf(compilerPresent)('fused products apply bias and relu; other activations fall back to TF.js and still match', async () => {
    const before = nativeCalls.matmul;
    await compare('fused', () => [
      tf.fused.matMul({ a: rand([50, 40], 1), b: rand([40, 70], 2), bias: rand([70], 3), activation: 'relu' }),
      tf.fused.matMul({ a: rand([40, 50], 4), b: rand([70, 40], 5), transposeA: true, transposeB: true, bias: rand([70], 6) }),
      tf.fused.matMul({ a: rand([8, 30], 7), b: rand([30, 5], 8), activation: 'relu' }),
    ]);
    expect(nativeCalls.matmul - before).toBe(3);
    await compare('fused elu', () => [tf.fused.matMul({ a: rand([8, 30], 9), b: rand([30, 5], 10), bias: rand([5], 11), activation: 'elu' })]);
    expect(nativeCalls.matmul - before).toBe(3);
  });

  it.runIf(compilerPresent)('dense layers train to the same gradients as on the cpu backend', async () => {
    await compare('dense gradients', () => {
      const x = rand([33, 20], 1);
      const w1 = rand([20, 40], 2);
      const b1 = rand([40], 3);
      const w2 = rand([40, 6], 4);
      const f = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(tf.fused.matMul({ a: x, b: w1 as tf.Tensor2D, bias: b1, activation: 'relu' }), w2 as tf.Tensor2D))) as tf.Scalar;
      return tf.grads(f)([w1, b1, w2]);
    });
  });

  it.runIf(compilerPresent)('convolutions of every stride, padding and dilation, with bias and relu, match the cpu backend', async () => {
    const before = nativeCalls.conv2d;
    type Case = [number[], number[], number | [number, number], 'same' | 'valid' | tf.backend_util.ExplicitPadding, number | [number, number]];
    const cases: Case[] = [
      [[2, 16, 16, 3], [4, 4, 3, 32], 2, 'same', 1],
      [[2, 9, 11, 5], [3, 3, 5, 7], 1, 'same', 1],
      [[1, 9, 11, 5], [3, 2, 5, 40], [2, 1], 'valid', 1],
      [[1, 12, 12, 4], [3, 3, 4, 6], 1, 'valid', 2],
      [[2, 7, 7, 300], [1, 1, 300, 20], 1, 'valid', 1], // depth 300 crosses the 256 block inside a pixel's channels
      [[1, 8, 8, 70], [2, 2, 70, 9], 1, 'valid', 1],
      [[1, 6, 7, 2], [3, 3, 2, 4], 1, [[0, 0], [2, 1], [0, 2], [0, 0]], 1],
      // few input channels: rows wide enough for windows inside the image, read directly (conv2dThin)
      [[2, 40, 40, 3], [4, 4, 3, 32], 2, 'same', 1],
      [[1, 30, 37, 1], [3, 3, 1, 20], 1, 'same', 1], // 20 outputs: a partial panel
      [[1, 30, 33, 3], [3, 3, 3, 33], 1, 'valid', [2, 1]],
      [[1, 20, 41, 2], [2, 5, 2, 24], [1, 3], 'valid', 1],
    ];
    for (const [xs, ws, s, pad, d] of cases)
      await compare(`conv ${xs} ${ws} ${s} ${JSON.stringify(pad)} ${d}`, () => [tf.conv2d(rand(xs, 1) as tf.Tensor4D, rand(ws, 2) as tf.Tensor4D, s, pad, 'NHWC', d)]);
    await compare('fused conv', () => [
      tf.fused.conv2d({ x: rand([2, 8, 8, 3], 3) as tf.Tensor4D, filter: rand([4, 4, 3, 16], 4) as tf.Tensor4D, strides: 2, pad: 'same', bias: rand([16], 5), activation: 'relu' }),
      tf.fused.conv2d({ x: rand([2, 30, 30, 3], 9) as tf.Tensor4D, filter: rand([4, 4, 3, 32], 10) as tf.Tensor4D, strides: 2, pad: 'same', bias: rand([32], 11), activation: 'relu' }),
      tf.fused.conv2d({ x: rand([2, 8, 8, 3], 6) as tf.Tensor4D, filter: rand([3, 3, 3, 5], 7) as tf.Tensor4D, strides: 1, pad: 'valid', bias: rand([5], 8) }),
    ]);
    expect(nativeCalls.conv2d - before).toBe(cases.length + 3);
  });

  it.runIf(compilerPresent)('convolution gradients (filter natively, input through the sub-pixel form) match the cpu backend', async () => {
    const before = nativeCalls.conv2dFilterGrad;
    const cases: Array<[number[], number[], number | [number, number], 'same' | 'valid']> = [
      [[3, 16, 16, 3], [4, 4, 3, 8], 2, 'same'],
      [[2, 9, 11, 5], [3, 3, 5, 7], 1, 'same'],
      [[2, 9, 11, 5], [3, 2, 5, 40], [1, 2], 'valid'],
      [[2, 20, 20, 2], [4, 4, 2, 3], 2, 'valid'],
      // the app's shapes (few input channels, outputs in whole vectors) and others: windows over the edges,
      // more than 256 pixels, partial panels
      [[3, 20, 21, 3], [4, 4, 3, 32], 2, 'same'],
      [[2, 17, 19, 5], [3, 3, 5, 16], 1, 'valid'],
      [[2, 12, 13, 2], [5, 5, 2, 48], [2, 1], 'same'],
      [[1, 30, 30, 1], [4, 4, 1, 64], 2, 'same'],
    ];
    for (const [xs, ws, s, pad] of cases)
      await compare(`conv grads ${xs} ${ws} ${s} ${pad}`, () => {
        const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.sin(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad))) as tf.Scalar;
        return tf.grads(f)([rand(xs, 1), rand(ws, 2)]);
      });
    expect(nativeCalls.conv2dFilterGrad - before).toBe(cases.length);
  });

  it.runIf(compilerPresent)('softplus matches the cpu backend from −100 to 100, and its gradient too', async () => {
    const before = nativeCalls.softplus;
    await compare('softplus', () => {
      const x = tf.concat([tf.linspace(-100, 100, 20011), rand([1000], 1), tf.tensor1d([0, -1e-8, 1e-8, 88, -88, 17, -17])]);
      return [tf.softplus(x), tf.grad((x: tf.Tensor) => tf.sum(tf.softplus(x)))(x)];
    });
    expect(nativeCalls.softplus - before).toBe(2);
    // element by element against double precision: relative error, small values included
    await useWasm();
    const xs = Float32Array.from({ length: 4001 }, (_, i) => -100 + i * 0.05);
    const ys = tf.tidy(() => tf.softplus(tf.tensor1d(xs)).dataSync());
    let worst = 0;
    xs.forEach((x, i) => {
      const exact = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
      // below −87, exp(x) is under float32's normal range: a value that small counts as 0
      worst = Math.max(worst, x < -87 ? Math.abs(ys[i]) * 1e30 : Math.abs(ys[i] - exact) / exact);
    });
    expect(worst).toBeLessThan(1e-6);
  });

  it.runIf(compilerPresent)('read and write denormals as zero, on every thread, and leave JavaScript\'s arithmetic IEEE', async () => {
    await useWasm();
    // 1e-39 is below float32's normal range: a dead unit's Adam moment reaches such values and each
    // operation on one cost ~100 cycles (training 1.8x slower after ~800 steps)
    for (const threads of [1, 2]) {
      setNativeThreads(threads);
      const before = nativeCalls.matmul;
      const product = tf.tidy(() => tf.matMul(tf.fill([256, 256], 1e-39), tf.ones([256, 256])).dataSync());
      expect(nativeCalls.matmul - before).toBe(1);
      expect(product.every((v) => v === 0)).toBe(true);
    }
    setNativeThreads(1);
    // the same product on the cpu backend keeps them: 256 · 1e-39
    const kept = await on('cpu', () => tf.tidy(() => tf.matMul(tf.fill([4, 256], 1e-39), tf.ones([256, 4])).dataSync()[0]));
    expect(kept).toBeGreaterThan(2e-37);
    // the caller's floating-point mode is back: doubles below the normal range still compute
    const tiny = [5e-324, 2];
    expect(tiny[0] * tiny[1]).toBe(1e-323);
    expect(Math.fround(1e-39) * 2).toBeCloseTo(2e-39, 45);
  });

  it.runIf(compilerPresent)('sums over leading axes (bias gradients) match the cpu backend, down to three columns', async () => {
    await compare('sums', () => [
      tf.sum(rand([128, 64, 64, 3], 1), [0, 1, 2]),
      tf.sum(rand([600, 40], 2), 0, true),
      tf.sum(rand([3, 5, 7, 33], 3), [0, 1]),
    ]);
  });

  it.runIf(compilerPresent)('transposed convolutions (the input gradient) of every stride and padding match the cpu backend', async () => {
    const before = nativeCalls.conv2dInputGrad;
    // [dy, filter, dx, stride, padding]: the conv VAE's decoder shapes, odd sizes, 'valid', stride 1, k not divisible by s
    const cases: Array<[number[], number[], [number, number, number, number], number | [number, number], 'same' | 'valid']> = [
      [[4, 32, 32, 32], [4, 4, 3, 32], [4, 64, 64, 3], 2, 'same'],
      [[3, 4, 4, 64], [4, 4, 64, 64], [3, 8, 8, 64], 2, 'same'],
      [[2, 4, 4, 6], [4, 4, 3, 6], [2, 7, 7, 3], 2, 'same'],
      [[2, 3, 4, 5], [4, 2, 3, 5], [2, 8, 9, 3], [2, 2], 'valid'],
      [[1, 5, 5, 4], [3, 3, 2, 4], [1, 5, 5, 2], 1, 'same'],
      [[1, 3, 3, 4], [3, 3, 2, 4], [1, 6, 6, 2], 2, 'same'],
      [[2, 2, 3, 300], [6, 3, 2, 300], [2, 6, 9, 2], [3, 3], 'same'], // depth past the 256 block
    ];
    for (const [dys, ws, xs, s, pad] of cases)
      await compare(`conv2dTranspose ${dys} ${ws} ${xs} ${s} ${pad}`, () => [tf.conv2dTranspose(rand(dys, 1) as tf.Tensor4D, rand(ws, 2) as tf.Tensor4D, xs, s, pad)]);
    expect(nativeCalls.conv2dInputGrad - before).toBe(cases.length);
  });

  it.runIf(compilerPresent)('elementwise ops with every broadcast the layers use match the cpu backend; small tensors stay on TF.js', async () => {
    const before = nativeCalls.elementwise;
    const shape = [16, 18, 18, 5]; // 25,920 values; 5,184 rows of 5
    const ops = [tf.add, tf.sub, tf.mul];
    await compare('binary', () =>
      ops.flatMap((op) => {
        return [
          op(rand(shape, 1), rand(shape, 2)), // same shape
          op(rand(shape, 3), rand([5], 4)), // a bias
          op(rand([1, 1, 1, 5], 5), rand(shape, 6)), // a bias, on the left
          op(rand([4099, 3], 7), rand([3], 8)), // a short bias over a prime number of rows
          op(rand(shape, 9), rand([16, 1, 1, 1], 10)), // one value per image
          op(rand([16, 1, 1, 1], 11), rand(shape, 12)),
          op(rand(shape, 13), tf.scalar(0.5)), // a scalar
        ];
      }),
    );
    await compare('unary', () => {
      const x = tf.concat([rand([5000], 20), tf.linspace(-100, 100, 1001), tf.tensor1d([0, -0, -87.5, 87.5, -1e-8])]);
      return [tf.relu(x), tf.step(x), tf.step(x, 0.25), tf.neg(x), tf.square(x), tf.sigmoid(x), tf.sigmoid(tf.mul(x, 0.01)), tf.add(x, x)]; // 9 native calls
    });
    await compare('trailing sums', () => {
      return [tf.sum(rand([64, 9, 9, 5], 30), [1, 2, 3]), tf.sum(rand([40, 300], 31), 1, true), tf.sum(rand([50, 90], 32))];
    });
    expect(nativeCalls.elementwise - before).toBe(3 * 7 + 9 + 3); // on wasm only
    // NaN stays NaN, as on the cpu backend: a diverging run must show it
    await useWasm();
    const withNaN = tf.concat([rand([5000], 40), tf.tensor1d([NaN])]);
    for (const f of [tf.relu, tf.step, tf.sigmoid]) expect(Number.isNaN(f(withNaN).dataSync()[5000]), f.name).toBe(true);
    // under 4,096 values, or shapes no mode covers ([n, 1] + [1, m]), TF.js's kernels run
    const calls = nativeCalls.elementwise;
    await compare('not native', () => [tf.add(rand([100, 40], 41), rand([40], 42)), tf.mul(rand([300, 1], 43), rand([1, 300], 44)), tf.relu(rand([4000], 45))]);
    expect(nativeCalls.elementwise).toBe(calls);
  });

  it.runIf(compilerPresent)('Adam steps in place give tf.train.adam\'s weights and moments, also when another tensor shares a weight\'s memory', async () => {
    const run = (native: boolean) =>
      on('wasm', () => {
        const w = tf.variable(rand([300, 17], 1), true, `adam-w-${native}`);
        const b = tf.variable(rand([17], 2), true, `adam-b-${native}`);
        const opt = tf.train.adam(0.01);
        const alias = tf.reshape(w, [17, 300]); // shares w's memory: w must not change under it
        const before = alias.dataSync().slice();
        for (let step = 0; step < 5; step++) {
          const grads = tf.tidy(() => [{ name: w.name, tensor: tf.mul(rand([300, 17], 10 + step), step + 1) }, { name: b.name, tensor: rand([17], 20 + step) }]);
          if (native) applyAdam(opt, grads);
          else opt.applyGradients(grads);
          tf.dispose(grads.map((g) => g.tensor));
        }
        expect(Array.from(alias.dataSync())).toEqual(Array.from(before));
        const out = [w, b].map((t) => tf.keep(tf.mul(t, 1)));
        return { out, opt, dispose: () => tf.dispose([w, b, alias]) };
      });
    const calls = nativeAdamCalls.variables;
    const reference = await run(false);
    expect(nativeAdamCalls.variables).toBe(calls);
    const native = await run(true);
    expect(nativeAdamCalls.variables - calls).toBe(10);
    reference.out.forEach((t, i) => expectClose(native.out[i], t, `variable ${i}`, 1e-6));
    const [rw, nw] = [await reference.opt.getWeights(), await native.opt.getWeights()];
    expect(nw.map((x) => x.name.replace(/-true/, ''))).toEqual(rw.map((x) => x.name.replace(/-false/, '')));
    rw.forEach((x, i) => expectClose(nw[i].tensor, x.tensor, `optimizer weight ${x.name}`, 1e-6));
    tf.dispose([...reference.out, ...native.out]);
    reference.dispose();
    native.dispose();
  });

  it.runIf(compilerPresent)('split over 2 and 3 threads, a product writes every output once: rows in parts of whole micro-kernel tiles, wide and narrow, and columns', async () => {
    await useWasm();
    patchWasmKernels();
    // (M, N, K): the MLP VAE's 256 -> 64 layer on a batch of 128 (split by rows, as M >= N: 8-row tiles on
    // AVX-512), a narrow product (12-row tiles), an odd number of rows, and a product split by columns;
    // then shares that come to whole tiles with some left over, which the split once left out (129 rows in
    // two shares of 64; 10,001 rows; 129 columns in four shares of 32)
    const shapes: [number, number, number][] = [[128, 64, 256], [1000, 10, 400], [301, 150, 200], [20, 700, 500], [129, 64, 256], [10001, 40, 64], [40, 129, 512]];
    setNativeThreads(1);
    const one = shapes.map(([m, n, k], i) => nativeProduct(m, n, k, 30 + 2 * i));
    for (const threads of [2, 3, 4]) {
      setNativeThreads(threads);
      shapes.forEach(([m, n, k], i) => {
        const many = nativeProduct(m, n, k, 30 + 2 * i);
        expect(many.filter((v) => Number.isNaN(v)).length, `${m}x${n}x${k} on ${threads} threads: outputs not written`).toBe(0);
        expect(bitsDiffering(many, one[i]), `${m}x${n}x${k} on ${threads} threads: outputs that differ`).toBe(0);
      });
    }
    // Split by depth (too narrow for rows or columns), whose sums change order, so within float rounding:
    // 20,481 and 1,025 deep, whose shares came to whole blocks of 256 with the last depth left out
    const deep: [number, number, number][] = [[16, 24, 20481], [64, 64, 1025], [16, 24, 20000]];
    setNativeThreads(1);
    const whole = deep.map(([m, n, k], i) => nativeProduct(m, n, k, 60 + 2 * i));
    for (const threads of [2, 4]) {
      setNativeThreads(threads);
      deep.forEach(([m, n, k], i) => {
        const split = nativeProduct(m, n, k, 60 + 2 * i);
        const scale = Math.max(...whole[i].map(Math.abs));
        const worst = Math.max(...split.map((v, j) => Math.abs(v - whole[i][j])));
        expect(worst / scale, `${m}x${n}x${k} split by depth on ${threads} threads`).toBeLessThan(1e-5);
      });
    }
    setNativeThreads(1);
  });

  it.runIf(compilerPresent)('a kernel thread that starts late leaves its parts to the caller: products split by rows and by depth, and a transposed convolution by images, whole and with the bits of a prompt one', async () => {
    await useWasm();
    patchWasmKernels();
    const addon = nativeAddon()!;
    // (M, N, K): split by rows (M >= N); too narrow for rows or columns, so split by depth (each part's sum
    // in a buffer of its own, added in part order: the caller runs both parts here)
    const work: [string, () => number[]][] = [
      ['128x64x256 by rows', () => nativeProduct(128, 64, 256, 50)],
      ['16x24x20000 by depth', () => nativeProduct(16, 24, 20000, 52)],
      ['a transposed convolution by images', () => transposedConvGrad(16, 16, 8, 41)],
    ];
    // on 3 threads the caller runs two parts of the depth split besides its own
    for (const threads of [2, 3]) {
      setNativeThreads(threads);
      for (const [label, run] of work) {
        const prompt = run();
        addon.poolParts!(0);
        addon.poolParts!(300); // the kernel threads start any job in the next 300 ms only after them
        const late = run();
        const [caller, taken] = addon.poolParts!(0);
        const what = `${label} on ${threads} threads`;
        expect(taken, `${what}: parts the late threads took`).toBe(0);
        expect(caller, `${what}: parts the caller took`).toBeGreaterThanOrEqual(threads);
        expect(late.filter((v) => Number.isNaN(v)).length, `${what}: outputs not written`).toBe(0);
        expect(bitsDiffering(late, prompt), `${what}: outputs that differ from prompt threads'`).toBe(0);
        await new Promise((r) => setTimeout(r, 320));
      }
    }
    // and the threads, once started, take parts again
    setNativeThreads(2);
    let taken = 0;
    for (let i = 0; i < 50 && taken === 0; i++) {
      work[0][1]();
      taken = addon.poolParts!(0)[1];
    }
    expect(taken, 'parts the kernel thread took once started').toBeGreaterThan(0);
    setNativeThreads(1);
  });

  it.runIf(compilerPresent)('a product whose batch dimensions broadcast both ways is left to TF.js: what the cpu backend gives, no values left unwritten', async () => {
    // [1, 3] against [3, 1]: more products than either side has, which the kernel's one batch stride cannot
    // make (no model asks for these; TF.js's own kernels answer them as below)
    const product = () => tf.tidy(() => tf.matMul(tf.range(0, 4).reshape([1, 1, 2, 2]).tile([1, 3, 1, 1]), tf.range(1, 5).reshape([1, 1, 2, 2]).tile([3, 1, 1, 1])));
    const want = await on('cpu', () => product());
    const calls = nativeCalls.matmul;
    const got = await on('wasm', () => product());
    expect(nativeCalls.matmul, 'the native product is not used').toBe(calls);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([want, got]);
  });

  it.runIf(compilerPresent)('a transposed convolution of a small batch still splits over the threads, with the bits of one thread', async () => {
    await useWasm();
    patchWasmKernels();
    const addon = nativeAddon()!;
    // 8 images of 8x8 outputs: groups of 4 images would make 2 parts for 4 threads
    const run = () => transposedConvGrad(8, 8, 8, 71);
    setNativeThreads(1);
    const one = run();
    setNativeThreads(4);
    addon.poolParts!(0);
    const four = run();
    const [caller, threads] = addon.poolParts!(0);
    setNativeThreads(1);
    expect(caller + threads, 'parts the transposed convolution was cut in on 4 threads').toBeGreaterThanOrEqual(4);
    expect(bitsDiffering(four, one), 'outputs that differ from one thread').toBe(0);
  });

  it.runIf(compilerPresent)('split over 2 and 3 threads, give the one-thread numbers: the same bits where rows or columns are split', async () => {
    await useWasm();
    const work = () =>
      tf.tidy(() => {
        const x = rand([16, 32, 32, 3], 1) as tf.Tensor4D;
        const w = rand([4, 4, 3, 32], 2) as tf.Tensor4D;
        const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))) as tf.Scalar;
        const [dx, dw] = tf.grads(f)([x, w]); // dw: a depth split (32 x 48 outputs over 4,096 pixels)
        return [
          tf.matMul(rand([300, 200], 3), rand([200, 150], 4)), // rows
          tf.matMul(rand([20, 500], 5), rand([500, 700], 6)), // columns
          tf.conv2d(x, w, 1, 'same'),
          dx,
          tf.softplus(rand([200_000], 7)),
          tf.add(rand([64, 32, 32, 8], 10), rand([8], 11)), // elementwise: rows split
          tf.sigmoid(rand([100_000], 12)),
          tf.sum(rand([300, 40, 20], 13), [0, 1]), // bias gradient: blocks of rows split, added in order
          tf.sum(rand([64, 4000], 14), 1), // per-image sums
          tf.conv2dTranspose(rand([16, 8, 8, 32], 15) as tf.Tensor4D, rand([4, 4, 3, 32], 16) as tf.Tensor4D, [16, 16, 16, 3], 2, 'same'), // images split
          dw,
        ].map((t) => Array.from(t.dataSync()));
      });
    expect(setNativeThreads(1)).toBe(1);
    const one = work();
    for (const threads of [2, 3]) {
      expect(setNativeThreads(threads)).toBe(threads);
      const many = work();
      const last = one.length - 1;
      for (let i = 0; i < last; i++) expect(many[i], `output ${i} on ${threads} threads`).toEqual(one[i]);
      const scale = Math.max(...one[last].map(Math.abs));
      expect(Math.max(...one[last].map((v, k) => Math.abs(v - many[last][k]))) / scale).toBeLessThan(1e-5);
    }
    // Adam on more than 65,536 values runs split too: same bits
    const adam = async (threads: number) => {
      setNativeThreads(threads);
      const v = tf.variable(rand([400, 300], 8), true, `split-adam-${threads}`);
      const opt = tf.train.adam(0.01);
      for (let step = 0; step < 3; step++) {
        const g = rand([400, 300], 9 + step);
        applyAdam(opt, [{ name: v.name, tensor: g }]);
        g.dispose();
      }
      const out = Array.from(v.dataSync());
      v.dispose();
      opt.dispose();
      return out;
    };
    expect(await adam(2)).toEqual(await adam(1));
    expect(setNativeThreads(1)).toBe(1);
  });

  it.runIf(compilerPresent)('threads can be changed at any moment, also right after they start (no hang)', () => {
    // in a child process with a deadline: a hang inside the addon would block this one's event loop
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { useWasm } from './tests/unit/helpers/tf.ts';
      import { patchWasmKernels } from './models/wasm-kernels.ts';
      import { setNativeThreads } from './models/native/kernels.ts';
      await useWasm();
      patchWasmKernels();
      const a = tf.randomNormal([200, 300], 0, 1, 'float32', 1), b = tf.randomNormal([300, 200], 0, 1, 'float32', 2);
      const want = tf.matMul(a, b).dataSync().join();
      for (let i = 0; i < 300; i++) {
        setNativeThreads(2 + (i % 3)); // workers start ...
        if (i % 2 && tf.tidy(() => tf.matMul(a, b).dataSync().join()) !== want) throw new Error('different product at ' + i);
        setNativeThreads(1); // ... and are stopped, often before they ran
      }
      console.log('ok');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'hung: killed after 60 s').toBeNull();
    expect(r.stdout.trim(), r.stderr).toBe('ok');
  });

  it.runIf(compilerPresent)("time a cache line's round trip between the calling thread and its first kernel thread (bench threads' placement of the cores), 0 alone; setThreads refuses counts outside 1-64", () => {
    // in a child process with a deadline, as above: the two threads wait on each other
    const script = `
      import { useWasm } from './tests/unit/helpers/tf.ts';
      import { patchWasmKernels } from './models/wasm-kernels.ts';
      import { coreRoundTrip, nativeAddon, setNativeThreads } from './models/native/kernels.ts';
      await useWasm();
      patchWasmKernels();
      const out = {};
      for (const n of [1, 2, 3, 2]) { setNativeThreads(n); out[n] = [coreRoundTrip(1), coreRoundTrip(5000)]; }
      setNativeThreads(2);
      const t0 = performance.now();
      const many = coreRoundTrip(20000);
      const wallMs = performance.now() - t0;
      setNativeThreads(1);
      let refused = '';
      try { nativeAddon().coreRoundTrip(0); } catch (e) { refused = e.message; }
      // setThreads takes 1 to 64 and refuses anything else, leaving the pool as it was
      setNativeThreads(2);
      const threadsRefused = [0, 65, -1, 'two'].map((n) => { try { nativeAddon().setThreads(n); return ''; } catch (e) { return e.message; } });
      const poolAfter = coreRoundTrip(100) > 0;
      const setTo = [nativeAddon().setThreads(1), nativeAddon().setThreads(3), nativeAddon().setThreads(1)];
      console.log(JSON.stringify({ out, many, wallMs, refused, threadsRefused, poolAfter, setTo }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'hung: killed after 60 s').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const { out, many, wallMs, refused, threadsRefused, poolAfter, setTo } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      out: Record<string, number[]>;
      many: number;
      wallMs: number;
      refused: string;
      threadsRefused: string[];
      poolAfter: boolean;
      setTo: number[];
    };
    expect(out['1']).toEqual([0, 0]);
    for (const n of ['2', '3']) {
      // a real round trip: tens of ns between two cores of one die, hundreds across dies
      for (const ns of out[n]) expect(ns, `${n} threads`).toBeGreaterThan(5);
      // a time, not garbage (on 3 threads and 2 busy cores a trip can wait for a time slice: milliseconds)
      expect(out[n][1], `${n} threads, the mean of 5,000 trips`).toBeLessThan(1e9);
    }
    // the count is honoured: 20,000 trips take about 20,000 times the mean (or the 50 ms the call stops at)
    expect(wallMs).toBeGreaterThan(0.5 * Math.min((20000 * many) / 1e6, 50));
    expect(refused).toMatch(/coreRoundTrip: a count from 1/);
    for (const message of threadsRefused) expect(message).toMatch(/setThreads: a count from 1 to 64/);
    expect(poolAfter, 'the two-thread pool survives a refused count').toBe(true);
    expect(setTo).toEqual([1, 3, 1]);
  });

  it.runIf(compilerPresent)('the data-parallel Adam over shared memory gives the bits of its JavaScript loop, on 1 or 2 kernel threads', async () => {
    await useWasm();
    const n = 150_000;
    const random = (seed: number) => Float32Array.from(rand([n], seed).dataSync());
    const shared = (a: Float32Array) => {
      const out = new Float32Array(new SharedArrayBuffer(a.length * 4));
      out.set(a);
      return out;
    };
    const settings = { learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const slots = [shared(random(1)), shared(random(2)), shared(random(3))];
    const scales = [0.25, 0.5, 0.25];
    const segments = [{ grad: 0, weight: 0, size: 100_000 }, { grad: 100_000, weight: 100_007, size: 50_000 }];
    // the loop of models/parallel/adam.ts, written out here as the oracle
    const reference = { w: new Float32Array(n + 7), m: random(4).map(Math.abs), v: random(5).map((x) => x * x) };
    reference.w.set(random(6));
    const c1 = 1 - Math.fround(settings.beta1 ** 3);
    const c2 = 1 - Math.fround(settings.beta2 ** 3);
    for (const seg of segments)
      for (let i = seg.grad; i < seg.grad + seg.size; i++) {
        let g = 0;
        for (let s = 0; s < 3; s++) g += scales[s] * slots[s][i];
        const mi = settings.beta1 * reference.m[i] + (1 - settings.beta1) * g;
        const vi = settings.beta2 * reference.v[i] + (1 - settings.beta2) * g * g;
        reference.m[i] = mi;
        reference.v[i] = vi;
        reference.w[i + seg.weight - seg.grad] -= (settings.learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + settings.epsilon);
      }
    for (const threads of [1, 2]) {
      setNativeThreads(threads);
      const weights = new Float32Array(new SharedArrayBuffer((n + 7) * 4));
      weights.set(random(6));
      const moments = { m: shared(random(4).map(Math.abs)), v: shared(random(5).map((x) => x * x)) };
      const calls = nativeCalls.adamShared;
      adamRange(3, settings, slots, scales, moments, weights, segments, 0, n);
      expect(nativeCalls.adamShared - calls).toBe(2); // one per segment
      expect(weights, `weights, ${threads} threads`).toEqual(reference.w);
      expect(moments.m).toEqual(reference.m);
      expect(moments.v).toEqual(reference.v);
    }
    setNativeThreads(1);
  });

  it.runIf(compilerPresent)('leave no tensors behind', async () => {
    await useWasm();
    const x = rand([2, 8, 8, 3], 1) as tf.Tensor4D;
    const w = rand([4, 4, 3, 8], 2) as tf.Tensor4D;
    const a = rand([30, 20], 3);
    const b = rand([30, 10], 4);
    const step = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.add(tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')), tf.sum(tf.matMul(a, b as tf.Tensor2D, true, false).transpose())) as tf.Scalar;
        return tf.grads(f)([x, w, b]).map((g) => g.shape);
      });
    step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    tf.dispose([x, w, a, b]);
  });
});
