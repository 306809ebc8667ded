// The Gaussian likelihood of images under sigmoid means (the conv VAE's on RGB folders) needs, per image,
// S = Σ_p (x − sigmoid(l))². Through TF.js that is a chain of whole-batch passes — Sigmoid, Sub, Square,
// Multiply, Add, Sum forward, as many Multiplies back — ~18 ms of a 64x64 RGB conv VAE step of ~255
// (tests/bench/step-profile.ts conv --passes). Here S and its gradient for the logits are one native pass
// each (elementwise.inc); the rest of the likelihood is arithmetic on [N] values (models/losses.ts).
import * as tf from '@tensorflow/tfjs';
import { elementCount, nativeCalls, offset, type Fn, type NativeAddon, type WasmBackend } from './heap.ts';
import { opWithLazyGradients } from './fused-layers.ts';

/** The kernels: S per image (inputs x, logits), and S's gradient for the logits (inputs dy, x, logits). */
export const SIGMOID_SQUARED_ERROR = 'LatentExplorerSigmoidSquaredError';
export const SIGMOID_SQUARED_ERROR_GRAD = 'LatentExplorerSigmoidSquaredErrorGrad';

function check(name: string, x: tf.TensorInfo, logits: tf.TensorInfo): void {
  if (x.dtype !== 'float32' || logits.dtype !== 'float32' || x.shape.length < 2 || x.shape.join() !== logits.shape.join())
    throw new Error(`${name}: x and logits must be float32 tensors of one shape [N, ...]`);
}

export function sigmoidSquaredErrorKernel(addon: NativeAddon): Fn {
  return (args) => {
    const { x, logits } = args.inputs;
    check(SIGMOID_SQUARED_ERROR, x, logits);
    const backend = args.backend as unknown as WasmBackend;
    const rows = x.shape[0];
    const out = backend.makeOutput([rows], 'float32');
    nativeCalls.elementwise++;
    if (rows > 0) addon.sigmoidSquaredError(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, logits), offset(backend, out), rows, elementCount(x.shape) / rows);
    return out;
  };
}

export function sigmoidSquaredErrorGradKernel(addon: NativeAddon): Fn {
  return (args) => {
    const { dy, x, logits } = args.inputs;
    check(SIGMOID_SQUARED_ERROR_GRAD, x, logits);
    const rows = x.shape[0];
    if (dy.dtype !== 'float32' || elementCount(dy.shape) !== rows) throw new Error(`${SIGMOID_SQUARED_ERROR_GRAD}: dy must hold one float32 per image`);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    nativeCalls.elementwise++;
    if (rows > 0)
      addon.sigmoidSquaredErrorGrad(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, dy), offset(backend, x), offset(backend, logits), offset(backend, out), rows, elementCount(x.shape) / rows);
    return out;
  };
}

/** Whether the current backend computes sigmoidSquaredError natively. */
export function nativeSigmoidSquaredError(): boolean {
  const backend = tf.getBackend();
  return !!tf.getKernel(SIGMOID_SQUARED_ERROR, backend) && !!tf.getKernel(SIGMOID_SQUARED_ERROR_GRAD, backend);
}

/**
 * Σ over each image's values of (x − sigmoid(logits))², [N], natively (call only where
 * nativeSigmoidSquaredError()). Gradients: for the logits −2 (x − s) s (1 − s) per value, for x 2 (x − s)
 * (lazy: the engine asks only for those it needs, and x is the batch).
 */
export function sigmoidSquaredError(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return opWithLazyGradients(
    { x, logits },
    (save) => {
      save([x, logits]);
      return tf.engine().runKernel(SIGMOID_SQUARED_ERROR, { x, logits }) as tf.Tensor;
    },
    (dy, saved) => {
      const [savedX, savedLogits] = saved;
      return {
        logits: () => tf.engine().runKernel(SIGMOID_SQUARED_ERROR_GRAD, { dy, x: savedX, logits: savedLogits }) as tf.Tensor,
        x: () => {
          const perImage = tf.reshape(dy, [dy.size, ...Array(savedX.rank - 1).fill(1)]);
          return tf.mul(tf.mul(perImage, 2), tf.sub(savedX, tf.sigmoid(savedLogits)));
        },
      };
    },
  ) as tf.Tensor1D;
}
