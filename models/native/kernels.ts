// Native CPU kernels under TF.js's wasm backend: the matrix products and convolutions of a training step
// run as AVX-512 / AVX2+FMA code (kernels.cc) directly on the wasm heap, instead of XNNPACK's 128-bit
// wasm SIMD. The addon is built from source by `npm run setup` (node-gyp, the machine's C++ compiler); where
// it is absent or disabled (LATENT_EXPLORER_NATIVE_KERNELS=0) the wasm kernels run as before.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installElementwise } from './elementwise.ts';
import { BIAS_RELU, RELU_GRAD, biasReluKernel, reluGradKernel } from './fused-layers.ts';
import { SIGMOID_SQUARED_ERROR, SIGMOID_SQUARED_ERROR_GRAD, sigmoidSquaredErrorGradKernel, sigmoidSquaredErrorKernel } from './fused-likelihood.ts';
import { elementCount, nativeCalls, offset, type Fn, type NativeAddon, type WasmBackend } from './heap.ts';

export { nativeCalls, offset, type Fn, type NativeAddon, type WasmBackend };

export interface NativeKernelsStatus {
  /** Whether the native kernels are loaded in this process (they are used on the wasm backend only). */
  loaded: boolean;
  /** The instruction set picked at load: avx512, avx2+fma or 128-bit. */
  isa?: string;
  /** Why they are not loaded, in one line. */
  reason?: string;
}

const ADDON = join('models', 'native', 'build', 'Release', 'kernels.node');

/** Where `npm run setup` puts the addon: found from the source tree and from the bundled engine in out/main. */
export function nativeKernelsPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

let cached: { addon: NativeAddon | null; status: NativeKernelsStatus } | null = null;

function load(): { addon: NativeAddon | null; status: NativeKernelsStatus } {
  if (cached) return cached;
  const setting = process.env.LATENT_EXPLORER_NATIVE_KERNELS;
  if (setting === '0' || setting === 'off') {
    cached = { addon: null, status: { loaded: false, reason: `disabled by LATENT_EXPLORER_NATIVE_KERNELS=${setting}` } };
    return cached;
  }
  const path = nativeKernelsPath();
  if (!path) {
    cached = { addon: null, status: { loaded: false, reason: 'not built (npm run setup builds them where a C++ compiler exists)' } };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    cached = { addon, status: { loaded: true, isa: addon.isa } };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 160);
    cached = { addon: null, status: { loaded: false, reason: `failed to load: ${message}` } };
  }
  return cached;
}

/** The addon, when loaded and installed on the wasm backend (null otherwise). */
export function nativeAddon(): NativeAddon | null {
  return installed ? load().addon : null;
}
let installed = false;

/** The addon when it loaded, whatever the TF.js backend: for the work that does not touch tensors (models/pixels.ts). */
export function loadedAddon(): NativeAddon | null {
  return load().addon;
}

/**
 * How many threads the native kernels of this JS thread split their work over (1: this thread alone).
 * Returns the count in effect: 1 where the native kernels are not in use.
 */
export function setNativeThreads(n: number): number {
  const addon = nativeAddon();
  return addon ? addon.setThreads(Math.max(1, Math.min(64, Math.floor(n)))) : 1;
}

/**
 * The mean time in ns of `n` round trips of one cache line between this thread and its first kernel thread
 * (0 without one, or where the native kernels are not in use): here ~60-75 ns between two cores that share an
 * L3, 200-340 between dies, 37-45 between the two threads of one core. On a VM the host may move a
 * vCPU that idled onto another die; what every line the threads share costs then grows ~5x (README, "Two
 * cores on two dies").
 */
export function coreRoundTrip(n = 2000): number {
  return nativeAddon()?.coreRoundTrip?.(Number.isFinite(n) ? Math.max(1, Math.min(10_000_000, Math.floor(n))) : 2000) ?? 0;
}

/** Where this thread's kernel threads sit, as the fused MLP step takes it (kernelPlacement). */
export interface KernelPlacement {
  /** 'measure' (the default), or 'near' / 'far' as set */
  mode: 'measure' | 'near' | 'far';
  /** whether the last fused step on this thread took its cores as far apart (on two dies) */
  far: boolean;
  /** the worst round trip from this thread to one of its kernel threads, last measured (0: not yet) */
  roundTripNs: number;
  /** fused steps, on any thread of the process, that evicted the kernels from the caches before Adam */
  evictedSteps: number;
  /** shares of rows that threads of fused steps evicted after reading them, where the cores were far (0 in addons built before) */
  evictedRowShares: number;
  /** whether this CPU can evict lines (x86's CLFLUSHOPT); where not, far cores change nothing */
  canEvict: boolean;
  /** how many times this thread has measured where its kernel threads sit */
  measurements: number;
  /** how long this thread's last measure took, in µs (0: none yet, or an addon built before) */
  lastMeasureUs: number;
}
const PLACEMENT_MODES = ['measure', 'near', 'far'] as const;

