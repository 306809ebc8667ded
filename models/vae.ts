// The VAE family of the lectures on one set of networks: VAE, β-VAE, β-TCVAE and the
// semi-supervised style/class split. Inputs are images [N,H,W,C] with values in [0,1].
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { classDims, classPriorOf, deterministicCodes, fairDims, hasClassPart, linearDecoder, validateModelConfig } from './config.ts';
import type { Networks } from './architectures.ts';
import { buildNetworks } from './architectures.ts';
import { patchWasmKernels } from './wasm-kernels.ts';
import { applyAdam } from './native/adam.ts';
import { fusedMlpVaeStep } from './native/mlp-vae.ts';
import { randomOffsets, seededRandom, stopGradient, translateImages } from './augment.ts';
import {
  adversaryConfusion,
  groupMmd,
  bernoulliLogLikelihood,
  corrupt,
  gaussianLogLikelihood,
  gaussianLogLikelihoodOfLogits,
  klToDiagGaussian,
  iwaeFromLogWeights,
  klToStdNormal,
  klToGaussians,
  logNormal,
  logGaussianMixture,
  maskedCrossEntropy,
  reparameterize,
  type BatchRows,
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
  /** ssvae with the mixture prior: mean KL(q(y|x) || p(y)) per image (log K for labelled images); part of `kl` */
  klClass?: number;
  /** ssvae consistency: mean KL(q(y|x) || q(y|shifted x)) per image */
  consistency?: number;
  /** ssvae with a style TC weight: total correlation of z^X (minibatch estimate), nats */
  styleTc?: number;
  /** ssvae 'prototype': mean -log q(y | decoded (style, y)) of the leakage penalty's images */
  leakage?: number;
  /** fair-vae: the penalty's statistic before its weight (the groups' MMD², or the adversary's confusion in nats) */
  fairPenalty?: number;
  /** fair-vae with the adversary: its cross-entropy on s (nats per image) before its own step */
  adversaryLoss?: number;
}

export interface EvalResult {
  /** -ELBO per image, positive nats */
  negElbo: Float32Array;
  /** KL per dimension summed over the images */
  klPerDimSum: Float32Array;
  /** ssvae with the mixture prior: KL(q(y|x) || p(y)) summed over the images (0 otherwise); part of -ELBO */
  klClassSum: number;
  /** ssvae: class head predictions from z^Y means */
  predictions?: Int32Array;
}

const MIN_LOG_VAR = Math.log(1e-4);
/**
 * fair-vae with the adversary: its Adam steps on each batch's codes per step of the model. 5 (to keep up with an
 * encoder moving away from it) measured worse than 1 on the glyphs: probe AUC 0.809 vs 0.754, −ELBO 160.8 vs 123.3.
 */
export const ADVERSARY_STEPS = 1;
/** What the denoising autoencoder reports as the log-variance of its codes: they are deterministic. */
export const DETERMINISTIC_LOG_VAR = Math.log(1e-8);

