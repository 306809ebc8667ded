// The fast unit tests that cover the mutated core files (stryker.config.mjs): the mutation run reruns
// the covering tests for every mutant, so slow end-to-end and training tests stay out.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/unit/models-losses.test.ts',
      'tests/unit/models-objectives.test.ts',
      'tests/unit/contract.test.ts',
      'tests/unit/codec-properties.test.ts',
      'tests/unit/codec-bounds.test.ts',
      'tests/unit/browser-host.test.ts',
      'tests/unit/atomic-writes.test.ts',
      'tests/unit/hardening-files.test.ts',
      'tests/unit/export-write-links.test.ts',
      'tests/unit/tsne-affinities.test.ts',
      'tests/unit/tsne-parts.test.ts',
      'tests/unit/tsne-step.test.ts',
      'tests/unit/training-parallel.test.ts',
    ],
    // Left out: two slow tests that train models (their code is covered by models-objectives.test.ts's fast
    // ones), the engine-restart test (it waits for a killed process), the PCA tests (no mutated code), the
    // tree-repulsion tests (they take minutes under instrumentation; the exact repulsion they compare
    // against is checked by tsne-step.test.ts against finite differences of the t-SNE objective) and
    // tsne-parts' calibration and P tests on 1,000 digits (each run computes a kNN; tsne-affinities.test.ts
    // checks the same on inputs worked out by hand, in milliseconds). Of training-parallel, only the tests of
    // the thread choice, the flat Adam, the plans, the shards' figures and the meeting counter: the others
    // train models on worker or kernel threads (seconds to minutes each) and would rerun for every mutant of
    // the code a step runs through.
    testNamePattern:
      /^(?!.*(IWAE bound on a model|restarts a killed engine|tree repulsion|PCA|perplexity calibration (gives|calibrates|symmetrises)|two threads take the same steps|the Adam state moves between thread counts|reads the model's weights again|a batch computed in passes|the semi-supervised model \(labels|native kernel threads take|threads whose shard is done|workers that cannot start|a step whose worker shard fails|a training job on two threads|a job asked for more kernel threads|a job on a big folder)).*$/,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
