// Elementwise kernels over large tensors (elementwise.inc) in place of TF.js's wasm ones: Add, Sub and
// Multiply with the broadcasts layers use (a bias along the last axis, one value per image, a scalar),
// Relu, Step, Neg, Square, Sigmoid, and sums over the trailing axes. With the products and convolutions native, these
// were a conv VAE step's largest part left on one thread (Add of a [128, 64, 64, 3] batch and its
// [1, 1, 1, 3] bias alone took 9 ms); here they split over the kernel threads. Small tensors stay on TF.js's
// kernels, where a call costs less.
import * as tf from '@tensorflow/tfjs';
import { elementCount, nativeCalls, offset, type Fn, type NativeAddon, type WasmBackend } from './heap.ts';

type Info = tf.TensorInfo;
/** Below this many values a native call is not worth its crossing. */
const MIN_VALUES = 4096;

const enum Operand {
  Full = 0,
  Scalar = 1,
  /** a vector along the last axis, repeated over every row (a bias) */
  Column = 2,
  /** one value per index of the first axis, repeated over the rest */
  Row = 3,
}

/** How operand t is read over the output `out` viewed as [rows, inner]; null when no mode fits. */
function operand(t: Info, out: number[]): { mode: Operand; inner?: number } | null {
  const n = elementCount(t.shape);
  if (n === elementCount(out)) return { mode: Operand.Full };
  if (n === 1) return { mode: Operand.Scalar };
  const r = out.length;
  if (t.shape.length > r) return null;
  const aligned = [...Array(r - t.shape.length).fill(1), ...t.shape];
  if (aligned.every((d, i) => (i === r - 1 ? d === out[r - 1] : d === 1))) return { mode: Operand.Column, inner: out[r - 1] };
  if (aligned.every((d, i) => (i === 0 ? d === out[0] : d === 1))) return { mode: Operand.Row, inner: elementCount(out) / out[0] };
  return null;
}

function binary(name: 'Add' | 'Sub' | 'Multiply', original: Fn, addon: NativeAddon): Fn {
  const op = { Add: 0, Sub: 1, Multiply: 2 }[name];
  return (args) => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = elementCount(shape);
    if (n < MIN_VALUES) return original(args);
    const ma = operand(a, shape);
    const mb = operand(b, shape);
    // one side must be the whole tensor; the other says how rows are cut
    if (!ma || !mb || (ma.mode !== Operand.Full && mb.mode !== Operand.Full)) return original(args);
    const inner = ma.inner ?? mb.inner ?? n;
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(shape, 'float32');
    nativeCalls.elementwise++;
    addon.binary(backend.wasm.HEAPU8.buffer as ArrayBuffer, op, ma.mode, mb.mode, offset(backend, a), offset(backend, b), offset(backend, out), n, inner);
    return out;
  };
}

function unary(name: 'Relu' | 'Step' | 'Neg' | 'Square' | 'Sigmoid', original: Fn, addon: NativeAddon): Fn {
  const op = { Relu: 0, Step: 1, Neg: 2, Square: 3, Sigmoid: 4 }[name];
  return (args) => {
    const { x } = args.inputs;
    const n = elementCount(x.shape);
    if (x.dtype !== 'float32' || n < MIN_VALUES) return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    nativeCalls.elementwise++;
    addon.unary(backend.wasm.HEAPU8.buffer as ArrayBuffer, op, offset(backend, x), offset(backend, out), n, Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0));
    return out;
  };
}

/** Σ over the trailing axes of x (sorted; every axis included), into a tensor of `shape`; null when not that case or without the native kernels. */
export function nativeSumInner(addon: NativeAddon | null, backendArg: unknown, x: Info, axes: number[], shape: number[]): Info | null {
  if (!addon) return null;
  const rank = x.shape.length;
  const trailing = axes.length > 0 && axes.every((a, i) => a === rank - axes.length + i);
  const n = elementCount(x.shape);
  if (!trailing || x.dtype !== 'float32' || n < MIN_VALUES) return null;
  const cols = elementCount(x.shape.slice(rank - axes.length));
  const backend = backendArg as WasmBackend;
  const out = backend.makeOutput(shape, 'float32');
  nativeCalls.elementwise++;
  addon.sumInner(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, out), n / cols, cols);
  return out;
}

/** Registers the binary and unary kernels through wasm-kernels.ts's `replace` (which keeps the originals). */
export function installElementwise(replace: (name: string, make: (original: Fn) => Fn) => void, addon: NativeAddon): void {
  for (const name of ['Add', 'Sub', 'Multiply'] as const) replace(name, (original) => binary(name, original, addon));
  for (const name of ['Relu', 'Step', 'Neg', 'Square', 'Sigmoid'] as const) replace(name, (original) => unary(name, original, addon));
}
