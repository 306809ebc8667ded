// Fusions TF.js leaves undone while it records gradients (its tf.fused ops fuse only outside training, so a
// training step runs a layer's bias add and relu as kernels of their own):
//  1. Relu's gradient is dy · step(x): a Step kernel and a Multiply, two passes over the tensor. One native
//     pass (elementwise.inc's MASK) computes the same product, bit for bit.
//  2. A Conv2D layer with a bias and relu ran as Conv2D, Add and Relu, three passes over its output and three
//     tape entries. Here it runs as one FusedConv2D (the native conv's epilogue adds the bias and applies relu
//     as the separate kernels do) under one gradient that calls the kernels TF.js's own gradients call: the
//     mask above, Conv2DBackpropInput, Conv2DBackpropFilter and a Sum over the leading axes. A Conv2DTranspose
//     layer's bias and relu become one pass; a Dense layer's product, bias and relu one _FusedMatMul.
// A conv VAE step at 64x64 RGB spent ~25 ms of ~270 in those Step, Multiply, Add and Relu kernels
// (tests/bench/step-profile.ts conv --passes): memory-bound passes, which two threads share worst. The MLP
// objectives that train through TF.js (β-TCVAE, the semi-supervised model) save two kernel calls and tape
// entries per dense layer.
// All apply on the wasm backend with the native kernels; elsewhere TF.js's own path runs unchanged.
import * as tf from '@tensorflow/tfjs';
import { elementCount, nativeCalls, offset, type Fn, type NativeAddon, type WasmBackend } from './heap.ts';

/** The kernel of relu's gradient: inputs dy and x (relu's input, or its output: step() of either is the same). */
export const RELU_GRAD = 'LatentExplorerReluGrad';
/** The kernel of a layer's bias and relu: inputs x and bias (a vector along x's last axis). */
export const BIAS_RELU = 'LatentExplorerBiasRelu';
// elementwise.inc's BinaryOp and Operand
const MASK = 3;
const ADD_RELU = 4;
const FULL = 0;
const COLUMN = 2;

/** y = a op b natively (elementwise.inc's binary), b the whole tensor or a vector along a's last axis. */
function binaryKernel(addon: NativeAddon, name: string, op: number, a: tf.TensorInfo, b: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const n = elementCount(a.shape);
  const inner = a.shape[a.shape.length - 1] ?? 1;
  const nb = elementCount(b.shape);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (nb !== n && nb !== inner)) throw new Error(`${name}: float32 tensors, the second of the first's size or of its last axis`);
  const out = backend.makeOutput(a.shape, 'float32');
  nativeCalls.elementwise++;
  if (n > 0) addon.binary(backend.wasm.HEAPU8.buffer as ArrayBuffer, op, FULL, nb === n ? FULL : COLUMN, offset(backend, a), offset(backend, b), offset(backend, out), n, nb === n ? n : inner);
  return out;
}

/** dy · step(x) natively (the kernel registered as RELU_GRAD on wasm). */
export function reluGradKernel(addon: NativeAddon): Fn {
  return (args) => {
    if (elementCount(args.inputs.x.shape) !== elementCount(args.inputs.dy.shape)) throw new Error(`${RELU_GRAD}: dy and x must be of one size`);
    return binaryKernel(addon, RELU_GRAD, MASK, args.inputs.dy, args.inputs.x, args.backend as unknown as WasmBackend);
  };
}

/** relu(x + bias) natively (the kernel registered as BIAS_RELU on wasm): the Add and Relu kernels' values in one pass. */
export function biasReluKernel(addon: NativeAddon): Fn {
  return (args) => {
    const { x, bias } = args.inputs;
    if (elementCount(bias.shape) !== x.shape[x.shape.length - 1]) throw new Error(`${BIAS_RELU}: a bias of x's last axis`);
    return binaryKernel(addon, BIAS_RELU, ADD_RELU, x, bias, args.backend as unknown as WasmBackend);
  };
}

/** Relu's gradient: natively where the kernel is registered for the current backend, else TF.js's own formula. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (tf.getKernel(RELU_GRAD, tf.getBackend())) return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

let reluGradientReplaced = false;
/** Relu's gradient through reluGradient (global to TF.js, like every gradient; the same values on any backend). */
export function replaceReluGradient(): void {
  if (reluGradientReplaced) return;
  reluGradientReplaced = true;
  tf.unregisterGradient('Relu');
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGradient(dy as tf.Tensor, x) };
    },
  });
}

