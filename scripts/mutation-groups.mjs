// The mutation-testing scope of issue 16, in groups that Stryker runs one at a time (stryker.config.mjs
// reads STRYKER_GROUP; scripts/mutation.mjs runs them and sums the scores). Paths with :a-b mutate only those lines.
export const GROUPS = {
  // the loss terms: KLs, likelihoods, reparameterisation, the β-TCVAE decomposition, the IWAE bound (not the
  // denoising autoencoder's corruption at the end of the file)
  losses: ['models/losses.ts:1-123'],
  // the VAE, β-VAE and β-TCVAE objectives: the likelihood, lossTerms, evaluate, the IWAE bound and log p(z), without
  // the lines only other models run (the semi-supervised decoder input and M2's bound over classes, the mixture
  // and iVAE priors, the IWAE training objective, the denoising autoencoder)
  objectives: [
    'models/vae.ts:234-238',
    'models/vae.ts:275-278',
    'models/vae.ts:288-290',
    'models/vae.ts:295-304',
    'models/vae.ts:318-335',
    'models/vae.ts:480-482',
    'models/vae.ts:487-493',
    'models/vae.ts:495-506',
    'models/vae.ts:514-527',
    'models/vae.ts:537-538',
    'models/vae.ts:540-546',
    'models/vae.ts:551-551',
  ],
  codec: ['electron/contract/codec.ts'],
  // sameToken, hostHeaderAllowed, refusedFromBrowser and the upgrade refusal
  host: ['electron/host/browser-host.ts:50-55', 'electron/host/browser-host.ts:89-106', 'electron/host/browser-host.ts:140-151'],
  // writeDirAtomic, resolveDir, writeFileAtomic; the engine's sync writes; export files and folders; checkpoints
  writes: ['models/io.ts:100-140', 'electron/engine/files.ts', 'electron/engine/exports/write.ts', 'electron/engine/training/checkpoint.ts'],
  // the t-SNE kernels: the gradient step and the exact repulsion; the input affinities (perplexity calibration, symmetrisation)
  'tsne-gradient': ['electron/engine/projections/repulsion.ts:27-66', 'electron/engine/projections/tsne.ts:236-316'],
  'tsne-input': ['electron/engine/projections/affinities.ts'],
};
