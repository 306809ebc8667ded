// The mutation-testing scope of issue 16, in groups that Stryker runs one at a time (stryker.config.mjs
// reads STRYKER_GROUP; scripts/mutation.mjs runs them and sums the scores). Paths with :a-b mutate only those lines.
export const GROUPS = {
  // the loss terms: KLs, likelihoods, reparameterisation, the β-TCVAE decomposition, the IWAE bound
  losses: ['models/losses.ts'],
  // the VAE, β-VAE and β-TCVAE objectives: the likelihood, lossTerms, evaluate, the IWAE bound and log p(z), without
  // the lines only the semi-supervised model runs (its decoder input, M2's bound over classes, the mixture prior)
  objectives: ['models/vae.ts:225-229', 'models/vae.ts:241-246', 'models/vae.ts:257-286', 'models/vae.ts:418-430', 'models/vae.ts:432-463', 'models/vae.ts:473-486'],
  codec: ['electron/contract/codec.ts'],
  // sameToken, hostHeaderAllowed, refusedFromBrowser and the upgrade refusal
  host: ['electron/host/browser-host.ts:50-55', 'electron/host/browser-host.ts:89-106', 'electron/host/browser-host.ts:140-151'],
  // writeDirAtomic, resolveDir, writeFileAtomic; the engine's sync writes; export files and folders; checkpoints
  writes: ['models/io.ts:100-140', 'electron/engine/files.ts', 'electron/engine/exports/write.ts', 'electron/engine/training/checkpoint.ts'],
  // the t-SNE kernels: the gradient step and the exact repulsion; the input affinities (perplexity calibration, symmetrisation)
  'tsne-gradient': ['electron/engine/projections/repulsion.ts:27-66', 'electron/engine/projections/tsne.ts:202-282'],
  'tsne-input': ['electron/engine/projections/affinities.ts'],
};
