// The VAE family of the lectures on one set of networks: VAE, β-VAE, β-TCVAE and the
// semi-supervised style/class split. Inputs are images [N,H,W,C] with values in [0,1].
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { classDims, validateModelConfig } from './config.ts';
import type { Networks } from './architectures.ts';
import { buildNetworks } from './architectures.ts';
import { patchWasmKernels } from './wasm-kernels.ts';
import {
  bernoulliLogLikelihood,
  gaussianLogLikelihood,
  iwaeFromLogWeights,
  klToStdNormal,
  logNormal,
  maskedCrossEntropy,
  reparameterize,
  tcDecomposition,
} from './losses.ts';

/** One training step, as plain numbers (nats per image). */
export interface StepResult {
  /** The objective minimised (weighted terms; equals -ELBO for the plain VAE). */
  loss: number;
  /** -E_q[log p(x|z)], per image */
  recon: number;
  /** KL(q(z|x) || N(0,I)), analytic, per image */
  kl: number;
  klPerDim: number[];
  /** β-TCVAE terms (minibatch-weighted estimates) */
  mi?: number;
  tc?: number;
  dimKl?: number;
  /** ssvae: mean -log p(y|z^Y) over the labelled images of the batch (NaN if none) */
  classLoss?: number;
}

export interface EvalResult {
  /** -ELBO per image, positive nats */
  negElbo: Float32Array;
  /** KL per dimension summed over the images */
  klPerDimSum: Float32Array;
  /** ssvae: class head predictions from z^Y means */
  predictions?: Int32Array;
}

const MIN_LOG_VAR = Math.log(1e-4);

export class VaeModel {
  readonly config: ModelConfig;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly classifier?: tf.LayersModel;
  /** Gaussian likelihood with a learned variance: the global pixel log-variance. */
  readonly pixelLogVar?: tf.Variable;
  readonly optimizer: tf.AdamOptimizer;

  constructor(config: ModelConfig, nets: Networks, pixelLogVar?: number) {
    validateModelConfig(config);
    patchWasmKernels();
    this.config = config;
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    this.classifier = nets.classifier;
    if (config.objective === 'ssvae' && !this.classifier) throw new Error('the semi-supervised model needs a classifier network');
    if (config.likelihood === 'gaussian') {
      const init = typeof config.gaussianStd === 'number' ? 2 * Math.log(config.gaussianStd) : pixelLogVar ?? Math.log(0.1 ** 2);
      this.pixelLogVar = tf.variable(tf.scalar(init), config.gaussianStd === 'learned');
    }
    this.optimizer = tf.train.adam(config.learningRate);
  }

  static create(config: ModelConfig): VaeModel {
    return new VaeModel(config, buildNetworks(config));
  }

