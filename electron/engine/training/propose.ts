// Training settings proposed from the data, each with a one-line reason (shown beside the setting in
// Train, printed by `train --json`). The user can change every one of them.
// Rules: small grey images keep the lectures' MLP and 2-D code; 32 px and up, or colour, get the
// convolutional model and a code that grows with the values per image; Bernoulli only for binarised
// pixels; convolutional models train for a time budget instead of a guessed number of epochs.
import type { DataShape, ModelKind, TrainProposal } from '../../contract/training.ts';

/** The lectures' code sizes for small grey images, per model. */
export const LECTURE_LATENT: Record<ModelKind, number> = { vae: 2, 'beta-vae': 10, 'beta-tcvae': 10, ssvae: 26, iwae: 2, dae: 2, ivae: 10, ppca: 10, fa: 10, 'fair-vae': 10 };
/** Style dimensions of the semi-supervised model on small grey images (its class part adds one per class). */
export const LECTURE_STYLE = 16;
export const DEFAULT_EPOCHS = 10;

const fmt = (n: number) => n.toLocaleString('en');

export function proposeSettings(data: DataShape, model: ModelKind = 'vae'): TrainProposal {
  const { size, channels } = data;
  const values = size * size * channels;
  const picture = `${size}×${size}${channels === 3 ? ' RGB' : ' grey'}`;
  const lectureSized = channels === 1 && size <= 28;

  let arch: 'mlp' | 'conv';
  let archReason: string;
  if (lectureSized) {
    arch = 'mlp';
    archReason = `MLP, as in the lectures: ${picture} images are small enough for fully connected layers.`;
  } else if (size % 4 !== 0) {
    arch = 'mlp';
    archReason = `MLP: the convolutional model needs a size divisible by 4 (these are ${size} px); re-import at ${Math.round(size / 4) * 4} px to use it.`;
  } else {
    arch = 'conv';
    archReason = `Convolutional: ${channels === 3 ? 'colour images' : `${size} px images`} (${picture}); convolutions share weights across the image, where an MLP would treat ${fmt(values)} inputs as unrelated.`;
  }

  // Code size: the lectures' for small grey images; else about sqrt(values)/4, a power of two in 8..64.
  let latent: number;
  let style: number | undefined;
  let latentReason: string;
  if (lectureSized && model === 'ssvae') {
    style = LECTURE_STYLE;
    latent = style + Math.max(2, data.classes);
    latentReason = `${latent}-D: ${style} style dimensions plus one per class.`;
  } else if (lectureSized) {
    latent = LECTURE_LATENT[model];
    latentReason =
      model === 'vae'
        ? '2-D, as in the lectures: the manifold view then shows the whole code; 10 or more reconstructs more sharply.'
        : `${latent}-D, as in the lectures: room for β to spread the factors over separate dimensions.`;
  } else {
    const rule = Math.min(64, Math.max(8, 2 ** Math.round(Math.log2(Math.sqrt(values) / 4))));
    if (model === 'ssvae') {
      style = Math.max(4, rule / 2);
      latent = style + Math.max(2, data.classes);
      latentReason = `${latent}-D: ${style} style dimensions for ${fmt(values)} values per image (${picture}), plus one per class.`;
    } else {
      latent = rule;
      latentReason = `${latent}-D: ${fmt(values)} values per image (${picture}) need a larger code than digits' 2-D; a smaller one blurs them.`;
    }
  }

  const linear = model === 'ppca' || model === 'fa';
  const likelihood = data.binarized && !linear ? 'bernoulli' : 'gaussian';
  const likelihoodReason = linear
    ? `Gaussian: ${model === 'ppca' ? 'probabilistic PCA' : 'factor analysis'} is a linear Gaussian model; its log-likelihood is a density in nats.`
    : data.binarized
    ? 'Bernoulli: the pixels are binarised to 0 or 1 on import.'
    : `Gaussian: ${channels === 3 ? 'colour values' : 'grey levels'} are continuous (not binarised on import); its −ELBO is a density and can be negative.`;

  let minutes: number | undefined;
  let durationReason: string;
  if (linear) {
    durationReason = model === 'ppca' ? 'One pass: PPCA has a closed form (the covariance and its eigenvectors).' : 'EM from the PPCA solution until the likelihood stops rising (at most 200 iterations).';
  } else if (arch === 'mlp') {
    durationReason = `${DEFAULT_EPOCHS} epochs of ${fmt(data.train)} training images: seconds each for an MLP here.`;
  } else {
    minutes = Math.min(30, Math.max(1, Math.ceil(data.train / 1000)));
    durationReason = `Train for ${minutes} min (about a minute per 1,000 training images for a convolutional model here); the epochs are estimated from the first batches.`;
  }

  return {
    settings: { model, arch: linear ? 'mlp' : arch, latent, ...(style !== undefined ? { style } : {}), likelihood, epochs: linear ? 1 : DEFAULT_EPOCHS, ...(minutes !== undefined ? { minutes } : {}), batchSize: 128, lr: 1e-3 },
    reasons: { arch: archReason, latent: latentReason, likelihood: likelihoodReason, duration: durationReason, batch: 'Batch 128, Adam at 0.001: the lectures\' settings.' },
  };
}

/** Whole epochs that fit in `budgetSec` at `secondsPerEpoch` (at least `atLeast`, and at least 1). */
export function epochsForBudget(budgetSec: number, secondsPerEpoch: number, atLeast = 1): number {
  if (!(secondsPerEpoch > 0) || !Number.isFinite(budgetSec)) return Math.max(1, atLeast);
  return Math.max(1, atLeast, Math.floor(budgetSec / secondsPerEpoch));
}
