import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // Training and t-SNE tests are CPU-bound on a 2-core machine: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    // Training tests run on one thread unless they ask for more (settings.threads): the data-parallel
    // path has its own tests (training-parallel), and worker start-up would shift timing-based ones.
    env: { LATENT_EXPLORER_THREADS: '1' },
    hookTimeout: 120_000,
  },
});
