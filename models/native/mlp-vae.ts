// The MLP VAE's training step as one native call (mlp-vae.inc): forward, backward and Adam over the
// model's own TF.js variables and tf.train.adam's own moments, in place on the wasm heap. The model stays
// plain TF.js (models/vae.ts is the definition, and what every other objective, evaluation and export
// runs); this computes the same step for the models it covers, without TF.js's ~170 kernel calls and the
// JavaScript around them, which stays on one thread and held two threads to ~1.25x one (README, "Native
// CPU kernels": "The MLP VAE's whole training step as one call"). Tests compare it with the TF.js step: the same losses and weights within float tolerance.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config.ts';
import { randomNormalFromSeed } from '../losses.ts';
import { normalFromSeed } from '../random.ts';
import { adamStepState } from './adam.ts';
import { inPlaceWrites, nativeCalls, offset, type WasmBackend } from './heap.ts';
import { nativeAddon } from './kernels.ts';

/**
 * enabled: off to compare with the TF.js step (tests, `FUSED_STEP=0` in the benchmarks); on by default.
 * parts: 0 splits a step in as many parts as the calling thread has kernel threads; n > 0 splits it in n
 * whatever the threads (the same bits either way), so that `bench threads` can time the two-thread step's
 * parts on one core and tell the split's own cost from the second core's.
 * lastShares: how many shares of the batch's rows the last fused step ran in.
 */
export const fusedStep = { enabled: process.env.FUSED_STEP !== '0', parts: 0, lastShares: 0 };

/** Whether a model of this configuration trains with the fused step when the native kernels run. */
export function fusedStepCovers(config: ModelConfig): boolean {
  return (
    config.arch === 'mlp' &&
    (config.objective === 'vae' || config.objective === 'beta-vae') &&
    config.likelihood === 'bernoulli' &&
    config.samples === 1
  );
}

/** The parts of a VaeModel the step reads. */
export interface FusedModel {
  config: ModelConfig;
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
  optimizer: tf.AdamOptimizer;
  trainableVariables(): tf.Variable[];
}

/** Losses of a step, per image, as VaeModel.trainStep reports them. */
export interface FusedStepResult {
  loss: number;
  recon: number;
  kl: number;
  klPerDim: number[];
}

/** What a step needs of a model's layers, found once per model: each dense layer's variables and shape. */
interface Plan {
  variables: tf.Variable[];
  /** per layer (encoder's hidden, mean, log-variance, decoder's): index of kernel and bias in variables, in, out, relu */
  layers: { kernel: number; bias: number; in: number; out: number; relu: number }[];
  spec: Float64Array;
  out: Float64Array;
}
const plans = new WeakMap<FusedModel, Plan>();
const HEAD = 17;
const PER_LAYER = 9;

function planFor(model: FusedModel): Plan | null {
  const cached = plans.get(model);
  if (cached && cached.variables.every((v) => !v.isDisposed)) return cached;
  const c = model.config;
  const encNames = [...c.hidden.map((_, i) => `enc_dense_${i + 1}`), 'z_mean', 'z_log_var'];
  const decNames = [...c.hidden.map((_, i) => `dec_dense_${i + 1}`), 'dec_logits'];
  const layers = [...encNames.map((n) => model.encoder.getLayer(n)), ...decNames.map((n) => model.decoder.getLayer(n))];
  const variables = model.trainableVariables();
  if (variables.length !== 2 * layers.length) return null;
  const index = new Map(variables.map((v, i) => [v, i]));
  const described: Plan['layers'] = [];
  for (const layer of layers) {
    const [kernel, bias] = layer.trainableWeights.map((lw) => lw.read() as tf.Variable);
    const k = index.get(kernel);
    const b = index.get(bias);
    if (k === undefined || b === undefined || kernel.shape.length !== 2) return null;
    const relu = (layer.getConfig() as { activation?: string }).activation === 'relu' ? 1 : 0;
    described.push({ kernel: k, bias: b, in: kernel.shape[0], out: kernel.shape[1], relu });
  }
  const plan: Plan = { variables, layers: described, spec: new Float64Array(HEAD + PER_LAYER * described.length), out: new Float64Array(1 + c.latent) };
  plans.set(model, plan);
  return plan;
}

/** A batch as plain floats [N, H, W, C] (the engine's batches: models/pixels.ts pixelsToFloats). */
export interface FloatBatch {
  values: Float32Array;
  shape: [number, number, number, number];
}

/**
 * One training step of `model` on x [N, H, W, C] with the noise TF.js's reparameterisation would draw for
 * this seed; null where the fused step does not apply (then the caller takes TF.js's step). x as plain
 * floats is read where it lies, with the noise drawn into a plain array too: no tensor is made and nothing
 * copied to the heap (the calling thread's work between steps, which a second thread only waits through).
 */
export function fusedMlpVaeStep(model: FusedModel, x: tf.Tensor4D | FloatBatch, seed?: number): FusedStepResult | null {
  const addon = nativeAddon();
  const c = model.config;
  const tensor = x instanceof tf.Tensor ? x : null;
  // an addon built before the fused step existed (code updated without `npm run setup`) lacks the call;
  // one built before plain arrays were taken lacks mlpVaeStepArrays
  const call = tensor ? addon?.mlpVaeStep : addon?.mlpVaeStepArrays;
  if (!fusedStep.enabled || typeof call !== 'function' || tf.getBackend() !== 'wasm' || !fusedStepCovers(c) || (tensor && tensor.dtype !== 'float32')) return null;
  const plan = planFor(model);
  if (!plan) return null;
  const backend = tf.backend() as unknown as WasmBackend;
  const [n, h, w, ch] = x.shape;
  const eps = tensor ? randomNormalFromSeed([n, c.latent], seed) : null;
  try {
    // Adam's moments first: it may give a variable memory of its own, which moves its offset
    const adam = adamStepState(model.optimizer, plan.variables);
    const at = (t: tf.Tensor) => offset(backend, t);
    const weight = c.objective === 'beta-vae' ? c.beta : 1;
    const { spec, out } = plan;
    spec.set([n, h * w * ch, c.latent, c.hidden.length, c.hidden.length + 1, weight, tensor ? at(tensor) : 0, eps ? at(eps) : 0, ...adam.settings, fusedStep.parts]);
    plan.layers.forEach((l, i) => {
      const kernel = adam.moments[l.kernel];
      const bias = adam.moments[l.bias];
      spec.set([l.in, l.out, at(kernel.value), at(bias.value), at(kernel.m), at(kernel.v), at(bias.m), at(bias.v), l.relu], HEAD + PER_LAYER * i);
    });
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    fusedStep.lastShares = tensor ? addon!.mlpVaeStep(heap, spec, out) : addon!.mlpVaeStepArrays!(heap, spec, out, (x as FloatBatch).values, normalFromSeed(n * c.latent, seed));
    nativeCalls.mlpVaeStep++;
    inPlaceWrites.count++;
    adam.finish();
    const klPerDim = Array.from(out.subarray(1));
    const kl = klPerDim.reduce((a, v) => a + v, 0);
    return { loss: out[0] + weight * kl, recon: out[0], kl, klPerDim };
  } finally {
    eps?.dispose();
  }
}
