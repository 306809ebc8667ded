// Encoder, decoder and class head as plain tf.LayersModels, so they save in the standard
// TF.js format (model.json + weights) and load with tf.loadLayersModel anywhere.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.ts';
import { classDims, fairDims, hasClassPart } from './config.ts';

export interface Networks {
  /** image [N,H,W,C] in [0,1] -> [mean [N,L], logVar [N,L]] */
  encoder: tf.LayersModel;
  /** latent [N,L] -> logits [N,H,W,C] (Bernoulli logits, or pre-sigmoid Gaussian means) */
  decoder: tf.LayersModel;
  /** ssvae only: z^Y [N,Ly] -> class logits [N,K] */
  classifier?: tf.LayersModel;
  /** ivae only: one-hot u [N,U] -> [mean [N,L], logVar [N,L]] of the conditional prior p(z|u) (a table per u) */
  prior?: tf.LayersModel;
  /** fair-vae with the adversary penalty: z^X means [N,Lx] -> logits of s [N,S] */
  adversary?: tf.LayersModel;
}

// Deterministic initialisers: the same seed gives the same run on the same backend.
function seeded(seed: number) {
  let next = seed * 1000;
  return () => tf.initializers.glorotUniform({ seed: next++ });
}

/**
 * PyTorch's default initialisation of Linear/Conv layers (kaiming_uniform with a = √5, i.e. U(±1/√fan_in)
 * for the kernel, and U(±1/√fan_in) for the bias), applied in place to every layer with a kernel.
 */
