// Data-parallel training, the model side: a shard's gradients and step figures as flat float arrays
// (what the threads exchange through SharedArrayBuffers), their batch-weighted average, and the model's
// weights to and from one flat array. Plain TF.js: testable in one thread. It reads synchronously (the one
// place in the engine that does): data-parallel threads run on wasm only, and on a GPU training takes one.
import * as tf from '@tensorflow/tfjs';
import type { BatchRows } from '../losses.ts';
import type { StepResult, VaeModel } from '../vae.ts';
import { inPlaceWrites, momentOf, offset, ownsItsMemory, unchangedSince, type WasmBackend, type WeightsMoment } from '../native/heap.ts';
import { nativeAddon } from '../native/kernels.ts';

/** Sizes of the trainable variables, in trainableVariables() order: the layout of a gradient slot. */
export function gradientSizes(model: VaeModel): number[] {
  return model.trainableVariables().map((v) => v.size);
}

/** Every weight a replica needs (the tied class bias and a fixed pixel variance too), in a fixed order. */
export function replicaVariables(model: VaeModel): tf.Variable[] {
  const nets = [model.encoder, model.decoder, ...(model.classifier ? [model.classifier] : []), ...(model.prior ? [model.prior] : [])];
  const vars = nets.flatMap((m) => m.weights.map((w) => w.read() as tf.Variable));
  if (model.pixelLogVar) vars.push(model.pixelLogVar);
  return vars;
}

export function weightCount(model: VaeModel): number {
  return replicaVariables(model).reduce((a, v) => a + v.size, 0);
}

/** The model's weights into `out` (replicaVariables order). */
export function readWeights(model: VaeModel, out: Float32Array): void {
  let at = 0;
  for (const v of replicaVariables(model)) {
    out.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
}

/**
 * The model's weights from `from` (replicaVariables order). On the wasm backend a variable whose memory
 * is its own is overwritten in place: a new tensor and an assign per variable took ~1 ms a step of the
 * conv VAE, on the training thread and at the start of every worker's shard.
 */
export function writeWeights(model: VaeModel, from: Float32Array): void {
  const backend = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : null;
  let at = 0;
  for (const v of replicaVariables(model)) {
    const values = from.subarray(at, at + v.size);
    // In place only on memory nobody else holds (a tensor sharing it keeps its value), and only where the
    // native kernels read the weights: TF.js's own wasm products and convolutions (XNNPACK) keep a packed
    // copy of each weight tensor, made at its first use and kept until it is disposed, so they would
    // go on computing with the old weights (heap.ts, inPlaceWrites). Elsewhere a new tensor is assigned.
    if (backend && nativeAddon() && v.dtype === 'float32' && ownsItsMemory(backend, v)) {
      new Float32Array(backend.wasm.HEAPU8.buffer, offset(backend, v), v.size).set(values);
      inPlaceWrites.count++;
    } else tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
    at += v.size;
  }
}

export type { WeightsMoment };

export function weightsSince(model: VaeModel): WeightsMoment {
  return momentOf(replicaVariables(model));
}

/**
 * Whether the model's variables still hold the data they held at `since` (none assigned, nothing written in
 * place since): then what readWeights would give is already in the flat array it filled last.
 */
export function weightsUnchanged(model: VaeModel, since: WeightsMoment | null): boolean {
  return unchangedSince(replicaVariables(model), since);
}

/** A shard's figures: the batch-mean terms of StepResult over the shard's own images. */
export interface ShardStats {
  images: number;
  /** ssvae: labelled images of the shard (weights classLoss) */
  labelled: number;
  values: Record<string, number>;
  klPerDim: number[];
}

/**
 * Gradients of the batch-mean objective over the shard x (rows `rows` of the whole batch) into `out`
 * (flat, trainableVariables order), and the shard's figures. Leaves no tensors behind.
 */
export function shardGradients(model: VaeModel, x: tf.Tensor4D, labels: Int32Array | undefined, seed: number, rows: BatchRows, out: Float32Array): ShardStats {
  const vars = model.trainableVariables();
  const values: Record<string, number> = {};
  let klPerDim: number[] = [];
  let packed: tf.Tensor | null = null;
  let keys: string[] = [];
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const t = model.lossTerms(x, labels, seed, rows);
      keys = ['loss', 'recon', 'kl', ...Object.keys(t.extra)];
      packed = tf.keep(tf.concat([tf.stack([t.loss, t.recon, t.kl, ...Object.values(t.extra)]), t.klPerDim]));
      return t.loss;
    }, vars);
    let at = 0;
    for (const v of vars) {
      out.set(grads[v.name].dataSync() as Float32Array, at);
      at += v.size;
    }
  });
  const done = packed as unknown as tf.Tensor;
  const data = done.dataSync();
  done.dispose();
  keys.forEach((k, i) => (values[k] = data[i]));
  klPerDim = Array.from(data.subarray(keys.length));
  const labelled = labels ? labels.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0) : 0;
  return { images: x.shape[0], labelled, values, klPerDim };
}