/**
 * How the fused MLP step treats where this thread's kernel threads sit; null where the native kernels (or
 * this call) are absent. Where two cores sit on two dies (a VM's host may put them there, and desktop CPUs
 * come in dies of ~8 cores), every line one writes and the other reads next costs ~4x; the step then evicts
 * the kernels from the caches before Adam writes them, and each thread the rows it read of the others' shares
 * after phase 2 (kernels.cc, coresFar; mlp-vae.inc; README, "Two cores on two dies"). 'measure' (the default) times the round trip to each kernel thread every 64 steps and after a
 * pause, far from 150 ns; 'near' and 'far' fix it (tests, A/B benchmarks). Without a mode, reads.
 */
export function kernelPlacement(mode?: KernelPlacement['mode']): KernelPlacement | null {
  const got = nativeAddon()?.kernelPlacement?.(mode ? PLACEMENT_MODES.indexOf(mode) : -1);
  return got ? { ...got, evictedRowShares: got.evictedRowShares ?? 0, lastMeasureUs: got.lastMeasureUs ?? 0, mode: PLACEMENT_MODES[got.mode] ?? 'measure' } : null;
}

/**
 * Lending this thread's core (data-parallel training): once its own shard of a step is done, a thread runs
 * parts of the native kernels the other threads are still in, until `counter[index]` reaches `target` (the
 * shards done), or until `idleMs` pass with nothing to run (a thread busy in JavaScript, or one that failed: the
 * caller then waits as before). Each kernel cuts its parts from the problem alone, so who runs them never
 * changes a bit. Returns the parts run; 0 at once where the native kernels are not in use.
 */
export function helpUntil(counter: Int32Array, index: number, target: number, idleMs: number): number {
  const addon = nativeAddon();
  if (!addon?.help) return 0;
  return addon.help(counter, index, target, Math.max(0, Math.round(idleMs)));
}

/**
 * Marks this thread as one computing data-parallel shards (or not): its native kernels then cut their work
 * into parts that helpUntil() on another thread may run. Kernels whose split changes the order of a sum
 * split the same way whether helped or not, so a lending thread's results never depend on timing.
 */
export function setLending(on: boolean): void {
  nativeAddon()?.setLending?.(on);
}

/** restoreWasmKernels put TF.js's kernels back: the Adam step goes back to TF.js's too. */
export function nativeKernelsRemoved(): void {
  installed = false;
}

export function nativeKernelsStatus(): NativeKernelsStatus {
  return load().status;
}

type Info = tf.TensorInfo;

/** Activations the kernels apply themselves; others go to TF.js's own fused kernel. */
function reluFlag(activation: unknown): number | null {
  if (activation === undefined || activation === null || activation === 'linear') return 0;
  if (activation === 'relu') return 1;
  return null;
}

/** bias as a per-column vector of n values, or null when its shape asks for more than that. */
function biasOffset(backend: WasmBackend, bias: Info | undefined, n: number): number | null {
  if (!bias) return -1;
  if (bias.dtype !== 'float32' || elementCount(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n) return null;
  return offset(backend, bias);
}

function matMul(original: Fn, fused: boolean, addon: NativeAddon): Fn {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
    const relu = fused ? reluFlag(attrs.activation) : 0;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || relu === null || preluActivationWeights) return original(args);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const ta = !!attrs.transposeA;
    const tb = !!attrs.transposeB;
    const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
    if ((tb ? b.shape[rb - 1] : b.shape[rb - 2]) !== k) return original(args); // let TF.js word the error
    const batchA = elementCount(a.shape.slice(0, -2));
    const batchB = elementCount(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return original(args);
    const biasAt = fused ? biasOffset(backend, bias, n) : -1;
    if (biasAt === null) return original(args);
    const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    // batch dimensions that broadcast both ways ([1, 3] against [3, 1]) make more products than either
    // side has: the kernel strides over one side's batch only (no model asks for these)
    if (elementCount(outer) !== batch) return original(args);
    const out = backend.makeOutput([...outer, m, n], 'float32');
    nativeCalls.matmul++;
    // after makeOutput: allocating may have grown (and replaced) the heap's buffer
    addon.matmul(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, a), offset(backend, b), offset(backend, out), batch, m, n, k, +ta, +tb,
      batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, biasAt, relu);
    return out;
  };
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
};

