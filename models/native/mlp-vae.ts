// The MLP VAE's training step as one native call (mlp-vae.inc): forward, backward and Adam over the
// model's own TF.js variables and tf.train.adam's own moments, in place on the wasm heap. The model stays
// plain TF.js (models/vae.ts is the definition, and what every other objective, evaluation and export
// runs); this computes the same step for the models it covers, without TF.js's ~170 kernel calls and the
// JavaScript around them, which stays on one thread and held two threads to ~1.25x one (README, "Fused MLP
// VAE step"). Tests compare it with the TF.js step: the same losses and weights within float tolerance.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config.ts';
import { randomNormalFromSeed } from '../losses.ts';
import { adamStepState } from './adam.ts';
import { nativeCalls, offset, type WasmBackend } from './heap.ts';
import { nativeAddon } from './kernels.ts';

/** Off to compare with the TF.js step (tests, `FUSED_STEP=0` in the benchmarks); on by default. */
export const fusedStep = { enabled: process.env.FUSED_STEP !== '0' };

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

/**
 * One training step of `model` on x [N, H, W, C] with the noise TF.js's reparameterisation would draw for
 * this seed; null where the fused step does not apply (then the caller takes TF.js's step).
 */
export function fusedMlpVaeStep(model: FusedModel, x: tf.Tensor4D, seed?: number): FusedStepResult | null {
  const addon = nativeAddon();
  const c = model.config;
  if (!fusedStep.enabled || !addon || tf.getBackend() !== 'wasm' || !fusedStepCovers(c) || x.dtype !== 'float32') return null;
  const backend = tf.backend() as unknown as WasmBackend;
  const names = [...c.hidden.map((_, i) => `enc_dense_${i + 1}`), 'z_mean', 'z_log_var'];
  const decNames = [...c.hidden.map((_, i) => `dec_dense_${i + 1}`), 'dec_logits'];
  const layers = [...names.map((n) => model.encoder.getLayer(n)), ...decNames.map((n) => model.decoder.getLayer(n))];
  const variables = model.trainableVariables();
  if (variables.length !== 2 * layers.length) return null;
  const [n, h, w, ch] = x.shape;
  const pixels = h * w * ch;
  const eps = randomNormalFromSeed([n, c.latent], seed);
  try {
    const adam = adamStepState(model.optimizer, variables);
    const index = new Map(variables.map((v, i) => [v, i]));
    const at = (t: tf.Tensor) => offset(backend, t);
    const spec: number[] = [n, pixels, c.latent, c.hidden.length, c.hidden.length + 1, c.objective === 'beta-vae' ? c.beta : 1, at(x), at(eps), ...adam.settings];
    for (const layer of layers) {
      const [kernel, bias] = layer.trainableWeights.map((lw) => lw.read() as tf.Variable);
      const k = index.get(kernel);
      const b = index.get(bias);
      if (k === undefined || b === undefined || kernel.shape.length !== 2) return null;
      const relu = (layer.getConfig() as { activation?: string }).activation === 'relu' ? 1 : 0;
      spec.push(kernel.shape[0], kernel.shape[1], at(kernel), at(bias), at(adam.moments[k].m), at(adam.moments[k].v), at(adam.moments[b].m), at(adam.moments[b].v), relu);
    }
    const out = new Float64Array(1 + c.latent);
    addon.mlpVaeStep(backend.wasm.HEAPU8.buffer as ArrayBuffer, Float64Array.from(spec), out);
    nativeCalls.mlpVaeStep++;
    adam.finish();
    const klPerDim = Array.from(out.subarray(1));
    const kl = klPerDim.reduce((a, v) => a + v, 0);
    const weight = c.objective === 'beta-vae' ? c.beta : 1;
    return { loss: out[0] + weight * kl, recon: out[0], kl, klPerDim };
  } finally {
    eps.dispose();
  }
}
