// What the native kernels share: the addon's functions, the parts of TF.js's wasm backend they compute on
// (its heap and tensors' offsets in it), and call counters for tests. kernels.ts loads and installs them.
import type * as tf from '@tensorflow/tfjs';

/** The addon's functions (models/native/kernels.cc). */
export interface NativeAddon {
  isa: string;
  matmul(heap: ArrayBuffer, ...args: number[]): void;
  conv2d(heap: ArrayBuffer, ...args: number[]): void;
  conv2dFilterGrad(heap: ArrayBuffer, ...args: number[]): void;
  conv2dInputGrad(heap: ArrayBuffer, ...args: number[]): void;
  adam(heap: ArrayBuffer, ...args: number[]): void;
  sumRows(heap: ArrayBuffer, ...args: number[]): void;
  softplus(heap: ArrayBuffer, ...args: number[]): void;
  binary(heap: ArrayBuffer, ...args: number[]): void;
  unary(heap: ArrayBuffer, ...args: number[]): void;
  sumInner(heap: ArrayBuffer, ...args: number[]): void;
  sigmoidSquaredError(heap: ArrayBuffer, ...args: number[]): void;
  sigmoidSquaredErrorGrad(heap: ArrayBuffer, ...args: number[]): void;
  setThreads(n: number): number;
  /** kernels.ts coreRoundTrip (absent in addons built before it) */
  coreRoundTrip?(n: number): number;
  /** kernels.ts kernelPlacement; mode -1 reads, 0 measures, 1 near, 2 far (absent in addons built before it) */
  kernelPlacement?(mode: number): { mode: number; far: boolean; roundTripNs: number; evictedSteps: number; evictedRowShares?: number; canEvict: boolean; measurements: number; lastMeasureUs?: number };
  /** tests: [parts the caller took, parts its kernel threads took] since the last call; the kernel threads start any job in the next stallMs only after them */
  poolParts?(stallMs: number): [number, number];
  /** kernels.ts helpUntil (absent in addons built before it) */
  help?(counter: Int32Array, index: number, target: number, idleMs: number): number;
  /** kernels.ts setLending (absent in addons built before it) */
  setLending?(on: boolean): void;
  /** threads holding an offer on the lending desk now (tests) */
  seatedOffers?(): number;
  /** returns how many shares of rows the step ran in */
  mlpVaeStep(heap: ArrayBuffer, spec: Float64Array, out: Float64Array): number;
  /** mlpVaeStep with the batch and its noise from arrays of their own (absent in addons built before it) */
  mlpVaeStepArrays?(heap: ArrayBuffer, spec: Float64Array, out: Float64Array, x: Float32Array, eps: Float32Array): number;
  /** models/pixels.ts's conversion; returns the draws dynamic binarization took (absent in addons built before it) */
  pixelsToFloats?(pixels: Uint8Array, indices: Int32Array, per: number, mode: number, threshold: number, state: number, out: Float32Array): number;
  adamShared(w: Float32Array, m: Float32Array, v: Float32Array, slots: Float32Array[], scales: number[], lr: number, beta1: number, beta2: number, epsilon: number, c1: number, c2: number): void;
}

type Info = tf.TensorInfo;
/** A kernel function as wasm-kernels.ts passes them around. */
export type Fn = (args: { inputs: Record<string, Info>; backend: { disposeData(id: object): void }; attrs?: Record<string, unknown> }) => Info;
/** The parts of TF.js's wasm backend the kernels use: its heap, tensors' offsets in it, and outputs. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number; refCount: number } };
  makeOutput(shape: number[], dtype: 'float32'): Info;
}

/** Where a tensor's data starts on the wasm heap, in bytes. */
export const offset = (backend: WasmBackend, t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
/** Whether no other tensor shares t's memory: only then may it be written in place. */
export const ownsItsMemory = (backend: WasmBackend, t: Info) => backend.dataIdMap.get(t.dataId).refCount === 1;
/** The number of values of a tensor of this shape. */
export const elementCount = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** How many times each native kernel ran in this process (tests check the native path was taken). */
export const nativeCalls = { matmul: 0, conv2d: 0, conv2dFilterGrad: 0, conv2dInputGrad: 0, softplus: 0, elementwise: 0, adamShared: 0, mlpVaeStep: 0 };

/**
 * Writes into a variable's memory in place on the heap (native Adam, the fused MLP step, the data-parallel
 * trainer's writeWeights). A variable that was neither assigned nor written in place since a moment holds
 * the same values (unchangedSince): the data-parallel trainer then skips reading them again
 * (models/parallel/shard.ts). Every new in-place writer must count here, and write only while the native
 * kernels are installed (nativeAddon() not null): TF.js's own wasm products and convolutions pack each
 * weight tensor into an XNNPACK operator at its first use, keyed by the tensor, and keep it until the
 * tensor is disposed, so a value written in place would never reach them.
 */
export const inPlaceWrites = { count: 0 };

/** Variables' contents at a moment: each one's data (assigning gives it new data) and the in-place write count. */
export interface WeightsMoment {
  data: object[];
  writes: number;
}

export function momentOf(variables: tf.Tensor[]): WeightsMoment {
  return { data: variables.map((v) => v.dataId), writes: inPlaceWrites.count };
}

/** Whether `variables` still hold what they held at `since`: none assigned, nothing written in place since. */
export function unchangedSince(variables: tf.Tensor[], since: WeightsMoment | null | undefined): boolean {
  if (!since || since.writes !== inPlaceWrites.count) return false;
  return variables.length === since.data.length && variables.every((v, i) => v.dataId === since.data[i]);
}