/**
 * A thread's passes of a step: each pass's gradients into its slot (shardGradients), and their figures.
 * x [n, h, w, c] and labels hold the batch's images from `first` on (0: the whole batch); `total` is the
 * whole batch's size, which the random draws are cut from.
 */
export function passesGradients(
  model: VaeModel,
  x: Float32Array,
  shape: [number, number, number, number],
  first: number,
  labels: Int32Array | undefined,
  seed: number,
  total: number,
  passes: Pass[],
  slots: Float32Array[],
): ShardStats[] {
  const [, h, w, c] = shape;
  const per = h * w * c;
  return passes.map((pass) => {
    const from = pass.offset - first;
    const xp = tf.tensor4d(x.subarray(from * per, (from + pass.size) * per), [pass.size, h, w, c]);
    try {
      return shardGradients(model, xp, labels?.slice(from, from + pass.size), seed, { offset: pass.offset, total }, slots[pass.slot]);
    } finally {
      xp.dispose();
    }
  });
}

/** The whole batch's StepResult from its shards' figures (classLoss averaged over labelled images). */
export function combineStats(shards: ShardStats[]): StepResult {
  const total = shards.reduce((a, s) => a + s.images, 0);
  const labelled = shards.reduce((a, s) => a + s.labelled, 0);
  const values: Record<string, number> = {};
  for (const key of Object.keys(shards[0].values)) {
    if (key === 'classLoss') {
      values[key] = labelled ? shards.reduce((a, s) => a + (s.labelled ? s.labelled * s.values[key] : 0), 0) / labelled : NaN;
    } else values[key] = shards.reduce((a, s) => a + s.images * s.values[key], 0) / total;
  }
  const klPerDim = shards[0].klPerDim.map((_, d) => shards.reduce((a, s) => a + s.images * s.klPerDim[d], 0) / total);
  return { ...values, klPerDim } as unknown as StepResult;
}

/** Contiguous shards of a batch of n images for `parts` threads, sizes differing by at most one. */
export function shardRows(n: number, parts: number): BatchRows[] {
  const rows: BatchRows[] = [];
  const base = Math.floor(n / parts);
  let offset = 0;
  for (let p = 0; p < parts; p++) {
    const size = base + (p < n % parts ? 1 : 0);
    rows.push({ offset, total: n });
    offset += size;
  }
  return rows;
}

/** One pass of a step: `size` images from `offset` of the whole batch, its gradient into slot `slot`. */
export interface Pass {
  offset: number;
  size: number;
  slot: number;
}

/**
 * A batch of n images for `threads` threads, each thread's contiguous share cut into passes of at most
 * `perPass` images (sizes differing by at most one). Slots are numbered in batch order, so the
 * gradients add up in the same order whatever thread computed them. Returns the passes per thread.
 */
export function planPasses(n: number, threads: number, perPass = Infinity): Pass[][] {
  const parts = Math.max(1, Math.min(threads, n));
  const plan: Pass[][] = [];
  let slot = 0;
  for (const [p, rows] of shardRows(n, parts).entries()) {
    const size = shardSize(n, parts, p);
    const k = Math.max(1, Math.ceil(size / perPass));
    const passes: Pass[] = [];
    let offset = rows.offset;
    for (let j = 0; j < k; j++) {
      const s = shardSize(size, k, j);
      passes.push({ offset, size: s, slot: slot++ });
      offset += s;
    }
    plan.push(passes);
  }
  return plan;
}

/** Number of images of shard p of shardRows(n, parts). */
export function shardSize(n: number, parts: number, p: number): number {
  return Math.floor(n / parts) + (p < n % parts ? 1 : 0);
}