function torchReinit(model: tf.LayersModel, seed: number): void {
  let next = seed * 1000 + 500;
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const kernelShape = weights[0].shape as number[];
    const fanIn = kernelShape.slice(0, -1).reduce((a, d) => a * d, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const fresh = weights.map((w) => tf.randomUniform(w.shape as number[], -bound, bound, 'float32', next++));
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

/** How many stride-2 layers the conv architecture uses for this image size (at most one per filter entry). */
export function convDownsamples(config: ModelConfig): number {
  let size = config.imageSize;
  let n = 0;
  while (n < config.convFilters.length && size % 2 === 0 && size / 2 >= 2) {
    size /= 2;
    n++;
  }
  return n;
}

export function buildNetworks(config: ModelConfig): Networks {
  const init = seeded(config.seed);
  const { imageSize: s, channels: c, latent } = config;
  const pixels = s * s * c;

  // Encoder body
  const image = tf.input({ shape: [s, s, c], name: 'image' });
  // fair-vae: the private attribute s, one-hot (all zeros: unknown), beside the image's features and beside z
  const privateValues = config.objective === 'fair-vae' ? config.fair!.values : 0;
  const encPrivate = privateValues ? tf.input({ shape: [privateValues], name: 'private' }) : null;
  const withPrivate = (features: tf.SymbolicTensor, input: tf.SymbolicTensor | null, name: string) =>
    input ? (tf.layers.concatenate({ name }).apply([features, input]) as tf.SymbolicTensor) : features;
  let h: tf.SymbolicTensor;
  if (config.arch === 'mlp') {
    h = withPrivate(tf.layers.flatten({ name: 'enc_flatten' }).apply(image) as tf.SymbolicTensor, encPrivate, 'enc_private');
    config.hidden.forEach((units, i) => {
      h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `enc_dense_${i + 1}` }).apply(h) as tf.SymbolicTensor;
    });
  } else {
    h = image;
    const n = convDownsamples(config);
    for (let i = 0; i < n; i++) {
      h = tf.layers
        .conv2d({ filters: config.convFilters[i], kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(), name: `enc_conv_${i + 1}` })
        .apply(h) as tf.SymbolicTensor;
    }
    h = withPrivate(tf.layers.flatten({ name: 'enc_flatten' }).apply(h) as tf.SymbolicTensor, encPrivate, 'enc_private');
    h = tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(), name: 'enc_dense_1' }).apply(h) as tf.SymbolicTensor;
  }
  const mean = tf.layers.dense({ units: latent, kernelInitializer: init(), name: 'z_mean' }).apply(h) as tf.SymbolicTensor;
  const logVar = tf.layers.dense({ units: latent, kernelInitializer: init(), name: 'z_log_var' }).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: encPrivate ? [image, encPrivate] : image, outputs: [mean, logVar], name: 'encoder' });

  // Decoder mirrors the encoder
  const z = tf.input({ shape: [latent], name: 'z' });
  const decPrivate = privateValues ? tf.input({ shape: [privateValues], name: 'private' }) : null;
  let g: tf.SymbolicTensor = withPrivate(z, decPrivate, 'dec_private');
  if (config.arch === 'mlp') {
    [...config.hidden].reverse().forEach((units, i) => {
      g = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `dec_dense_${i + 1}` }).apply(g) as tf.SymbolicTensor;
    });
    g = tf.layers.dense({ units: pixels, kernelInitializer: init(), name: 'dec_logits' }).apply(g) as tf.SymbolicTensor;
    g = tf.layers.reshape({ targetShape: [s, s, c], name: 'dec_image' }).apply(g) as tf.SymbolicTensor;
  } else {
    const n = convDownsamples(config);
    const base = s / 2 ** n;
    const filters = config.convFilters.slice(0, n).reverse();
    g = tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(), name: 'dec_dense_1' }).apply(g) as tf.SymbolicTensor;
    g = tf.layers.dense({ units: base * base * filters[0], activation: 'relu', kernelInitializer: init(), name: 'dec_dense_2' }).apply(g) as tf.SymbolicTensor;
    g = tf.layers.reshape({ targetShape: [base, base, filters[0]], name: 'dec_reshape' }).apply(g) as tf.SymbolicTensor;
    for (let i = 0; i < n; i++) {
      const last = i === n - 1;
      g = tf.layers
        .conv2dTranspose({
          filters: last ? c : filters[i + 1],
          kernelSize: 4,
          strides: 2,
          padding: 'same',
          activation: last ? 'linear' : 'relu',
          kernelInitializer: init(),
          name: last ? 'dec_logits' : `dec_deconv_${i + 1}`,
        })
        .apply(g) as tf.SymbolicTensor;
    }
  }
  const decoder = tf.model({ inputs: decPrivate ? [z, decPrivate] : z, outputs: g, name: 'decoder' });

  let classifier: tf.LayersModel | undefined;
  if (hasClassPart(config)) {
    // A linear head: z^Y itself must carry the class, leaving z^X free for style.
    const zy = tf.input({ shape: [classDims(config)], name: 'z_class' });
    const logits = tf.layers.dense({ units: config.numClasses, kernelInitializer: init(), name: 'class_logits' }).apply(zy) as tf.SymbolicTensor;
    classifier = tf.model({ inputs: zy, outputs: logits, name: 'classifier' });
  }
  let prior: tf.LayersModel | undefined;
  if (config.objective === 'ivae') prior = buildConditionalPrior(config.auxValues ?? 2, latent);
  const adversary = config.objective === 'fair-vae' && config.fair!.penalty === 'adversary' ? buildAdversary(fairDims(config), privateValues, init) : undefined;
  if ((config.init ?? 'glorot') === 'torch') for (const m of [encoder, decoder]) torchReinit(m, config.seed);
  return { encoder, decoder, classifier, prior, adversary };
}

/**
 * The iVAE's conditional prior p(z|u) = N(μ_u, diag exp λ_u): two bias-free dense layers on one-hot u, i.e. a
 * learned table of means and log-variances per value of u. Zeros at the start: N(0, I) for every u.
 * An unknown u (one-hot of −1 is all zeros) keeps N(0, I).
 */
export function buildConditionalPrior(values: number, latent: number): tf.LayersModel {
  const u = tf.input({ shape: [values], name: 'u' });
  const mean = tf.layers.dense({ units: latent, useBias: false, kernelInitializer: 'zeros', name: 'prior_mean' }).apply(u) as tf.SymbolicTensor;
  const logVar = tf.layers.dense({ units: latent, useBias: false, kernelInitializer: 'zeros', name: 'prior_log_var' }).apply(u) as tf.SymbolicTensor;
  return tf.model({ inputs: u, outputs: [mean, logVar], name: 'prior' });
}

/**
 * The fair VAE's adversary: predicts s from z^X means through one hidden layer (64 ReLU units), so it can
 * find more than the linear probe the run is scored with.
 */
export function buildAdversary(dims: number, values: number, init: ReturnType<typeof seeded>): tf.LayersModel {
  const zx = tf.input({ shape: [dims], name: 'z_style' });
  const h = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(), name: 'adv_dense_1' }).apply(zx) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: values, kernelInitializer: init(), name: 'adv_logits' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: zx, outputs: logits, name: 'adversary' });
}
