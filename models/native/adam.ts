// Adam's update as one native pass per variable, in place on the wasm heap (models/native/kernels.cc),
// instead of TF.js's ~12 elementwise kernels per variable. Same state as tf.train.adam keeps (its
// moment variables, accBeta1/2, iterations), so checkpoints, getWeights/setWeights and the
// data-parallel trainer's import/export see no difference. Falls back to TF.js's own step where the
// native kernels are not in use.
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, offset, type WasmBackend } from './kernels.ts';
import { inPlaceWrites, ownsItsMemory } from './heap.ts';

type Named = { originalName: string; variable: tf.Variable };
/** The fields of tf.AdamOptimizer this step reads and writes (TF.js 4.22; private in its typings). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Named[];
  accumulatedSecondMoment: Named[];
  incrementIterations(): void;
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** How many variables took the native step in this process (tests check the native path was taken). */
export const nativeAdamCalls = { variables: 0 };

/** optimizer.applyGradients(grads), natively where it can be. */
export function applyAdam(optimizer: tf.AdamOptimizer, grads: Gradients): void {
  const addon = nativeAddon();
  if (!addon || tf.getBackend() !== 'wasm') return optimizer.applyGradients(grads);
  const backend = tf.backend() as unknown as WasmBackend;
  const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
  const step = adamStepState(optimizer, names.map((name) => tf.engine().registeredVariables[name]));
  names.forEach((name, i) => {
    const gradient = Array.isArray(grads) ? grads[i].tensor : grads[name];
    if (!gradient) return;
    const { value, m, v } = step.moments[i];
    if (gradient.dtype !== 'float32' || gradient.size !== value.size) throw new Error(`Adam: gradient of ${name} does not match it`);
    const at = (t: tf.Tensor) => offset(backend, t);
    addon.adam(backend.wasm.HEAPU8.buffer as ArrayBuffer, at(value), at(gradient), at(m), at(v), value.size, ...step.settings);
    nativeAdamCalls.variables++;
    inPlaceWrites.count++;
  });
  step.finish();
}

/**
 * What a native Adam step over `variables` (in the order the optimizer first saw them) needs from
 * tf.train.adam's state: each variable with its moments (made on the first step, as TF.js does), each
 * given memory of its own so that writing in place changes nobody else's tensor; the settings the native
 * step takes after the offsets (lr, β1, β2, 1 − β1, 1 − β2, ε, c1, c2); and finish(), which advances the
 * optimizer's step count and β powers as applyGradients would.
 */
export function adamStepState(optimizer: tf.AdamOptimizer, variables: tf.Variable[]) {
  const o = optimizer as unknown as AdamInternals;
  const backend = tf.backend() as unknown as WasmBackend;
  // β1^t and β2^t read and advanced in place on the heap: through TF.js (dataSync, then mul and assign in
  // a tidy) they took ~0.08 ms a step, ~4 % of the fused MLP step on two threads.
  for (const t of [o.accBeta1, o.accBeta2]) if (!ownsItsMemory(backend, t)) own(t);
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const acc1 = offset(backend, o.accBeta1) / 4;
  const acc2 = offset(backend, o.accBeta2) / 4;
  // TF.js divides by 1 − accBeta in float32
  const c1 = Math.fround(1 - heap[acc1]);
  const c2 = Math.fround(1 - heap[acc2]);
  const moments = variables.map((value, i) => {
    o.accumulatedFirstMoment[i] ??= { originalName: `${value.name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    o.accumulatedSecondMoment[i] ??= { originalName: `${value.name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    const m = o.accumulatedFirstMoment[i].variable;
    const v = o.accumulatedSecondMoment[i].variable;
    if (value.dtype !== 'float32') throw new Error(`Adam: ${value.name} is not float32`);
    // In place only on memory nobody else holds: a tensor sharing it keeps its value.
    for (const t of [value, m, v]) if (!ownsItsMemory(backend, t)) own(t);
    return { value, m, v };
  });
  const settings = [o.learningRate, o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.epsilon, c1, c2] as const;
  const finish = () => {
    // float32 × float32 is exact in a double, so one rounding gives TF.js's Mul bit for bit
    const now = new Float32Array(backend.wasm.HEAPU8.buffer); // the heap may have grown since
    now[acc1] = Math.fround(now[acc1] * Math.fround(o.beta1));
    now[acc2] = Math.fround(now[acc2] * Math.fround(o.beta2));
    o.incrementIterations();
  };
  return { moments, settings, finish };
}

/** Gives a variable memory of its own (a copy of its value). */
function own(variable: tf.Variable): void {
  const copy = tf.tidy(() => tf.mul(variable, 1));
  variable.assign(copy);
  copy.dispose();
}
