// What each model kind is called in the views, and what Compare's columns hold for the models whose test
// loss is not an ELBO (the same sentences as `latent-explorer compare`). One place, so the Explorer and
// Compare name a run the same way.

export const MODEL_NAMES: Record<string, string> = {
  vae: 'VAE',
  'beta-vae': 'β-VAE',
  'beta-tcvae': 'β-TCVAE',
  ssvae: 'semi-supervised',
  iwae: 'IWAE',
  dae: 'denoising autoencoder',
  ivae: 'iVAE',
  ppca: 'probabilistic PCA',
  fa: 'factor analysis',
  'fair-vae': 'fair VAE',
};

export const modelName = (objective: string | undefined): string => MODEL_NAMES[objective ?? ''] ?? objective ?? '?';

/** Compare: what the −ELBO, AU and switch-on figures mean for a model where they are not the usual ones. */
export const COMPARE_NOTES: Record<string, string> = {
  ppca: 'the −ELBO column is the exact −log p(x) (the posterior is exact, so −ELBO = −IWAE = −log p(x))',
  fa: 'the −ELBO column is the exact −log p(x) (the posterior is exact, so −ELBO = −IWAE = −log p(x))',
  dae: 'the −ELBO column is the reconstruction loss of clean images; its codes are points, so there is no ELBO, IWAE bound or KL (AU 0 and no switch-on epochs say nothing about it)',
  ivae: 'the −ELBO column is taken under the prior p(z|u) of each image’s u',
  iwae: 'trained on the importance-weighted bound; −ELBO and −IWAE are measured as for any VAE',
  'fair-vae': 'the −ELBO column is of p(x | s), the image given its private attribute; s AUC is how well a probe reads s from z^X (0.5 = chance), beside the plain VAE trained with it',
};
