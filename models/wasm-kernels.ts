// Two fixes to the TF.js 4.22 wasm backend, the backend this app trains on when native TensorFlow is absent:
//  1. BatchMatMul / _FusedMatMul with transposeA or transposeB run ~12x slower than an explicit Transpose
//     followed by a plain matmul (measured: 25 ms vs 2 ms for [784x128]·[128x256]). Backprop through
//     dense layers asks for exactly those transposed products, so we transpose first.
//  2. Conv2DBackpropFilter (the filter gradient of conv and transposed-conv layers) has no wasm kernel.
//     We build it from kernels wasm has: pad, transpose and a dilated Conv2D.
//  3. Conv2DBackpropInput (the forward pass of transposed-conv layers and the input gradient of conv
//     layers) is a naive C++ loop in wasm, not XNNPACK: 71% of a conv VAE training step at 64x64 RGB
//     (profiled: 2.16 of 3.06 s per batch of 128). We run it as one stride-1 Conv2D on XNNPACK with a
//     group of output channels per output phase (the "sub-pixel" form of a transposed convolution).
//  4. Sum over the leading axes (the bias gradients of conv layers, [N,H,W,C] -> [C]) transposes the
//     whole tensor first; a product with a row of ones does it in one XNNPACK matmul.
// Both are composed from the backend's own kernels, so tensors never leave wasm memory.
// Where the native kernels are built (models/native/), they replace fixes 1 and 2 and the products and
// convolutions themselves, and fix 3 (they compute Conv2DBackpropInput directly); 4 then runs on them.
import * as tf from '@tensorflow/tfjs';
import { installNativeKernels, nativeAddon, nativeKernelsRemoved, nativeSumRows } from './native/kernels.ts';
import { nativeSumInner } from './native/elementwise.ts';
import { fuseLayers, replaceReluGradient, unfuseLayers } from './native/fused-layers.ts';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: { disposeData(id: object): void }; attrs?: Record<string, unknown> };
type Fn = (args: KernelArgs) => Info;
/** The parts of TF.js's wasm backend the sub-pixel kernel uses to build its filter in place. */
type WasmBackendLike = KernelArgs['backend'] & { makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(t: Info): Float32Array };

let patched = false;
/** Kernels as TF.js registered them, for restoreWasmKernels (benchmarks compare against them). */
const originals = new Map<string, tf.KernelConfig>();
const added: string[] = [];

