import { linesOf } from './mutation-scope.mjs';

// The mutation-testing scope of issue 16, in groups that Stryker runs one at a time (stryker.config.mjs
// reads STRYKER_GROUP; scripts/mutation.mjs runs them and sums the scores). Paths with :a-b mutate only those lines;
// linesOf (scripts/mutation-scope.mjs) finds them from function names, so a scope follows its code.
export const GROUPS = {
  // the loss terms: KLs, likelihoods, reparameterisation, the β-TCVAE decomposition, the IWAE bound (not the
  // denoising autoencoder's corruption at the end of the file)
  losses: linesOf('models/losses.ts', {
    functions: [
      'sumAllButBatch',
      'bernoulliLogLikelihood',
      'gaussianLogLikelihood',
      'klToStdNormal',
      'klToGaussians',
      'logGaussianMixture',
      'logNormal',
      'reparameterize',
      'tcDecomposition',
      'iwaeFromLogWeights',
      'maskedCrossEntropy',
      'klToDiagGaussian',
    ],
  }),
  // the VAE, β-VAE, β-TCVAE and IWAE objectives of models/vae.ts, by name (scripts/mutation-scope.mjs), so the
  // scope follows the code as vae.ts changes: the likelihood, the standard-normal KL, lossTerms (its shared
  // part and the vae, beta-vae, beta-tcvae and iwae cases), evaluate, the IWAE bound and log p(z) — without what
  // only other models run (the linear models' and the denoising autoencoder's branches, the semi-supervised
  // model's labels, decoder input, mixture prior and bound over classes, the iVAE's conditional prior, the
  // fair VAE's case and its s repeated per sample)
  objectives: linesOf('models/vae.ts', {
    functions: [
      'logLikelihood',
      { name: 'klTerms', until: 'const s = this.config.style' },
      'lossTerms',
      'evaluate',
      'negIwae',
      { name: 'logPrior', until: 'const s = this.config.style' },
    ],
    switchOn: 'c.objective',
    cases: ['vae', 'ivae', 'iwae', 'beta-vae', 'beta-tcvae'],
    skip: [
      'if (linearDecoder(c))',
      'if (deterministicCodes(',
      'const lab =',
      'if (this.prototypeClass) {',
      'const klt =',
      'const terms =',
      "if (this.config.objective === 'ivae')",
      'const logP = this.logPrior(z, this.fair',
      // the fair VAE's private attribute s (its own tests train models)
      'const s = this.fair',
      'const auxRep =',
      '(tf.sum(tf.mul(tf.softmax(yLogits!)',
      // the fair VAE's s, one row per sample (s is undefined for every model in scope)
      's && m > 1 ?',
    ],
  }),
  codec: ['electron/contract/codec.ts'],
  // sameToken, hostHeaderAllowed, refusedFromBrowser and the upgrade refusal
  host: linesOf('electron/host/browser-host.ts', {
    functions: ['sameToken', 'hostHeaderAllowed', 'refusedFromBrowser', { name: 'startBrowserHost', from: "server.on('upgrade'", until: 'sockets.handleUpgrade(' }],
  }),
  // writeDirAtomic, resolveDir, writeFileAtomic; the engine's sync writes; export files and folders; checkpoints
  writes: [
    ...linesOf('models/io.ts', { functions: ['writeDirAtomic', 'resolveDir', 'writeFileAtomic'] }),
    'electron/engine/files.ts', 'electron/engine/exports/write.ts', 'electron/engine/training/checkpoint.ts'],
  // the t-SNE kernels: the gradient step and the exact repulsion; the input affinities (perplexity calibration, symmetrisation)
  'tsne-gradient': [
    ...linesOf('electron/engine/projections/repulsion.ts', { functions: ['repulsionExact'] }),
    ...linesOf('electron/engine/projections/tsne.ts', { functions: ['step'] }),
  ],
  'tsne-input': ['electron/engine/projections/affinities.ts'],
  // training on every core (issue 12): the thread count (default, LATENT_EXPLORER_THREADS, --threads), the route
  // (kernel threads or data-parallel workers), images per pass and the memory limit on workers; the threads'
  // Adam on flat arrays and their split of the parameters; shards and passes of a batch and their figures
  // combined; the shared counter's step start, shard count and checks (not lendUntilIn, which only waits)
  parallel: [
    'electron/engine/training/parallel/threads.ts',
    ...linesOf('models/parallel/adam.ts', { functions: ['trainableSegments', 'adamRange', 'parameterRange'] }),
    ...linesOf('models/parallel/shard.ts', { functions: ['combineStats', 'shardRows', 'planPasses', 'shardSize'] }),
    ...linesOf('electron/engine/training/parallel/meeting.ts', { functions: ['startStep', 'shard', 'allInAndWell', 'waitUntilIn'] }),
  ],
};