/** The parts of a tfjs-layers layer with a kernel, a bias and an activation read here. */
interface FusableLayer {
  activation: { getClassName(): string };
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

/** tfjs-layers' Dense layer. */
interface DenseLayer extends FusableLayer {
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): void;
}

/** tfjs-layers' Conv2D and Conv2DTranspose layers. */
interface ConvLayer extends FusableLayer {
  rank: number;
  kernelSize: number[];
  dataFormat: string;
  strides: number[];
  padding: 'same' | 'valid';
  dilationRate: number | number[];
}

/** A layer with a bias and relu on float32 input, on wasm with the native kernels. */
function fusableLayer(layer: FusableLayer, x: tf.Tensor): boolean {
  return (
    layer.bias !== null &&
    layer.activation.getClassName() === 'relu' &&
    x.dtype === 'float32' &&
    tf.getBackend() === 'wasm' &&
    !!tf.getKernel(RELU_GRAD, 'wasm') &&
    !!tf.getKernel(BIAS_RELU, 'wasm')
  );
}

/** A 2-D, channels-last conv layer with dilation 1 on images, fusableLayer besides. */
function fusableConv(layer: ConvLayer, x: tf.Tensor): boolean {
  const dilations = Array.isArray(layer.dilationRate) ? layer.dilationRate : [layer.dilationRate, layer.dilationRate];
  return layer.rank === 2 && layer.dataFormat === 'channelsLast' && dilations.every((d) => d === 1) && x.rank === 4 && fusableLayer(layer, x);
}

type Engine = {
  runKernelFunc(invocation: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor;
};

/**
 * An op with its own gradient through TF.js's engine (what tf.customGrad calls), but whose input gradients
 * are lazy: `backward` returns one function per input, and the engine calls only those it needs.
 * tf.customGrad computes them all (for a first layer, the images' gradient nobody asked for).
 */
export function opWithLazyGradients(
  inputs: Record<string, tf.Tensor>,
  forward: (save: (tensors: tf.Tensor[]) => void) => tf.Tensor,
  backward: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>,
): tf.Tensor {
  return (tf.engine() as unknown as Engine).runKernelFunc({ inputs, forwardFunc: (_, save) => forward(save), backwardsFunc: backward });
}

/**
 * A layer's y = relu(f(x, kernel) + bias), with `forward` computing y in as few kernels as it can, and one
 * tape entry whose gradients all start from dz = dy·step(y) (step(relu(v)) = step(v); dz is kept until the
 * backward pass ends): f's gradients for x and the kernel, lazy, and the bias's, dz summed over every axis
 * but the last, as TF.js's Add gradient sums a broadcast bias.
 */
function biasReluOp(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor,
  forward: () => tf.Tensor,
  grads: { x: (dz: tf.Tensor, x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor; kernel: (dz: tf.Tensor, x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor },
): tf.Tensor {
  return opWithLazyGradients(
    { x, kernel, bias },
    (save) => {
      const y = forward();
      save([x, kernel, y]);
      return y;
    },
    (dy, [savedX, savedKernel, y]) => {
      const dz = reluGradient(dy, y);
      return {
        x: () => grads.x(dz, savedX, savedKernel),
        kernel: () => grads.kernel(dz, savedX, savedKernel),
        bias: () => tf.sum(dz, Array.from({ length: dz.rank - 1 }, (_, i) => i)),
      };
    },
  );
}

/** A conv layer's weights and its convolution's attributes (channels last, dilation 1: fusableConv() checked). */
function convParts(layer: ConvLayer) {
  const strides = layer.strides as [number, number];
  const pad = layer.padding;
  return { strides, pad, filter: layer.kernel.read(), bias: layer.bias!.read(), attrs: { strides, pad, dataFormat: 'NHWC' } };
}

/**
 * relu(conv2d(x, filter) + bias) as one kernel, with the gradients of Conv2D, Add and Relu. Lazy gradients:
 * the first layer's input (the images) needs none (four Conv2DBackpropInput calls a conv VAE step, ~10 ms,
 * had tf.customGrad computed it).
 */
function convBiasRelu(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor {
  const { filter, bias, attrs } = convParts(layer);
  return biasReluOp(x, filter, bias, () => tf.engine().runKernel('FusedConv2D', { x, filter, bias }, { ...attrs, dilations: [1, 1], activation: 'relu' }) as tf.Tensor, {
    x: (dz, input, f) => tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter: f }, { ...attrs, inputShape: input.shape }) as tf.Tensor,
    kernel: (dz, input, f) => tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy: dz }, { ...attrs, filterShape: f.shape }) as tf.Tensor,
  });
}

