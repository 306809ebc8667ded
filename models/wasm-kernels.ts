// Two fixes to the TF.js 4.22 wasm backend, the backend this app trains on when native TensorFlow is absent:
//  1. BatchMatMul / _FusedMatMul with transposeA or transposeB run ~12x slower than an explicit Transpose
//     followed by a plain matmul (measured: 25 ms vs 2 ms for [784x128]·[128x256]). Backprop through
//     dense layers asks for exactly those transposed products, so we transpose first.
//  2. Conv2DBackpropFilter (the filter gradient of conv and transposed-conv layers) has no wasm kernel.
//     We build it from kernels wasm has: pad, transpose and a dilated Conv2D.
// Both are composed from the backend's own kernels, so tensors never leave wasm memory.
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: { disposeData(id: object): void }; attrs?: Record<string, unknown> };
type Fn = (args: KernelArgs) => Info;

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
  const transpose = kernel('Transpose');
  const swapLast = (x: Info, backend: KernelArgs['backend']) => {
    const r = x.shape.length;
    const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    return transpose({ inputs: { x }, backend, attrs: { perm } });
  };
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
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
}

/** Puts TF.js's own wasm kernels back (for benchmarks that measure what the patch gains). */
export function restoreWasmKernels(): void {
  if (!patched) return;
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  for (const name of added.splice(0)) tf.unregisterKernel(name, 'wasm');
  originals.clear();
  patched = false;
}
