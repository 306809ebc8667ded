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

describe('wasm kernel fixes', () => {
  afterAll(async () => {
    await useWasm();
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
});