function kernel(name: string): Fn {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} not registered`);
  return k.kernelFunc as unknown as Fn;
}

function replace(name: string, make: (original: Fn) => Fn): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  const kernelFunc = make(original.kernelFunc as unknown as Fn);
  if (!originals.has(name)) originals.set(name, original);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Applies the fixes once per process; a no-op when the wasm backend package is not loaded. */
export function patchWasmKernels(): void {
  if (patched || !tf.getKernel('BatchMatMul', 'wasm')) return;
  patched = true;
  replaceReductionGradients();
  const native = installNativeKernels(replace, (name, fn) => {
    if (tf.getKernel(name, 'wasm')) replace(name, () => fn);
    else {
      added.push(name);
      tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
    }
  });
  // 5. Identity, and Cast to the same dtype, copy the tensor on wasm; backprop runs ~100 of them a step.
  //    They share the data instead, as the cpu backend's do (the backend counts references).
  replace('Identity', (original) => (args) => shareData(args) ?? original(args));
  replace('Cast', (original) => (args) => (args.inputs.x.dtype === (args.attrs as { dtype: string }).dtype ? shareData(args) : null) ?? original(args));
  shareSavedTensors(); // 7, below
  // 8. Relu's gradient in one pass, and conv layers' bias and relu fused while training (native/fused-layers.ts)
  replaceReluGradient();
  if (native) fuseLayers();
  const transpose = kernel('Transpose');
  const swapLast = (x: Info, backend: KernelArgs['backend']) => {
    const r = x.shape.length;
    const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    return transpose({ inputs: { x }, backend, attrs: { perm } });
  };
  for (const name of native ? [] : ['BatchMatMul', '_FusedMatMul']) {
    replace(name, (original) => (args) => {
      const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!transposeA && !transposeB) return original(args);
      const a = transposeA ? swapLast(args.inputs.a, args.backend) : args.inputs.a;
      const b = transposeB ? swapLast(args.inputs.b, args.backend) : args.inputs.b;
      try {
        return original({ ...args, inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      } finally {
        if (transposeA) args.backend.disposeData(a.dataId);
        if (transposeB) args.backend.disposeData(b.dataId);
      }
    });
  }

  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm') && tf.getKernel('Conv2D', 'wasm')) {
    const pad = kernel('PadV2');
    const conv = kernel('Conv2D');
    const slice = kernel('Slice');
    added.push('Conv2DBackpropFilter');
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) => {
        const { x, dy } = args.inputs;
        const { strides, pad: padding, dimRoundingMode, filterShape, dataFormat } = args.attrs as {
          strides: number | [number, number];
          pad: 'valid' | 'same' | number;
          dimRoundingMode?: 'floor' | 'round' | 'ceil';
          filterShape: [number, number, number, number];
          dataFormat?: string;
        };
        if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
        const backend = args.backend;
        const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, padding, dimRoundingMode);
        const [kh, kw, ci, co] = filterShape;
        const { top, bottom, left, right } = info.padInfo;
        const temps: Info[] = [];
        try {
          // dW[a,b,i,o] = Σ_{n,p,q} xpad[n, p·s + a, q·s + b, i] · dy[n,p,q,o]:
          // a stride-1 conv of xpad (channels i as batch, images n as channels) with dy as the filter, dilated by s.
          const xPad = pad({ inputs: { x }, backend, attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 } });
          temps.push(xPad);
          const xT = transpose({ inputs: { x: xPad }, backend, attrs: { perm: [3, 1, 2, 0] } });
          temps.push(xT);
          const filter = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
          temps.push(filter);
          const out = conv({
            inputs: { x: xT, filter },
            backend,
            attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined },
          });
          temps.push(out);
          const cropped = slice({ inputs: { x: out }, backend, attrs: { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] } });
          temps.push(cropped);
          return transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
        } finally {
          for (const t of temps) backend.disposeData(t.dataId);
        }
      }) as unknown as tf.KernelFunc,
    });
  }

  if (tf.getKernel('Conv2D', 'wasm') && !native) {
    const ops = { pad: kernel('PadV2'), conv: kernel('Conv2D'), slice: kernel('Slice'), transpose, reshape: kernel('Reshape') };
    replace('Conv2DBackpropInput', (original) => (args) => backpropInputByPhases(args, ops) ?? original(args));
  }

  const reshape = kernel('Reshape');
  const matMul = kernel('BatchMatMul');
  replace('Sum', (original) => (args) => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[] | null; keepDims?: boolean };
    const rank = x.shape.length;
    const axes = (axis == null ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    const backend = args.backend as WasmBackendLike;
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    if (!leading) return nativeSumInner(nativeAddon(), backend, x, axes, shape) ?? original(args);
    if (x.dtype !== 'float32') return original(args);
    const rows = x.shape.slice(0, axes.length).reduce((a, d) => a * d, 1);
    const cols = x.shape.slice(axes.length).reduce((a, d) => a * d, 1);
    const summed = cols > 0 ? nativeSumRows(backend, x, rows, cols, shape) : null;
    if (summed) return summed;
    if (rows < 64 || cols === 0) return original(args);
    const ones = backend.makeOutput([1, 1, rows], 'float32');
    backend.typedArrayFromHeap(ones).fill(1);
    const x3 = reshape({ inputs: { x }, backend, attrs: { shape: [1, rows, cols] } });
    try {
      const product = matMul({ inputs: { a: ones, b: x3 }, backend, attrs: { transposeA: false, transposeB: false } });
      const out = reshape({ inputs: { x: product }, backend, attrs: { shape } });
      backend.disposeData(product.dataId);
      return out;
    } finally {
      backend.disposeData(ones.dataId);
      backend.disposeData(x3.dataId);
    }
  });
}

/**
 * dx of a stride-s convolution as one stride-1 convolution of dy with s_h·s_w·ci output channels, one
 * group per output phase (r_y, r_x): output row y = s·Y + r − padTop gets Σ_i dy[Y − i] · W[r + s·i],
 * a stride-1 correlation of dy (padded by m − 1 rows in front) with the taps W[r + s·(m−1−j)], m = k/s.
 * A depth-to-space transpose interleaves the phases. No zeros are multiplied, unlike a convolution over
 * a zero-dilated dy, and XNNPACK sees one wide convolution instead of s² narrow ones.
 * Returns null when the shape is not covered (kernel not divisible by the stride, NCHW).
 */
function backpropInputByPhases(args: KernelArgs, ops: Record<'pad' | 'conv' | 'slice' | 'transpose' | 'reshape', Fn>): Info | null {
  const { dy, filter } = args.inputs;
  const { strides, pad: padding, dimRoundingMode, inputShape, dataFormat } = args.attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
    dataFormat?: string;
  };
  if (dataFormat && dataFormat !== 'NHWC') return null;
  if (filter.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, [kh, kw, ci, co], strides, 1, padding, dimRoundingMode);
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  if (kh % sh !== 0 || kw % sw !== 0) return null;
  const [n, h, w] = inputShape;
  const [, hy, wy] = dy.shape as [number, number, number, number];
  const mh = kh / sh;
  const mw = kw / sw;
  const { top, left } = info.padInfo;
  const rows = Math.ceil((top + h) / sh);
  const cols = Math.ceil((left + w) / sw);
  const backend = args.backend as WasmBackendLike;
  const temps: Info[] = [];
  const keep = (t: Info) => (temps.push(t), t);
  try {
    // The phases' filters side by side: F[jh, jw, o, (ry·sw + rx)·ci + c] = W[ry + sh·(mh−1−jh), rx + sw·(mw−1−jw), c, o]
    const wv = backend.typedArrayFromHeap(filter) as Float32Array;
    const phaseFilter = keep(backend.makeOutput([mh, mw, co, sh * sw * ci], 'float32'));
    const fv = backend.typedArrayFromHeap(phaseFilter) as Float32Array;
    const groups = sh * sw * ci;
    for (let jh = 0; jh < mh; jh++)
      for (let jw = 0; jw < mw; jw++)
        for (let ry = 0; ry < sh; ry++)
          for (let rx = 0; rx < sw; rx++) {
            const a = ry + sh * (mh - 1 - jh);
            const b = rx + sw * (mw - 1 - jw);
            for (let c = 0; c < ci; c++) {
              const from = ((a * kw + b) * ci + c) * co;
              let to = (jh * mw + jw) * co * groups + (ry * sw + rx) * ci + c;
              for (let o = 0; o < co; o++, to += groups) fv[to] = wv[from + o];
            }
          }
    // dy rows past `rows` only reach outputs beyond the image: crop them; pad the rest
    let src = dy;
    if (hy > rows || wy > cols) src = keep(ops.slice({ inputs: { x: dy }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, Math.min(hy, rows), Math.min(wy, cols), co] } }));
    const paddings = [[0, 0], [mh - 1, rows - Math.min(hy, rows)], [mw - 1, cols - Math.min(wy, cols)], [0, 0]];
    const dyPad = mh > 1 || mw > 1 || rows > hy || cols > wy ? keep(ops.pad({ inputs: { x: src }, backend, attrs: { paddings, constantValue: 0 } })) : src;
    const phases = keep(ops.conv({ inputs: { x: dyPad, filter: phaseFilter }, backend, attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } }));
    // [n·rows, cols, sh, sw·ci] -> [n·rows, sh, cols, sw·ci] is [n, rows·sh, cols·sw, ci]: the phases interleaved
    let full: Info;
    if (sh === 1 && sw === 1) full = phases;
    else {
      const grouped = keep(ops.reshape({ inputs: { x: phases }, backend, attrs: { shape: [n * rows, cols, sh, sw * ci] } }));
      const moved = keep(ops.transpose({ inputs: { x: grouped }, backend, attrs: { perm: [0, 2, 1, 3] } }));
      full = keep(ops.reshape({ inputs: { x: moved }, backend, attrs: { shape: [n, rows * sh, cols * sw, ci] } }));
    }
    if (top === 0 && left === 0 && rows * sh === h && cols * sw === w) {
      temps.splice(temps.indexOf(full), 1); // the result itself
      return full;
    }
    return ops.slice({ inputs: { x: full }, backend, attrs: { begin: [0, top, left, 0], size: [n, h, w, ci] } });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

let gradientsReplaced = false;
/**
 * 6. The gradients of Sum and Mean build a tensor of ones the size of x in a JavaScript loop and upload it
 *    (a [128, 64, 64, 3] batch: 1.5M floats every step). tf.fill makes it in the backend's memory instead.
 *    Gradients are global to TF.js, so this holds on every backend.
 */
function replaceReductionGradients(): void {
  if (gradientsReplaced) return;
  gradientsReplaced = true;
  for (const kernelName of ['Sum', 'Mean']) {
    tf.unregisterGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
        const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const size = axes.reduce((a, i) => a * x.shape[i], 1);
        // a broadcast multiply by ones filled in place (tf.broadcastTo's Tile kernel is slower on wasm)
        const spread = tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.fill(x.shape, 1));
        return { x: () => (kernelName === 'Mean' ? tf.div(spread, size) : spread) };
      },
    });
  }
}

function shareData(args: KernelArgs): Info | null {
  const { x } = args.inputs;
  if (x.dtype === 'string') return null;
  (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * 7. While recording gradients, TF.js keeps each tensor a gradient will need as a clone: an Identity kernel
 *    run and a tape entry of its own, for every saved tensor (76 of an MLP step's 232 kernel calls, 118 of
 *    a conv pass's 370), though nothing ever reads the clone's tape entry (the app takes no gradients of
 *    gradients). On wasm the saved tensor shares the data instead, with one more reference, as the
 *    patched Identity does: the same tensors saved, without the kernel call and the tape entry.
 */
function shareSavedTensors(): void {
  type Engine = { backendName: string; keep<T>(t: T): T; incRef(t: tf.Tensor, backend: unknown): void; nextTensorId(): number; backend: unknown };
  const engine = tf.engine() as unknown as Engine & { saveTensorsForBackwardMode(ts: tf.Tensor[]): tf.Tensor[] };
  const original = engine.saveTensorsForBackwardMode;
  const TensorClass = tf.Tensor as unknown as new (shape: number[], dtype: tf.DataType, dataId: object, id: number) => tf.Tensor;
  engine.saveTensorsForBackwardMode = function (this: typeof engine, tensors: tf.Tensor[]) {
    if (this.backendName !== 'wasm' || tensors.some((t) => t.dtype === 'string')) return original.call(this, tensors);
    return tensors.map((t) => {
      const shared = new TensorClass(t.shape, t.dtype, t.dataId, this.nextTensorId());
      this.incRef(shared, this.backend); // tracked as a tensor of its own; the backend counts one more reference
      return this.keep(shared);
    });
  };
  restoreSaved = () => void (engine.saveTensorsForBackwardMode = original);
}
let restoreSaved = () => {};

/** Puts TF.js's own wasm kernels back (for benchmarks that measure what the patch gains). */
export function restoreWasmKernels(): void {
  if (!patched) return;
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  for (const name of added.splice(0)) tf.unregisterKernel(name, 'wasm');
  originals.clear();
  restoreSaved();
  unfuseLayers();
  nativeKernelsRemoved();
  patched = false;
}
