// Adam over flat arrays, for data-parallel training: the shards' gradients are averaged and the Adam
// step applied in one pass over the parameters, split across the training threads (each thread takes a
// range), so the update no longer runs on one thread while the others wait. The formula is TF.js's
// AdamOptimizer's (tf.train.adam), and its moments go to and from that optimiser's weights, so a
// checkpoint does not depend on the thread count it was written with.
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeCalls } from '../native/kernels.ts';
import type { VaeModel } from '../vae.ts';
import { replicaVariables } from './shard.ts';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** A trainable variable's place: offset in a gradient slot (and the moments), offset in the replica weights, size. */
export interface Segment {
  grad: number;
  weight: number;
  size: number;
}

/** Where each trainable variable (trainableVariables() order) sits in a gradient slot and in the replica weights. */
export function trainableSegments(model: VaeModel): Segment[] {
  const weightAt = new Map<tf.Variable, number>();
  let at = 0;
  for (const v of replicaVariables(model)) {
    weightAt.set(v, at);
    at += v.size;
  }
  let grad = 0;
  return model.trainableVariables().map((v) => {
    const weight = weightAt.get(v);
    if (weight === undefined) throw new Error(`trainable variable ${v.name} is not among the replica's weights`);
    const segment = { grad, weight, size: v.size };
    grad += v.size;
    return segment;
  });
}

/** The optimiser's constants, as tf.train.adam(learningRate) has them. */
export function adamSettings(optimizer: tf.AdamOptimizer): AdamSettings {
  const c = optimizer.getConfig() as { learningRate: number; beta1: number; beta2: number; epsilon: number };
  return { learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon };
}

/**
 * Step `t` (1-based) of Adam on gradient indices [from, to): g = Σ_s scales[s]·slots[s][i] (summed in slot
 * order), then m, v and the weight (at its replica offset) as TF.js's AdamOptimizer updates them.
 */
export function adamRange(
  t: number,
  settings: AdamSettings,
  slots: Float32Array[],
  scales: number[],
  moments: { m: Float32Array; v: Float32Array },
  weights: Float32Array,
  segments: Segment[],
  from: number,
  to: number,
): void {
  const { learningRate: lr, beta1, beta2, epsilon } = settings;
  // TF.js keeps β^t in float32 variables (accBeta), multiplied once per step.
  const c1 = 1 - Math.fround(beta1 ** t);
  const c2 = 1 - Math.fround(beta2 ** t);
  const { m, v } = moments;
  const k = slots.length;
  const native = nativeAddon();
  for (const seg of segments) {
    const lo = Math.max(from, seg.grad);
    const hi = Math.min(to, seg.grad + seg.size);
    if (lo >= hi) continue;
    const shift = seg.weight - seg.grad;
    if (native) {
      // the same operations in the same order, natively (the same bits; ~20x faster than this loop)
      nativeCalls.adamShared++;
      native.adamShared(weights.subarray(lo + shift, hi + shift), m.subarray(lo, hi), v.subarray(lo, hi), slots.map((s) => s.subarray(lo, hi)), scales, lr, beta1, beta2, epsilon, c1, c2);
      continue;
    }
    for (let i = lo; i < hi; i++) {
      let g = 0;
      for (let s = 0; s < k; s++) g += scales[s] * slots[s][i];
      const mi = beta1 * m[i] + (1 - beta1) * g;
      const vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      weights[i + shift] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
    }
  }
}

/** Thread p's share of n parameters among `parts` threads: contiguous, sizes differing by at most one. */
export function parameterRange(n: number, parts: number, p: number): [number, number] {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  const from = p * base + Math.min(p, extra);
  return [from, from + base + (p < extra ? 1 : 0)];
}

/** The TF.js optimiser's state into flat moments; returns the steps it has taken (0 when it has none). */
export async function importAdamState(optimizer: tf.AdamOptimizer, moments: { m: Float32Array; v: Float32Array }): Promise<number> {
  const named = await optimizer.getWeights();
  const steps = (await named[0].tensor.data())[0];
  named[0].tensor.dispose(); // a fresh scalar; the moments are the optimiser's own variables
  const tensors = named.slice(1);
  if (tensors.length === 0) {
    moments.m.fill(0);
    moments.v.fill(0);
    return steps;
  }
  const half = tensors.length / 2;
  let at = 0;
  for (let i = 0; i < half; i++) {
    const m = (await tensors[i].tensor.data()) as Float32Array;
    const v = (await tensors[half + i].tensor.data()) as Float32Array;
    moments.m.set(m, at);
    moments.v.set(v, at);
    at += m.length;
  }
  if (at !== moments.m.length) throw new Error(`the optimiser holds ${at} moment values, the model has ${moments.m.length} parameters`);
  return steps;
}

/**
 * Flat moments into the TF.js optimiser (what checkpoints save), named as it names its own: `<variable>/m`,
 * `<variable>/v`. Its old moment variables are released.
 */
export async function exportAdamState(model: VaeModel, steps: number, moments: { m: Float32Array; v: Float32Array }): Promise<void> {
  const current = await model.optimizer.getWeights();
  current[0].tensor.dispose(); // the iteration count, a fresh scalar
  const old = current.slice(1).map((w) => w.tensor);
  const vars = model.trainableVariables();
  const named: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(steps, 'int32') }];
  const second: { name: string; tensor: tf.Tensor }[] = [];
  let at = 0;
  for (const variable of vars) {
    named.push({ name: `${variable.name}/m`, tensor: tf.tensor(moments.m.subarray(at, at + variable.size), variable.shape, 'float32') });
    second.push({ name: `${variable.name}/v`, tensor: tf.tensor(moments.v.subarray(at, at + variable.size), variable.shape, 'float32') });
    at += variable.size;
  }
  named.push(...second);
  await model.optimizer.setWeights(named);
  // setWeights copies the tensors into new variables and drops its old ones without disposing them.
  tf.dispose(named.map((w) => w.tensor));
  tf.dispose(old);
}