  /** Variables in a fixed order: Adam's saved state maps onto them by position. */
  trainableVariables(): tf.Variable[] {
    const vars = [this.encoder, this.decoder, ...(this.classifier ? [this.classifier] : [])].flatMap((m) =>
      m.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    if (this.pixelLogVar && this.config.gaussianStd === 'learned') vars.push(this.pixelLogVar);
    return vars;
  }

  private encodeTensors(x: tf.Tensor4D): [tf.Tensor2D, tf.Tensor2D] {
    const out = this.encoder.apply(x) as tf.Tensor[];
    return [out[0] as tf.Tensor2D, out[1] as tf.Tensor2D];
  }

  private logLikelihood(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
    if (this.config.likelihood === 'bernoulli') return bernoulliLogLikelihood(x, logits);
    const logVar = tf.maximum(this.pixelLogVar as tf.Tensor, MIN_LOG_VAR);
    return gaussianLogLikelihood(x, tf.sigmoid(logits), logVar);
  }

  private classPart(z: tf.Tensor2D): tf.Tensor2D {
    const s = this.config.style;
    return z.slice([0, s], [-1, classDims(this.config)]);
  }

  /**
   * The objective and its parts for a batch. labels: class per image, -1 = unlabelled (ssvae only).
   * Returns tensors; the caller owns them (run inside tf.tidy).
   */
  lossTerms(x: tf.Tensor4D, labels?: Int32Array, seed?: number) {
    const c = this.config;
    const n = x.shape[0];
    const m = c.samples;
    const [mean, logVar] = this.encodeTensors(x);
    const z = reparameterize(mean, logVar, m, seed);
    const logits = this.decoder.apply(z) as tf.Tensor;
    const xs = m > 1 ? tf.tile(x, [m, 1, 1, 1]) : x;
    const recon = tf.neg(tf.mean(this.logLikelihood(xs, logits))) as tf.Scalar;
    const klPerDim = tf.mean(klToStdNormal(mean, logVar), 0) as tf.Tensor1D;
    const kl = tf.sum(klPerDim) as tf.Scalar;
    let loss: tf.Scalar;
    const extra: Record<string, tf.Scalar> = {};
    switch (c.objective) {
      case 'vae':
        loss = tf.add(recon, kl);
        break;
      case 'beta-vae':
        loss = tf.add(recon, tf.mul(c.beta, kl));
        break;
      case 'beta-tcvae': {
        const parts = { mi: [] as tf.Scalar[], tc: [] as tf.Scalar[], dimKl: [] as tf.Scalar[] };
        for (let s = 0; s < m; s++) {
          const t = tcDecomposition(z.slice([s * n, 0], [n, -1]), mean, logVar);
          parts.mi.push(t.mi);
          parts.tc.push(t.tc);
          parts.dimKl.push(t.dimKl);
        }
        extra.mi = tf.mean(tf.stack(parts.mi)) as tf.Scalar;
        extra.tc = tf.mean(tf.stack(parts.tc)) as tf.Scalar;
        extra.dimKl = tf.mean(tf.stack(parts.dimKl)) as tf.Scalar;
        const w = c.tcWeights;
        loss = tf.addN([recon, tf.mul(w.mi, extra.mi), tf.mul(w.tc, extra.tc), tf.mul(w.dimKl, extra.dimKl)]) as tf.Scalar;
        break;
      }
      case 'ssvae': {
        loss = tf.add(recon, tf.mul(c.beta, kl));
        const lab = labels ?? new Int32Array(n).fill(-1);
        const labelled = lab.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
        if (labelled > 0) {
          const yLogits = this.classifier!.apply(this.classPart(z)) as tf.Tensor2D;
          const labelsRep = tf.tensor1d(Array.from({ length: m }, () => Array.from(lab)).flat(), 'int32');
          const mask = tf.cast(tf.greaterEqual(labelsRep, 0), 'float32') as tf.Tensor1D;
          const ceSum = maskedCrossEntropy(yLogits, labelsRep, mask);
          // log p(y|z^Y) for the labelled images, added per image to the batch mean ELBO
          loss = tf.add(loss, tf.mul(c.classWeight / (n * m), ceSum));
          extra.classLoss = tf.div(ceSum, labelled * m) as tf.Scalar;
        } else {
          extra.classLoss = tf.scalar(NaN);
        }
        break;
      }
    }
    return { loss, recon, kl, klPerDim, extra, mean, logVar };
  }

  /** One Adam step on a batch; returns plain numbers and leaves no tensors behind. */
  trainStep(x: tf.Tensor4D, labels?: Int32Array, seed?: number): StepResult {
    let packed: tf.Tensor | null = null;
    let extraKeys: string[] = [];
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const t = this.lossTerms(x, labels, seed);
        extraKeys = Object.keys(t.extra);
        packed = tf.keep(tf.concat([tf.stack([t.loss, t.recon, t.kl, ...extraKeys.map((k) => t.extra[k])]), t.klPerDim]));
        return t.loss;
      }, this.trainableVariables());
      this.optimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
    });
    const values = (packed as unknown as tf.Tensor).dataSync();
    (packed as unknown as tf.Tensor).dispose();
    const head = 3 + extraKeys.length;
    const result: StepResult = { loss: values[0], recon: values[1], kl: values[2], klPerDim: Array.from(values.subarray(head)) };
    extraKeys.forEach((k, i) => ((result as unknown as Record<string, number>)[k] = values[3 + i]));
    return result;
  }

  /** -ELBO per image (one sample z per image, seeded) and, for ssvae, class predictions. */
  evaluate(x: tf.Tensor4D, seed?: number): EvalResult {
    let result: EvalResult | undefined;
    tf.tidy(() => {
      const [mean, logVar] = this.encodeTensors(x);
      const z = reparameterize(mean, logVar, 1, seed);
      const logLik = this.logLikelihood(x, this.decoder.apply(z) as tf.Tensor);
      const klDims = klToStdNormal(mean, logVar);
      const negElbo = tf.sub(tf.sum(klDims, 1), logLik);
      result = { negElbo: negElbo.dataSync() as Float32Array, klPerDimSum: tf.sum(klDims, 0).dataSync() as Float32Array };
      if (this.classifier) result.predictions = tf.argMax(this.classifier.apply(this.classPart(mean)) as tf.Tensor2D, 1).dataSync() as Int32Array;
    });
    return result!;
  }

  /**
   * The importance-weighted bound (IWAE, fourth lecture) on -log p(x) per image, positive nats, with K samples.
   * K = 1 is the ELBO; the bound tightens as K grows. Samples are processed in chunks to bound memory.
   */
  negIwae(x: tf.Tensor4D, k: number, seed?: number): Float32Array {
    const n = x.shape[0];
    const chunk = Math.max(1, Math.min(k, Math.floor(8192 / n)));
    return tf.tidy(() => {
      const [mean, logVar] = this.encodeTensors(x);
      const pieces: tf.Tensor2D[] = [];
      for (let done = 0, i = 0; done < k; done += chunk, i++) {
        const kk = Math.min(chunk, k - done);
        pieces.push(
          tf.tidy(() => {
            const z = reparameterize(mean, logVar, kk, seed === undefined ? undefined : seed + i * 7919);
            const logLik = this.logLikelihood(tf.tile(x, [kk, 1, 1, 1]), this.decoder.apply(z) as tf.Tensor);
            const meanRep = tf.tile(mean, [kk, 1]);
            const logVarRep = tf.tile(logVar, [kk, 1]);
            const logQ = tf.sum(logNormal(z, meanRep, logVarRep), 1);
            const logP = tf.sum(logNormal(z, tf.zerosLike(z), tf.zerosLike(z)), 1);
            return tf.add(logLik, tf.sub(logP, logQ)).reshape([kk, n]) as tf.Tensor2D;
          }),
        );
      }
      return tf.neg(iwaeFromLogWeights(tf.concat(pieces, 0))).dataSync() as Float32Array;
    });
  }

  /** Posterior means and log-variances [N, L]. The caller disposes them. */
  encode(x: tf.Tensor4D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mean, logVar] = tf.tidy(() => this.encodeTensors(x));
    return { mean, logVar };
  }

  /** Pixel means in [0,1] [N,H,W,C] for latent codes z [N,L] (Bernoulli probabilities or Gaussian means). */
  decode(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => tf.sigmoid(this.decoder.apply(z) as tf.Tensor) as tf.Tensor4D);
  }

  /** E[X | z = E[Z|x]]: the lectures' reconstruction through the posterior mean. */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.decode(this.encodeTensors(x)[0]));
  }

  /** ssvae: class probabilities from the z^Y posterior means [N, K]. */
  classify(x: tf.Tensor4D): tf.Tensor2D {
    if (!this.classifier) throw new Error('this model has no class head (only the semi-supervised model has one)');
    return tf.tidy(() => tf.softmax(this.classifier!.apply(this.classPart(this.encodeTensors(x)[0])) as tf.Tensor2D));
  }

  /** The learned pixel log-variance (Gaussian likelihood), for run.json. */
  pixelLogVarValue(): number | undefined {
    return this.pixelLogVar ? this.pixelLogVar.dataSync()[0] : undefined;
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.classifier?.dispose();
    this.pixelLogVar?.dispose();
    this.optimizer.dispose();
  }
}