/**
 * A Conv2DTranspose layer's relu(conv2dTranspose(x, filter) + bias): the transposed convolution, then bias and
 * relu in one pass (BIAS_RELU), with the gradients of Conv2DBackpropInput, Add and Relu.
 */
function deconvBiasRelu(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor {
  const { strides, pad, filter, bias, attrs } = convParts(layer);
  // tfjs-layers' deconvLength: the output's height and width
  const grow = (d: number, s: number, k: number) => (pad === 'valid' ? d * s + Math.max(k - s, 0) : d * s);
  const outputShape: number[] = [x.shape[0], grow(x.shape[1], strides[0], layer.kernelSize[0]), grow(x.shape[2], strides[1], layer.kernelSize[1]), filter.shape[2] as number];
  const forward = () => {
    const t = tf.engine().runKernel('Conv2DBackpropInput', { dy: x, filter }, { ...attrs, inputShape: outputShape }) as tf.Tensor;
    const y = tf.engine().runKernel(BIAS_RELU, { x: t, bias }) as tf.Tensor;
    t.dispose();
    return y;
  };
  // Conv2DBackpropInput's own gradients (TF.js's Conv2DBackpropInput_grad)
  return biasReluOp(x, filter, bias, forward, {
    x: (dz, _, f) => tf.engine().runKernel('Conv2D', { x: dz, filter: f }, { ...attrs, dilations: [1, 1] }) as tf.Tensor,
    kernel: (dz, input, f) => tf.engine().runKernel('Conv2DBackpropFilter', { x: dz, dy: input }, { ...attrs, filterShape: f.shape }) as tf.Tensor,
  });
}

/**
 * A Dense layer's relu(x · kernel + bias) as one _FusedMatMul (the native product's epilogue), with the
 * products TF.js's BatchMatMul gradient takes (dz · kernelᵀ, xᵀ · dz).
 */
function denseBiasRelu(layer: DenseLayer, x: tf.Tensor): tf.Tensor {
  const kernel = layer.kernel.read();
  const bias = layer.bias!.read();
  const forward = () => tf.engine().runKernel('_FusedMatMul', { a: x, b: kernel, bias }, { transposeA: false, transposeB: false, activation: 'relu' }) as tf.Tensor;
  return biasReluOp(x, kernel, bias, forward, {
    x: (dz, _, k) => tf.matMul(dz, k, false, true),
    kernel: (dz, input) => tf.matMul(input, dz, true, false),
  });
}

/** Replaces `className`'s call with `fused` where `can` says so; returns what puts it back. */
function patchLayer<L extends { call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor }>(
  className: string,
  can: (layer: L, x: tf.Tensor) => boolean,
  fused: (layer: L, x: tf.Tensor, inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor,
): () => void {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) return () => {};
  const proto = (entry[0] as unknown as { prototype: L }).prototype;
  const own = Object.prototype.hasOwnProperty.call(proto, 'call');
  const original = proto.call;
  proto.call = function (this: L, inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
    if (x && can(this, x)) return tf.tidy(() => fused(this, x, inputs, kwargs));
    return original.call(this, inputs, kwargs);
  };
  return () => {
    if (own) proto.call = original;
    else delete (proto as { call?: unknown }).call; // inherited from a tfjs-layers base class
  };
}

let restoreLayers: (() => void) | null = null;
/** Conv2D, Conv2DTranspose and Dense layers with a bias and relu run fused where fusable (every model, from now on). */
export function fuseLayers(): void {
  if (restoreLayers) return;
  const undo = [
    patchLayer<ConvLayer>('Conv2D', fusableConv, (layer, x) => convBiasRelu(layer, x as tf.Tensor4D)),
    patchLayer<ConvLayer>('Conv2DTranspose', fusableConv, (layer, x) => deconvBiasRelu(layer, x as tf.Tensor4D)),
    patchLayer<DenseLayer>('Dense', (layer, x) => x.rank === 2 && fusableLayer(layer, x), (layer, x, inputs, kwargs) => {
      layer.invokeCallHook(inputs, kwargs); // as Dense.call does
      return denseBiasRelu(layer, x);
    }),
  ];
  restoreLayers = () => {
    for (const u of undo) u();
    restoreLayers = null;
  };
}

/** The layers back to tfjs-layers' own call (benchmarks that measure what the fusion gains). */
export function unfuseLayers(): void {
  restoreLayers?.();
}