export class VaeModel {
  readonly config: ModelConfig;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly classifier?: tf.LayersModel;
  /** ivae: the conditional prior p(z|u) */
  readonly prior?: tf.LayersModel;
  /** fair-vae with the adversary penalty: predicts s from z^X; trained in alternation with its own optimiser */
  readonly adversary?: tf.LayersModel;
  private readonly adversaryOptimizer?: tf.AdamOptimizer;
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
    this.prior = nets.prior;
    this.adversary = nets.adversary;
    if (config.objective === 'fair-vae' && config.fair!.penalty === 'adversary') {
      if (!this.adversary) throw new Error('the fair VAE with the adversary penalty needs its adversary network');
      this.adversaryOptimizer = tf.train.adam(config.learningRate);
    }
    if (hasClassPart(config) && !this.classifier) throw new Error('the semi-supervised model needs a classifier network');
    if (config.objective === 'ivae' && !this.prior) throw new Error('the iVAE needs its conditional prior network');
    if (config.likelihood === 'gaussian') {
      const init = typeof config.gaussianStd === 'number' ? 2 * Math.log(config.gaussianStd) : pixelLogVar ?? Math.log(0.1 ** 2);
      // tidy disposes the initial scalar: the variable holds its own reference to the value (it leaked a tensor per model)
      this.pixelLogVar = tf.tidy(() => tf.variable(tf.scalar(init), config.gaussianStd === 'learned'));
    }
    this.optimizer = tf.train.adam(config.learningRate);
    if (this.mixturePrior) this.tieClassBias();
  }

  /** ssvae with p(z^Y|y) = N(μ_y, I): the class head's kernel columns are the means μ_y. */
  private get mixturePrior(): boolean {
    return classPriorOf(this.config) === 'mixture';
  }

  private classHeadWeights(): { kernel: tf.Variable; bias: tf.Variable } {
    const [kernel, bias] = this.classifier!.getLayer('class_logits').trainableWeights.map((w) => w.read() as tf.Variable);
    return { kernel, bias };
  }

  /**
   * With the mixture prior and p(y) uniform, p(y|z^Y) = softmax_y(z^Y·μ_y − |μ_y|²/2): a dense layer with
   * kernel μ and a bias tied to it. Training uses the formula; the stored bias is kept equal to it so the
   * classifier/ network alone (explorer, exports) gives the same responsibilities.
   */
  private tieClassBias(): void {
    const { kernel, bias } = this.classHeadWeights();
    tf.tidy(() => bias.assign(tf.mul(-0.5 * this.priorVar, tf.sum(tf.square(kernel), 0))));
  }

  /**
   * Variance v of the class components p(z^Y|y) = N(μ_y, v·I); the head's kernel is μ/v. Unit variance:
   * v = 0.1 (tighter clusters) trained slower and classified worse (66% vs 72% after 12 epochs, 100 labels).
   */
  private readonly priorVar = 1;

  /** The prior means μ_y of z^Y, [K, Ly] (mixture prior), or null. The caller disposes them. */
  classPriorMeans(): tf.Tensor2D | null {
    if (!this.mixturePrior) return null;
    return tf.tidy(() => tf.mul(this.priorVar, tf.transpose(this.classHeadWeights().kernel)) as tf.Tensor2D);
  }

  /** Class logits from the class part z^Y [N, Ly]. */
  private classLogits(zy: tf.Tensor2D): tf.Tensor2D {
    if (!this.mixturePrior) return this.classifier!.apply(zy) as tf.Tensor2D;
    const { kernel } = this.classHeadWeights();
    return tf.add(tf.matMul(zy, kernel), tf.mul(-0.5 * this.priorVar, tf.sum(tf.square(kernel), 0))) as tf.Tensor2D;
  }

  /** ssvae 'prototype': the decoder sees the class only through its prior mean μ_y. */
  private get prototypeClass(): boolean {
    return this.mixturePrior && this.config.classCode === 'prototype';
  }

  /** The prior means μ_y [K, Ly] (mixture prior), as a tensor inside the caller's tidy. */
  private priorMeans(): tf.Tensor2D {
    return tf.mul(this.priorVar, tf.transpose(this.classHeadWeights().kernel)) as tf.Tensor2D;
  }

  /** Decoder input [N, L] for styles z^X [N, S] and one class per row: z^X beside the class's μ_y. */
  private codesFor(zx: tf.Tensor2D, classes: tf.Tensor1D): tf.Tensor2D {
    // a one-hot product rather than tf.gather: gather's gradient has no wasm kernel
    const protos = tf.matMul(tf.oneHot(classes.toInt(), this.config.numClasses).toFloat(), this.priorMeans()) as tf.Tensor2D;
    return (this.config.style > 0 ? tf.concat([zx, protos], 1) : protos) as tf.Tensor2D;
  }

  /** [N, L] with the class columns zeroed. */
  private styleOnly(perDim: tf.Tensor2D): tf.Tensor2D {
    const s = this.config.style;
    const zeros = tf.zeros([perDim.shape[0], perDim.shape[1] - s]);
    return (s > 0 ? tf.concat([perDim.slice([0, 0], [-1, s]), zeros], 1) : zeros) as tf.Tensor2D;
  }

  private stylePart(z: tf.Tensor2D): tf.Tensor2D {
    return z.slice([0, 0], [-1, this.config.style]);
  }

  /**
   * Log-likelihood of every image under every class [N, K] ('prototype'): log p(x | z^X, y) with the class's
   * μ_y, K decoder passes. The exact sum over y of M2's bound for evaluation.
   */
  private logLikelihoodPerClass(x: tf.Tensor4D, zx: tf.Tensor2D): tf.Tensor2D {
    const n = zx.shape[0];
    const cols: tf.Tensor1D[] = [];
    for (let k = 0; k < this.config.numClasses; k++) {
      cols.push(this.logLikelihood(x, this.decoder.apply(this.codesFor(zx, tf.fill([n], k, 'int32') as tf.Tensor1D)) as tf.Tensor));
    }
    return tf.stack(cols, 1) as tf.Tensor2D;
  }

  /**
   * The leakage penalty ('prototype'): styles z^X [G, S] decoded with classes y [G] must be classified as y
   * by the model's own class head. Differentiated with respect to the decoder only (see trainStep).
   */
  private leakageLoss(zx: tf.Tensor2D, classes: Int32Array): tf.Scalar {
    const y = tf.tensor1d(classes, 'int32');
    const images = tf.sigmoid(this.decoder.apply(this.codesFor(zx, y)) as tf.Tensor) as tf.Tensor4D;
    const logits = this.classLogits(this.classPart(this.encodeTensors(images)[0]));
    return tf.div(maskedCrossEntropy(logits, y, tf.onesLike(y).toFloat() as tf.Tensor1D), classes.length) as tf.Scalar;
  }

  /**
   * KL terms of the ELBO per image and dimension [N, L], plus (mixture prior) KL(q(y|x) || p(y)) per image.
   * Mixture prior (M2's bound with y latent): Σ_y q(y|x) KL(q(z^Y|x) || N(μ_y, I)) + KL(q(y|x) || U(K)),
   * q(y|x) = p(y | z^Y = mean); labelled images (label >= 0) use their label instead of q(y|x).
   */
  private klTerms(mean: tf.Tensor2D, logVar: tf.Tensor2D, labels?: tf.Tensor1D): { klDims: tf.Tensor2D; klClass: tf.Tensor1D | null; yLogits: tf.Tensor2D | null } {
    if (!this.mixturePrior) return { klDims: klToStdNormal(mean, logVar), klClass: null, yLogits: null };
    const s = this.config.style;
    const k = this.config.numClasses;
    const meanY = this.classPart(mean);
    const logVarY = this.classPart(logVar);
    const yLogits = this.classLogits(meanY);
    const logQ = tf.logSoftmax(yLogits);
    let weights: tf.Tensor2D = tf.exp(logQ);
    let klClass = tf.sum(tf.mul(weights, tf.add(logQ, Math.log(k))), 1) as tf.Tensor1D;
    if (labels) {
      const isLabelled = tf.greaterEqual(labels, 0);
      weights = tf.where(isLabelled.expandDims(1), tf.oneHot(tf.maximum(labels, 0).toInt(), k).toFloat(), weights) as tf.Tensor2D;
      klClass = tf.where(isLabelled, tf.fill(klClass.shape, Math.log(k)), klClass);
    }
    const { kernel } = this.classHeadWeights();
    const means = tf.mul(this.priorVar, tf.transpose(kernel)) as tf.Tensor2D;
    const klY = tf.sum(tf.mul(klToGaussians(meanY, logVarY, means, this.priorVar), weights.expandDims(2)), 1) as tf.Tensor2D;
    const klDims = s > 0 ? tf.concat([klToStdNormal(mean.slice([0, 0], [-1, s]), logVar.slice([0, 0], [-1, s])), klY], 1) : klY;
    return { klDims, klClass, yLogits };
  }

  static create(config: ModelConfig): VaeModel {
    return new VaeModel(config, buildNetworks(config));
  }

  /** Variables in a fixed order: Adam's saved state maps onto them by position. */
  trainableVariables(): tf.Variable[] {
    // with the mixture prior the class bias is tied to the prior means (tieClassBias), not learned
    const tied = this.mixturePrior ? this.classHeadWeights().bias : null;
    const vars = [this.encoder, this.decoder, ...(this.classifier ? [this.classifier] : []), ...(this.prior ? [this.prior] : [])]
      .flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable))
      .filter((v) => v !== tied);
    if (this.pixelLogVar && this.config.gaussianStd === 'learned') vars.push(this.pixelLogVar);
    return vars;
  }

  private get fair() {
    return this.config.objective === 'fair-vae' ? this.config.fair! : null;
  }

  /** fair-vae: s one-hot [N, S]; −1 (or no s at all) is a row of zeros, "unknown". */
  private privateOneHot(s: Int32Array | null | undefined, n: number): tf.Tensor2D {
    const k = this.fair!.values;
    const rows = new Float32Array(n * k);
    if (s) for (let i = 0; i < n; i++) if (s[i] >= 0 && s[i] < k) rows[i * k + s[i]] = 1;
    return tf.tensor2d(rows, [n, k]);
  }

  /** fair-vae: s repeated for M samples per image (rows sample-major, as reparameterize lays them out). */
  private static repeatRows(s: Int32Array, times: number): Int32Array {
    const out = new Int32Array(s.length * times);
    for (let t = 0; t < times; t++) out.set(s, t * s.length);
    return out;
  }

  /** q(z|x) (fair-vae: q(z|x, s); s absent or −1: unknown). */
  private encodeTensors(x: tf.Tensor4D, s?: Int32Array | null): [tf.Tensor2D, tf.Tensor2D] {
    const out = (this.fair ? this.encoder.apply([x, this.privateOneHot(s, x.shape[0])]) : this.encoder.apply(x)) as tf.Tensor[];
    return [out[0] as tf.Tensor2D, out[1] as tf.Tensor2D];
  }

  /** Decoder logits for codes z (fair-vae: p(x|z, s), s given per row). */
  private decoderLogits(z: tf.Tensor2D, s?: Int32Array | null): tf.Tensor {
    return (this.fair ? this.decoder.apply([z, this.privateOneHot(s, z.shape[0])]) : this.decoder.apply(z)) as tf.Tensor;
  }

  /** fair-vae: s hidden (−1) from the encoder for a seeded share of the images, so it learns to encode without s too. */
  private dropPrivate(s: Int32Array, seed?: number): Int32Array {
    const share = this.fair!.dropout;
    if (share <= 0) return s;
    const random = seededRandom(seed === undefined ? Math.floor(Math.random() * 2 ** 31) : seed ^ 0x2545f491);
    return Int32Array.from(s, (v) => (random() < share ? -1 : v));
  }

  /** fair-vae: z^X, the part the penalty cleans of s (the style part with classes, else the whole code). */
  private fairPart(z: tf.Tensor2D): tf.Tensor2D {
    const d = fairDims(this.config);
    return d === this.config.latent ? z : z.slice([0, 0], [-1, d]);
  }

  private logLikelihood(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
    if (this.config.likelihood === 'bernoulli') return bernoulliLogLikelihood(x, logits);
    const logVar = tf.maximum(this.pixelLogVar as tf.Tensor, MIN_LOG_VAR);
    return linearDecoder(this.config) ? gaussianLogLikelihood(x, logits, logVar) : gaussianLogLikelihoodOfLogits(x, logits, logVar);
  }

  /** ivae: the prior's means and log-variances [N, L] for auxiliary values u (−1: unknown, N(0, I)). */
  private conditionalPrior(u: Int32Array | tf.Tensor1D, n: number): [tf.Tensor2D, tf.Tensor2D] {
    const values = this.config.auxValues!;
    const t = u instanceof Int32Array ? tf.tensor1d(u.length ? u : new Int32Array(n).fill(-1), 'int32') : u.toInt();
    const out = this.prior!.apply(tf.oneHot(t, values).toFloat()) as tf.Tensor[];
    return [out[0] as tf.Tensor2D, out[1] as tf.Tensor2D];
  }

  /**
   * The denoising autoencoder's terms: the code of the corrupted image, decoded, scored against the clean one.
   * No KL: the codes are points, not distributions.
   */
  private daeTerms(x: tf.Tensor4D, seed?: number) {
    const noise = this.config.noise ?? { kind: 'mask', level: 0.3 };
    const noisy = corrupt(x, noise.kind, noise.level, seed);
    const [mean, logVar] = this.encodeTensors(noisy);
    const recon = tf.neg(tf.mean(this.logLikelihood(x, this.decoder.apply(mean) as tf.Tensor))) as tf.Scalar;
    const klPerDim = tf.zeros([this.config.latent]) as tf.Tensor1D;
    return { loss: recon, recon, kl: tf.scalar(0), klPerDim, extra: {} as Record<string, tf.Scalar>, mean, logVar };
  }

  private classPart(z: tf.Tensor2D): tf.Tensor2D {
    const s = this.config.style;
    return z.slice([0, s], [-1, classDims(this.config)]);
  }

  /**
   * The objective and its parts for a batch. labels: class per image, -1 = unlabelled (ssvae only).
   * rows: x is rows offset.. of a larger batch (a data-parallel shard): random draws are the whole batch's.
   * Returns tensors; the caller owns them (run inside tf.tidy).
   */
  lossTerms(x: tf.Tensor4D, labels?: Int32Array, seed?: number, rows?: BatchRows, priv?: Int32Array) {
    const c = this.config;
    if (linearDecoder(c)) throw new Error(`${c.objective} is fitted in closed form or by EM, not by gradient steps`);
    if (deterministicCodes(c)) return this.daeTerms(x, seed);
    const n = x.shape[0];
    const m = c.samples;
    const s = this.fair ? priv ?? new Int32Array(n).fill(-1) : undefined;
    const [mean, logVar] = this.encodeTensors(x, s ? this.dropPrivate(s, seed) : undefined);
    const z = reparameterize(mean, logVar, m, seed, rows);
    const lab = c.objective === 'ssvae' ? labels ?? new Int32Array(n).fill(-1) : undefined;
    let decoderInput = z;
    if (this.prototypeClass) {
      // the decoder sees μ_y of the label, or of the class q(y|x) ranks first for an unlabelled image
      const guess = tf.argMax(this.classLogits(this.classPart(mean)), 1) as tf.Tensor1D;
      const labelsT = tf.tensor1d(lab!, 'int32');
      const classes = tf.where(tf.greaterEqual(labelsT, 0), labelsT, guess.toInt()) as tf.Tensor1D;
      decoderInput = this.codesFor(this.stylePart(z), m > 1 ? (tf.tile(classes, [m]) as tf.Tensor1D) : classes);
    }
    const logits = this.decoderLogits(decoderInput, s && m > 1 ? VaeModel.repeatRows(s, m) : s);
    const xs = m > 1 ? tf.tile(x, [m, 1, 1, 1]) : x;
    const recon = tf.neg(tf.mean(this.logLikelihood(xs, logits))) as tf.Scalar;
    const klt =
      c.objective === 'ivae'
        ? { klDims: klToDiagGaussian(mean, logVar, ...this.conditionalPrior(labels ?? new Int32Array(n).fill(-1), n)), klClass: null, yLogits: null }
        : this.klTerms(mean, logVar, lab ? tf.tensor1d(lab, 'int32') : undefined);
    const klPerDim = tf.mean(klt.klDims, 0) as tf.Tensor1D;
    const klClass = klt.klClass ? (tf.mean(klt.klClass) as tf.Scalar) : null;
    const kl = (klClass ? tf.add(tf.sum(klPerDim), klClass) : tf.sum(klPerDim)) as tf.Scalar;
    let loss: tf.Scalar;
    const extra: Record<string, tf.Scalar> = {};
    switch (c.objective) {
      case 'vae':
      case 'ivae':
        loss = tf.add(recon, kl);
        break;
      case 'fair-vae': {
        // the ELBO conditioned on s, plus the penalty on what z^X's means still say about s
        loss = tf.add(recon, kl);
        const zx = this.fairPart(mean);
        extra.fairPenalty = this.adversary ? adversaryConfusion(this.adversary.apply(zx) as tf.Tensor2D, s!) : groupMmd(zx, s!, this.fair!.values);
        loss = tf.add(loss, tf.mul(this.fair!.weight, extra.fairPenalty));
        if (this.classifier) {
          // semi-supervised: the class part z^Y predicts y (the labelled images), as the ssvae's 'standard' prior
          const lab = labels ?? new Int32Array(n).fill(-1);
          const labelled = lab.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
          if (labelled > 0) {
            const labelsRep = tf.tensor1d(VaeModel.repeatRows(lab, m), 'int32');
            const ceSum = maskedCrossEntropy(this.classifier.apply(this.classPart(z)) as tf.Tensor2D, labelsRep, tf.cast(tf.greaterEqual(labelsRep, 0), 'float32') as tf.Tensor1D);
            loss = tf.add(loss, tf.mul(c.classWeight / (n * m), ceSum));
            extra.classLoss = tf.div(ceSum, labelled * m) as tf.Scalar;
          } else extra.classLoss = tf.scalar(NaN);
        }
        break;
      }
      case 'iwae': {
        // The importance-weighted bound with K = samples (Burda et al. 2016; the fourth lecture's importance
        // sampling estimate inside the log): −mean_n log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x).
        const logLik = this.logLikelihood(xs, logits);
        const logQ = tf.sum(logNormal(z, tf.tile(mean, [m, 1]), tf.tile(logVar, [m, 1])), 1);
        const logW = tf.add(logLik, tf.sub(this.logPrior(z), logQ)).reshape([m, n]) as tf.Tensor2D;
        loss = tf.neg(tf.mean(iwaeFromLogWeights(logW))) as tf.Scalar;
        break;
      }
      case 'dae':
      case 'ppca':
      case 'fa':
        throw new Error(`${c.objective}: not a variational objective`);
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
        if (klClass) extra.klClass = klClass;
        // entropy minimisation on the unlabelled images' q(y|x): pushes them towards one class component
        const entW = c.entropyWeight ?? 0;
        if (entW > 0 && klt.yLogits) {
          const lq = tf.logSoftmax(klt.yLogits);
          const ent = tf.neg(tf.sum(tf.mul(tf.exp(lq), lq), 1));
          const unl = tf.cast(tf.less(tf.tensor1d(lab!, 'int32'), 0), 'float32');
          loss = tf.add(loss, tf.mul(entW / n, tf.sum(tf.mul(ent, unl))));
        }
        // consistency: the class posterior of the image moved by a pixel or two should match the original's
        const consW = c.consistencyWeight ?? 0;
        if (consW > 0 && klt.yLogits) {
          const random = seededRandom(seed === undefined ? Math.floor(Math.random() * 2 ** 31) : seed ^ 0x3c6ef372);
          const offsets = randomOffsets(rows?.total ?? n, c.consistencyShift ?? 2, random).slice(rows?.offset ?? 0);
          const shifted = translateImages(x, offsets.slice(0, n));
          const logQ = stopGradient(tf.logSoftmax(klt.yLogits));
          const logQShifted = tf.logSoftmax(this.classLogits(this.classPart(this.encodeTensors(shifted)[0])));
          const cons = tf.sum(tf.mul(tf.exp(logQ), tf.sub(logQ, logQShifted)), 1);
          extra.consistency = tf.mean(cons) as tf.Scalar;
          loss = tf.add(loss, tf.mul(consW, extra.consistency));
        }
        // total correlation of the style part: independent sliders
        const styleTc = c.styleTcWeight ?? 0;
        if (styleTc > 0 && c.style > 1) {
          extra.styleTc = tcDecomposition(this.stylePart(z.slice([0, 0], [n, -1])), this.stylePart(mean), this.stylePart(logVar)).tc;
          loss = tf.add(loss, tf.mul(styleTc, extra.styleTc));
        }
        const labelled = lab!.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
        if (labelled > 0 && klt.yLogits) {
          // mixture prior: q(y|x) = p(y | z^Y = mean), the same responsibilities the bound uses
          const ceSum = maskedCrossEntropy(klt.yLogits, tf.tensor1d(lab!, 'int32'), tf.cast(tf.greaterEqual(tf.tensor1d(lab!, 'int32'), 0), 'float32') as tf.Tensor1D);
          loss = tf.add(loss, tf.mul(c.classWeight / n, ceSum));
          extra.classLoss = tf.div(ceSum, labelled) as tf.Scalar;
        } else if (labelled > 0) {
          const yLogits = this.classifier!.apply(this.classPart(z)) as tf.Tensor2D;
          const labelsRep = tf.tensor1d(Array.from({ length: m }, () => Array.from(lab!)).flat(), 'int32');
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

  /**
   * Codes for the leakage penalty: the batch's styles in a shuffled order, each with one dimension set to a
   * value in ±3 sd (the range the sliders sweep), and a random class each. Seeded like the step.
   */
  private leakageProbe(styles: tf.Tensor2D, seed?: number): { zx: tf.Tensor2D; classes: Int32Array } {
    const [n, s] = styles.shape;
    const random = seededRandom(seed === undefined ? Math.floor(Math.random() * 2 ** 31) : seed ^ 0x1b873593);
    // the draws only: the codes stay where they were computed (a GPU's results are not read back mid-step)
    const from = new Int32Array(n);
    const keep = new Float32Array(n * s).fill(1);
    const set = new Float32Array(n * s);
    const classes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      from[i] = Math.floor(random() * n);
      const d = i * s + Math.floor(random() * s);
      keep[d] = 0;
      set[d] = -3 + 6 * random();
      classes[i] = Math.floor(random() * this.config.numClasses);
    }
    const zx = tf.add(tf.mul(tf.gather(styles, from), tf.tensor2d(keep, [n, s])), tf.tensor2d(set, [n, s])) as tf.Tensor2D;
    return { zx, classes };
  }

  /**
   * trainStep on a batch of plain floats [N, H, W, C] (the engine's batches): the fused MLP step reads them
   * where they lie; every other step takes them as a tensor.
   */
  async trainStepOnFloats(x: Float32Array, shape: [number, number, number, number], labels?: Int32Array, seed?: number, priv?: Int32Array): Promise<StepResult> {
    const fused = fusedMlpVaeStep(this, { values: x, shape }, seed);
    if (fused) return fused;
    const t = tf.tensor4d(x, shape);
    try {
      return await this.trainStep(t, labels, seed, priv);
    } finally {
      t.dispose();
    }
  }

  /**
   * One Adam step on a batch; returns plain numbers and leaves no tensors behind. The figures are read back
   * asynchronously, as every result of the engine's is: on WebGPU in Node nothing can be read synchronously.
   */
  async trainStep(x: tf.Tensor4D, labels?: Int32Array, seed?: number, priv?: Int32Array): Promise<StepResult> {
    // the MLP VAE's whole step as one native call where it applies (the same step; models/native/mlp-vae.ts)
    const fused = fusedMlpVaeStep(this, x, seed);
    if (fused) return fused;
    let packed: tf.Tensor | null = null;
    let extraKeys: string[] = [];
    const leakW = this.prototypeClass ? this.config.leakageWeight ?? 0 : 0;
    let leakage: tf.Tensor | null = null;
    let adversaryLoss: tf.Tensor | null = null;
    tf.tidy(() => {
      let styles: tf.Tensor2D | null = null;
      let fairCodes: tf.Tensor2D | null = null;
      const { grads } = tf.variableGrads(() => {
        const t = this.lossTerms(x, labels, seed, undefined, priv);
        extraKeys = Object.keys(t.extra);
        packed = tf.keep(tf.concat([tf.stack([t.loss, t.recon, t.kl, ...extraKeys.map((k) => t.extra[k])]), t.klPerDim]));
        if (leakW > 0) styles = tf.keep(this.stylePart(t.mean));
        if (this.adversary) fairCodes = tf.keep(this.fairPart(t.mean));
        return t.loss;
      }, this.trainableVariables());
      if (this.adversary && fairCodes && priv) {
        // Alternation: the adversary takes its own step on these codes (held fixed) after the model's step
        // was computed against it, learning to predict s from z^X as well as it can.
        const codes = fairCodes as tf.Tensor2D;
        const known = priv.reduce((a, v) => a + (v >= 0 ? 1 : 0), 0);
        if (known > 0) {
          const sT = tf.tensor1d(priv, 'int32');
          const mask = tf.cast(tf.greaterEqual(sT, 0), 'float32') as tf.Tensor1D;
          const advVars = this.adversary.trainableWeights.map((w) => w.read() as tf.Variable);
          for (let k = 0; k < ADVERSARY_STEPS; k++) {
            const adv = tf.variableGrads(() => tf.div(maskedCrossEntropy(this.adversary!.apply(codes) as tf.Tensor2D, sT, mask), known) as tf.Scalar, advVars);
            applyAdam(this.adversaryOptimizer!, adv.grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
            if (k === 0) adversaryLoss = tf.keep(adv.value);
          }
        }
        tf.dispose(codes);
      }
      if (leakW > 0 && styles) {
        // The leakage penalty trains the decoder alone: a class head free to follow it could learn to read
        // a mark the decoder writes instead of the shape of the class.
        const { zx, classes } = this.leakageProbe(styles, seed);
        const decoderVars = this.decoder.trainableWeights.map((w) => w.read() as tf.Variable);
        const leak = tf.variableGrads(() => this.leakageLoss(zx, classes), decoderVars);
        for (const [name, g] of Object.entries(leak.grads)) grads[name] = grads[name] ? tf.add(grads[name], tf.mul(leakW, g)) : tf.mul(leakW, g);
        leakage = tf.keep(leak.value);
        tf.dispose(styles);
      }
      applyAdam(this.optimizer, grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
    });
    if (this.mixturePrior) this.tieClassBias();
    const kept = [packed, leakage, adversaryLoss] as (tf.Tensor | null)[];
    try {
      const values = (await kept[0]!.data()) as Float32Array;
      const head = 3 + extraKeys.length;
      const result: StepResult = { loss: values[0], recon: values[1], kl: values[2], klPerDim: Array.from(values.subarray(head)) };
      extraKeys.forEach((k, i) => ((result as unknown as Record<string, number>)[k] = values[3 + i]));
      if (kept[1]) result.leakage = (await kept[1].data())[0];
      if (kept[2]) result.adversaryLoss = (await kept[2].data())[0];
      return result;
    } finally {
      tf.dispose(kept.filter((t): t is tf.Tensor => t !== null));
    }
  }

  /**
   * One Adam step with given gradients, one per trainableVariables() and in that order (the data-parallel
   * trainer's averaged gradients). The caller keeps the gradient tensors.
   */
  applyGradients(grads: tf.Tensor[]): void {
    const vars = this.trainableVariables();
    if (grads.length !== vars.length) throw new Error(`applyGradients: ${grads.length} gradients for ${vars.length} variables`);
    tf.tidy(() => applyAdam(this.optimizer, vars.map((v, i) => ({ name: v.name, tensor: grads[i] }))));
    if (this.mixturePrior) this.tieClassBias();
  }

  /**
   * After weights were written from outside (the data-parallel trainer's own Adam step): recompute the
   * weights tied to them (the mixture prior's class bias).
   */
  syncTiedWeights(): void {
    if (this.mixturePrior) this.tieClassBias();
  }

  /**
   * -ELBO per image (one sample z per image, seeded) and, for ssvae, class predictions. ivae: aux holds u per
   * image (the ELBO under p(z|u)). dae: the reconstruction loss −log p(x | g(f(x))) of the clean image, no KL.
   */
  async evaluate(x: tf.Tensor4D, seed?: number, aux?: Int32Array): Promise<EvalResult> {
    // computed in one tidy, read back after it (asynchronously: WebGPU in Node cannot read synchronously)
    const kept: { negElbo?: tf.Tensor; klPerDimSum?: tf.Tensor; klClassSum?: tf.Tensor; predictions?: tf.Tensor } = {};
    tf.tidy(() => {
      if (deterministicCodes(this.config)) {
        const mean = this.encodeTensors(x)[0];
        const negElbo = tf.neg(this.logLikelihood(x, this.decoder.apply(mean) as tf.Tensor));
        kept.negElbo = tf.keep(negElbo);
        kept.klPerDimSum = tf.keep(tf.zeros([this.config.latent]));
        return;
      }
      const s = this.fair ? aux : undefined;
      const [mean, logVar] = this.encodeTensors(x, s);
      const z = reparameterize(mean, logVar, 1, seed);
      const terms =
        this.config.objective === 'ivae'
          ? { klDims: klToDiagGaussian(mean, logVar, ...this.conditionalPrior(aux ?? new Int32Array(x.shape[0]).fill(-1), x.shape[0])), klClass: null, yLogits: null }
          : this.klTerms(mean, logVar);
      const { klClass, yLogits } = terms;
      // 'prototype': M2's bound on p(x) = Σ_y p(y) ∫ p(z^X) p(x | z^X, y): E_q(y|x)[log p(x | z^X, y)] summed over
      // every class exactly. z^Y is the class head's code and never reaches the decoder, so it is not part of
      // p(x); its pull towards μ_y in training is a regulariser (it keeps class codes where the decoder's μ_y
      // are), reported as zero here.
      const klDims = this.prototypeClass ? this.styleOnly(terms.klDims) : terms.klDims;
      const logLik = this.prototypeClass
        ? (tf.sum(tf.mul(tf.softmax(yLogits!), this.logLikelihoodPerClass(x, this.stylePart(z))), 1) as tf.Tensor1D)
        : this.logLikelihood(x, this.decoderLogits(z, s));
      let negElbo = tf.sub(tf.sum(klDims, 1), logLik);
      if (klClass) negElbo = tf.add(negElbo, klClass);
      kept.negElbo = tf.keep(negElbo);
      kept.klPerDimSum = tf.keep(tf.sum(klDims, 0));
      if (klClass) kept.klClassSum = tf.keep(tf.sum(klClass));
      if (this.classifier) kept.predictions = tf.keep(tf.argMax(this.classLogits(this.classPart(mean)), 1));
    });
    try {
      const result: EvalResult = {
        negElbo: (await kept.negElbo!.data()) as Float32Array,
        klPerDimSum: (await kept.klPerDimSum!.data()) as Float32Array,
        klClassSum: kept.klClassSum ? (await kept.klClassSum.data())[0] : 0,
      };
      if (kept.predictions) result.predictions = (await kept.predictions.data()) as Int32Array;
      return result;
    } finally {
      tf.dispose(Object.values(kept));
    }
  }

  /**
   * The importance-weighted bound (IWAE, fourth lecture) on -log p(x) per image, positive nats, with K samples.
   * K = 1 is the ELBO; the bound tightens as K grows. Samples are processed in chunks to bound memory.
   */
  async negIwae(x: tf.Tensor4D, k: number, seed?: number, aux?: Int32Array): Promise<Float32Array> {
    if (deterministicCodes(this.config)) throw new Error('the denoising autoencoder has no posterior: no importance-weighted bound');
    const n = x.shape[0];
    const passes = this.prototypeClass ? this.config.numClasses : 1;
    const chunk = Math.max(1, Math.min(k, Math.floor(8192 / (n * passes))));
    const s = this.fair ? aux : undefined;
    const bound = tf.tidy(() => {
      const [mean, logVar] = this.encodeTensors(x, s);
      const pieces: tf.Tensor2D[] = [];
      for (let done = 0, i = 0; done < k; done += chunk, i++) {
        const kk = Math.min(chunk, k - done);
        pieces.push(
          tf.tidy(() => {
            const z = reparameterize(mean, logVar, kk, seed === undefined ? undefined : seed + i * 7919);
            const xs = tf.tile(x, [kk, 1, 1, 1]) as tf.Tensor4D;
            const meanRep = tf.tile(mean, [kk, 1]);
            const logVarRep = tf.tile(logVar, [kk, 1]);
            if (this.prototypeClass) {
              // p(x) = Σ_y p(y) ∫ p(z^X) p(x | z^X, y): z^Y does not reach the decoder and integrates out
              const s = this.config.style;
              const zx = this.stylePart(z);
              const logPxGivenZ = tf.sub(tf.logSumExp(this.logLikelihoodPerClass(xs, zx), 1), Math.log(this.config.numClasses));
              const logQ = tf.sum(logNormal(zx, meanRep.slice([0, 0], [-1, s]), logVarRep.slice([0, 0], [-1, s])), 1);
              const logP = tf.sum(logNormal(zx, tf.zerosLike(zx), tf.zerosLike(zx)), 1);
              return tf.add(logPxGivenZ, tf.sub(logP, logQ)).reshape([kk, n]) as tf.Tensor2D;
            }
            const auxRep = aux ? Int32Array.from({ length: kk * n }, (_, i) => aux[i % n]) : undefined;
            const logLik = this.logLikelihood(xs, this.decoderLogits(z, s ? auxRep : undefined));
            const logQ = tf.sum(logNormal(z, meanRep, logVarRep), 1);
            const logP = this.logPrior(z, this.fair ? undefined : auxRep);
            return tf.add(logLik, tf.sub(logP, logQ)).reshape([kk, n]) as tf.Tensor2D;
          }),
        );
      }
      return tf.neg(iwaeFromLogWeights(tf.concat(pieces, 0)));
    });
    try {
      return (await bound.data()) as Float32Array;
    } finally {
      bound.dispose();
    }
  }

  /** log p(z) [N]: N(0, I), or with the mixture prior N(z^X; 0, I) · Σ_y p(y) N(z^Y; μ_y, I). */
  private logPrior(z: tf.Tensor2D, aux?: Int32Array): tf.Tensor1D {
    if (this.config.objective === 'ivae') return tf.sum(logNormal(z, ...this.conditionalPrior(aux ?? new Int32Array(z.shape[0]).fill(-1), z.shape[0])), 1) as tf.Tensor1D;
    if (!this.mixturePrior) return tf.sum(logNormal(z, tf.zerosLike(z), tf.zerosLike(z)), 1) as tf.Tensor1D;
    const s = this.config.style;
    const zy = this.classPart(z);
    const logPy = logGaussianMixture(zy, tf.mul(this.priorVar, tf.transpose(this.classHeadWeights().kernel)) as tf.Tensor2D, this.priorVar);
    if (s === 0) return logPy;
    const zx = z.slice([0, 0], [-1, s]);
    return tf.add(tf.sum(logNormal(zx, tf.zerosLike(zx), tf.zerosLike(zx)), 1), logPy) as tf.Tensor1D;
  }

  /** Posterior means and log-variances [N, L]. The caller disposes them. */
  encode(x: tf.Tensor4D, priv?: Int32Array): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mean, logVar] = tf.tidy(() => {
      const [m, lv] = this.encodeTensors(x, priv);
      // the denoising autoencoder's code is a point: its "variance" is nil, whatever the unused layer says
      return deterministicCodes(this.config) ? [m, tf.fill(lv.shape, DETERMINISTIC_LOG_VAR) as tf.Tensor2D] : [m, lv];
    });
    return { mean, logVar };
  }

  /** encode's means and log-variances read back as plain arrays [N·L] (asynchronously); no tensor is left. */
  async encodeValues(x: tf.Tensor4D, priv?: Int32Array): Promise<{ means: Float32Array; logVars: Float32Array }> {
    const { mean, logVar } = this.encode(x, priv);
    try {
      return { means: (await mean.data()) as Float32Array, logVars: (await logVar.data()) as Float32Array };
    } finally {
      tf.dispose([mean, logVar]);
    }
  }

  /**
   * Pixel means in [0,1] [N,H,W,C] for latent codes z [N,L] (Bernoulli probabilities or Gaussian means).
   * PPCA and FA decode to W z + μ, clipped to the pixel range for display.
   */
  decode(z: tf.Tensor2D, priv?: Int32Array): tf.Tensor4D {
    return tf.tidy(() => {
      const fair = this.fair;
      if (fair && !priv) {
        // s unknown: E[x | z] = Σ_s p(s) E[x | z, s], with p(s) the training frequencies
        const n = z.shape[0];
        return tf.addN(fair.prior.map((p, k) => tf.mul(p, tf.sigmoid(this.decoderLogits(z, new Int32Array(n).fill(k)))))) as tf.Tensor4D;
      }
      const out = this.decoderLogits(z, priv);
      return (linearDecoder(this.config) ? tf.clipByValue(out, 0, 1) : tf.sigmoid(out)) as tf.Tensor4D;
    });
  }

  /**
   * dae: moves the code to zero mean and unit standard deviation per dimension over x (the training images)
   * without changing what the model computes: the encoder's output layer is shifted and scaled, and the
   * decoder's first layer undoes it. The views sweep codes in ±k sd; this makes that the codes' own sd.
   */
  standardizeCodes(x: tf.Tensor4D): void {
    if (!deterministicCodes(this.config)) return;
    tf.tidy(() => {
      const codes = this.encodeTensors(x)[0];
      const { mean, variance } = tf.moments(codes, 0);
      const sd = tf.sqrt(tf.maximum(variance, 1e-12));
      const enc = this.encoder.getLayer('z_mean');
      const [k, b] = enc.getWeights();
      enc.setWeights([tf.div(k, sd), tf.div(tf.sub(b, mean), sd)]);
      // decoder: first dense layer sees z = sd z' + mean
      const first = this.decoder.layers.find((l) => l.getWeights().length > 0)!;
      const [dk, db] = first.getWeights();
      first.setWeights([tf.mul(dk, sd.expandDims(1)), tf.add(db, tf.matMul(mean.expandDims(0), dk).squeeze([0]))]);
    });
  }

  /** E[X | z = E[Z|x]]: the lectures' reconstruction through the posterior mean. */
  reconstruct(x: tf.Tensor4D, priv?: Int32Array): tf.Tensor4D {
    return tf.tidy(() => {
      const mean = this.encodeTensors(x, priv)[0];
      if (!this.prototypeClass) return this.decode(mean, priv);
      // the class the model sees, through its μ_y, as in training
      const classes = tf.argMax(this.classLogits(this.classPart(mean)), 1) as tf.Tensor1D;
      return this.decode(this.codesFor(this.stylePart(mean), classes));
    });
  }

  /** ssvae: class probabilities from the z^Y posterior means [N, K]. */
  classify(x: tf.Tensor4D): tf.Tensor2D {
    if (!this.classifier) throw new Error('this model has no class head (only the semi-supervised model has one)');
    return tf.tidy(() => tf.softmax(this.classLogits(this.classPart(this.encodeTensors(x)[0]))));
  }

  /** The learned pixel log-variance (Gaussian likelihood), for run.json. */
  async pixelLogVarValue(): Promise<number | undefined> {
    return this.pixelLogVar ? (await this.pixelLogVar.data())[0] : undefined;
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.classifier?.dispose();
    this.prior?.dispose();
    this.adversary?.dispose();
    this.adversaryOptimizer?.dispose();
    this.pixelLogVar?.dispose();
    this.optimizer.dispose();
  }
}