function conv2d(original: Fn, fused: boolean, addon: NativeAddon): Fn {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as ConvAttrs;
    const relu = fused ? reluFlag(attrs.activation) : 0;
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || relu === null || preluActivationWeights) return original(args);
    if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || x.shape.length !== 4) return original(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const biasAt = fused ? biasOffset(backend, bias, info.outChannels) : -1;
    if (biasAt === null || info.inChannels !== filter.shape[2]) return original(args);
    const out = backend.makeOutput(info.outShape, 'float32');
    nativeCalls.conv2d++;
    addon.conv2d(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, filter), offset(backend, out), biasAt, relu,
      ...convShape(info));
    return out;
  };
}

function convShape(info: tf.backend_util.Conv2DInfo): number[] {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left];
}

function conv2dFilterGrad(addon: NativeAddon): Fn {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs as ConvAttrs & { filterShape: [number, number, number, number] };
    if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode, false, 'channelsLast');
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    nativeCalls.conv2dFilterGrad++;
    addon.conv2dFilterGrad(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, dy), offset(backend, out), ...convShape(info));
    return out;
  };
}

/** The transposed convolution (and a convolution's input gradient) as dy · fᵀ then col2im, on any stride and padding. */
function conv2dInputGrad(original: Fn, addon: NativeAddon): Fn {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as ConvAttrs & { inputShape: [number, number, number, number] };
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || dy.shape.length !== 4) return original(args);
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode, false, 'channelsLast');
    if (info.outShape.some((d, i) => d !== dy.shape[i])) return original(args); // let TF.js word the error
    const out = backend.makeOutput(info.inShape, 'float32');
    nativeCalls.conv2dInputGrad++;
    addon.conv2dInputGrad(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, dy), offset(backend, filter), offset(backend, out), ...convShape(info));
    return out;
  };
}

/** Σ over the leading rows of x viewed as [rows, cols], into a new tensor of `shape`; null without the native kernels. */
export function nativeSumRows(backendArg: unknown, x: Info, rows: number, cols: number, shape: number[]): Info | null {
  const addon = nativeAddon();
  if (!addon || x.dtype !== 'float32') return null;
  const backend = backendArg as WasmBackend;
  const out = backend.makeOutput(shape, 'float32');
  addon.sumRows(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, out), rows, cols);
  return out;
}

/**
 * Registers the native kernels on the wasm backend in place of TF.js's (BatchMatMul, _FusedMatMul, Conv2D,
 * FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput, Softplus, and the elementwise ops of elementwise.ts). `replace` keeps the originals for restoreWasmKernels. Returns whether
 * they were installed.
 */
export function installNativeKernels(replace: (name: string, make: (original: Fn) => Fn) => void, register: (name: string, fn: Fn) => void): boolean {
  const { addon } = load();
  if (!addon) return false;
  // The wasm heap must be a plain ArrayBuffer (the single-threaded build); a shared heap would need other N-API calls.
  // The wasm backend if it has started. Not tf.findBackend('wasm'): looking up one not yet started starts it,
  // asynchronously, and TF.js then refuses every op on the backend in use until it has (a model created on
  // WebGPU failed so: "Backend 'webgpu' has not yet been initialized"; webgpu-ops.test.ts).
  const backend = ((tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm ?? null) as WasmBackend | null;
  if (backend && !(backend.wasm.HEAPU8.buffer instanceof ArrayBuffer)) {
    cached = { addon: null, status: { loaded: false, reason: 'the wasm heap is shared (threaded build); native kernels need the single-threaded one' } };
    return false;
  }
  replace('BatchMatMul', (original) => matMul(original, false, addon));
  replace('_FusedMatMul', (original) => matMul(original, true, addon));
  replace('Conv2D', (original) => conv2d(original, false, addon));
  replace('FusedConv2D', (original) => conv2d(original, true, addon));
  register('Conv2DBackpropFilter', conv2dFilterGrad(addon));
  replace('Conv2DBackpropInput', (original) => conv2dInputGrad(original, addon));
  replace('Softplus', (original) => (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    nativeCalls.softplus++;
    addon.softplus(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, x), offset(backend, out), elementCount(x.shape));
    return out;
  });
  installElementwise(replace, addon);
  register(RELU_GRAD, reluGradKernel(addon));
  register(BIAS_RELU, biasReluKernel(addon));
  register(SIGMOID_SQUARED_ERROR, sigmoidSquaredErrorKernel(addon));
  register(SIGMOID_SQUARED_ERROR_GRAD, sigmoidSquaredErrorGradKernel(addon));
  installed = true;
  return true;
}
