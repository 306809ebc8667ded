// Mutation testing of the core (issue 16): `npm run test:mutation`. Stryker changes one thing at a time in
// the files below (a + for a -, a condition dropped, a boundary moved) and reruns the unit tests that cover
// that line; a mutant no test notices "survives". Scope: the loss terms and the VAE objectives, the frame
// codec, the browser host's token and origin checks, the atomic write and checkpoint helpers and the t-SNE
// kernels. Long (tens of minutes on 2 cores), so not part of `npm test`; the figure is in the README.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  mutate: [
    'models/losses.ts',
    // lossTerms (VAE, β-VAE, β-TCVAE), evaluate and the IWAE bound
    'models/vae.ts:183-220',
    'models/vae.ts:289-335',
    // writeDirAtomic, resolveDir, writeFileAtomic
    'models/io.ts:87-122',
    'electron/contract/codec.ts',
    // sameToken, hostHeaderAllowed and the upgrade refusal
    'electron/host/browser-host.ts:50-55',
    'electron/host/browser-host.ts:89-94',
    'electron/host/browser-host.ts:156-167',
    'electron/engine/files.ts',
    'electron/engine/exports/write.ts:34-59',
    'electron/engine/training/checkpoint.ts',
    // the t-SNE input kernel: perplexity calibration and symmetrisation
    'electron/engine/projections/affinities.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared with other work.
  concurrency: 2,
  ignoreStatic: true,
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Reruns only mutants whose code or tests changed since the last run.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
