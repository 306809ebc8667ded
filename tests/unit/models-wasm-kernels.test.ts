// The wasm kernel fixes give the same gradients as the reference cpu backend.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { patchWasmKernels } from '../../models/wasm-kernels.ts';

async function gradients(backend: 'cpu' | 'wasm'): Promise<number[][]> {
  if (backend === 'wasm') await useWasm();
  else {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return tf.tidy(() => {
    const x = tf.randomNormal([3, 28, 28, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 2, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const w2 = tf.randomNormal([4, 4, 3, 5], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = tf.randomNormal([2, 7, 5], 0, 1, 'float32', 4);
    const b = tf.randomNormal([2, 6, 7], 0, 1, 'float32', 5);
    const f = (x: tf.Tensor, w: tf.Tensor, w2: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const h = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'); // filter grad: Conv2DBackpropFilter
      const u = tf.conv2dTranspose(h, w2 as tf.Tensor4D, [3, 28, 28, 3], 2, 'same');
      const v = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid');
      const m = tf.matMul(a, b, true, true); // transposed products
      return tf.addN([tf.sum(tf.square(u)), tf.sum(tf.sin(v)), tf.sum(tf.square(m))]) as tf.Scalar;
    };
    return tf.grads(f)([x, w, w2, a, b]).map((g) => Array.from(g.dataSync()));
  });
}

/** Transposed convolutions (Conv2DBackpropInput) of several shapes, and their gradients, on one backend. */
async function transposedConvs(backend: 'cpu' | 'wasm'): Promise<number[][]> {
  if (backend === 'wasm') await useWasm();
  else {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  // [dy shape, filter shape, dx shape, stride, padding]: k divisible by s (sub-pixel path), odd sizes,
  // 'valid', stride 1, and k = 3 with stride 2 (falls back to TF.js's own kernel)
  const cases: Array<[[number, number, number, number], [number, number, number, number], [number, number, number, number], number | [number, number], 'same' | 'valid']> = [
    [[2, 4, 4, 6], [4, 4, 3, 6], [2, 8, 8, 3], 2, 'same'],
    [[2, 4, 4, 6], [4, 4, 3, 6], [2, 7, 7, 3], 2, 'same'],
    [[2, 3, 4, 5], [4, 2, 3, 5], [2, 8, 9, 3], [2, 2], 'valid'],
    [[1, 5, 5, 4], [3, 3, 2, 4], [1, 5, 5, 2], 1, 'same'],
    [[1, 3, 3, 4], [3, 3, 2, 4], [1, 5, 5, 2], 1, 'valid'],
    [[1, 3, 3, 4], [3, 3, 2, 4], [1, 6, 6, 2], 2, 'same'],
    [[2, 2, 3, 4], [6, 3, 2, 4], [2, 6, 9, 2], [3, 3], 'same'],
  ];
  return tf.tidy(() =>
    cases.flatMap(([dyShape, wShape, xShape, stride, padding], i) => {
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 10 + i) as tf.Tensor4D;
      const w = tf.randomNormal(wShape, 0, 1, 'float32', 20 + i) as tf.Tensor4D;
      const f = (dy: tf.Tensor, w: tf.Tensor) => tf.sum(tf.sin(tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, xShape, stride, padding))) as tf.Scalar;
      const out = tf.conv2dTranspose(dy, w, xShape, stride, padding);
      return [out, ...tf.grads(f)([dy, w])].map((t) => Array.from(t.dataSync()));
    }).concat(
      // sums over leading axes (conv bias gradients: a product with ones on wasm), with and without keepDims
      [tf.sum(tf.randomNormal([4, 9, 9, 5], 0, 1, 'float32', 30), [0, 1, 2]), tf.sum(tf.randomNormal([70, 3, 2], 0, 1, 'float32', 31), 0, true), tf.sum(tf.randomNormal([8, 10, 6], 0, 1, 'float32', 32), [1, 0])].map((t) =>
        [...t.shape, ...t.dataSync()],
      ),
    ),
  );
}

describe('wasm kernel fixes', () => {
  afterAll(async () => {
    await useWasm();
  });

  it('transposed convolutions (sub-pixel Conv2DBackpropInput) and their gradients match the cpu backend', async () => {
    patchWasmKernels();
    const cpu = await transposedConvs('cpu');
    const wasm = await transposedConvs('wasm');
    expect(wasm.map((g) => g.length)).toEqual(cpu.map((g) => g.length));
    cpu.forEach((g, i) => {
      const scale = Math.max(...g.map(Math.abs));
      const diff = Math.max(...g.map((v, k) => Math.abs(v - wasm[i][k])));
      expect(diff / scale, i < 21 ? `case ${Math.floor(i / 3)}, ${['output', 'dy gradient', 'filter gradient'][i % 3]}` : `sum ${i - 21}`).toBeLessThan(1e-5);
    });
  });

  it('conv filter gradients and transposed matmuls match the cpu backend', async () => {
    patchWasmKernels();
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(wasm.map((g) => g.length)).toEqual([4704, 160, 240, 70, 84]);
    cpu.forEach((g, i) => {
      const scale = Math.max(...g.map(Math.abs));
      const diff = Math.max(...g.map((v, k) => Math.abs(v - wasm[i][k])));
      expect(diff / scale, `gradient ${i}`).toBeLessThan(1e-5);
    });
  });

  it('tensors saved for the gradient share their data instead of being copied, and are all freed after it', async () => {
    patchWasmKernels();
    const run = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([64, 80], 0, 1, 'float32', 1);
        const w = tf.variable(tf.randomNormal([80, 30], 0, 1, 'float32', 2), true, `saved-w-${tf.getBackend()}`);
        // relu and sigmoid save their input or output; the intermediate tensors are freed by tidy before backprop
        const f = () => tf.tidy(() => tf.sum(tf.sigmoid(tf.relu(tf.matMul(x, w))))) as tf.Scalar;
        const { value, grads } = tf.variableGrads(f, [w]);
        const out = [value.dataSync()[0], ...grads[w.name].dataSync()];
        w.dispose();
        return out;
      });
    await tf.setBackend('cpu');
    const want = run();
    await useWasm();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const profile = await tf.profile(() => void run());
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    // no Identity kernel ran to keep a copy of what the gradients need
    expect(profile.kernels.filter((k) => k.name === 'Identity').length).toBe(0);
    const got = run();
    const scale = Math.max(...want.map(Math.abs));
    expect(Math.max(...want.map((v, i) => Math.abs(v - got[i]))) / scale).toBeLessThan(1e-5);
  });
});
