// Benchmark of PPCA and factor analysis (issue 14) against scikit-learn on the same pixels: the bundled
// MNIST sample's 9,001 training and 999 test digits as grey levels in [0, 1], 10 factors. Ours: the
// closed form from the covariance's eigenpairs, and EM from there; scikit-learn: PCA.score (the PPCA
// log-likelihood) and FactorAnalysis (SVD-based ML) in tests/bench/linear-sklearn.py. Prints test
// log-likelihoods in nats per image (they should agree) and the times (they depend on the load, printed).
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { fitLinear } from '../../electron/engine/training/linear-fit.ts';
import { pixelsToFloats } from '../../models/pixels.ts';
import type { Dataset } from '../../electron/engine/datasets/types.ts';

const LATENT = Number(process.env.LATENT ?? 10);
const sample = loadSampleMnist();
const ds: Dataset = { ...sample, options: { ...sample.options, binarize: 'off' } };
const train: number[] = [];
const test: number[] = [];
for (let i = 0; i < ds.images.count; i++) (ds.images.split[i] === 1 ? test : train).push(i);
console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${train.length} train / ${test.length} test images, ${LATENT} factors`);

const ours: Record<string, { test: number; seconds: number; iterations: number }> = {};
for (const kind of ['ppca', 'fa'] as const) {
  const started = performance.now();
  const fit = fitLinear(kind, ds, train, test, LATENT);
  ours[kind] = { test: fit.testLogLikelihood!, seconds: (performance.now() - started) / 1000, iterations: fit.iterations };
  console.log(`ours ${kind}: test log p(x) ${fit.testLogLikelihood!.toFixed(2)} nats/image, train ${fit.trainLogLikelihood.toFixed(2)}, ${ours[kind].seconds.toFixed(1)} s${kind === 'fa' ? `, ${fit.iterations} EM iterations` : `, σ² ${fit.model.noiseVariance[0].toFixed(5)}`}`);
}

const dir = mkdtempSync(join(tmpdir(), 'le-linear-bench-'));
try {
  writeFileSync(join(dir, 'train.f32'), pixelsToFloats(ds.images.pixels, train, 28, 1, 'off'));
  writeFileSync(join(dir, 'test.f32'), pixelsToFloats(ds.images.pixels, test, 28, 1, 'off'));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ train: train.length, test: test.length, dim: 784, latent: LATENT, minVariance: 1e-4 }));
  const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'linear-sklearn.py'), dir], { encoding: 'utf8' });
  if (py.status !== 0) {
    console.log(`scikit-learn reference failed: ${py.stderr.trim().split('\n').pop()}`);
  } else {
    const ref = JSON.parse(py.stdout.trim().split('\n').pop()!);
    console.log(`scikit-learn PCA.score (PPCA): ${ref.ppca.toFixed(2)} nats/image (σ² ${ref.ppcaNoiseVariance.toFixed(5)}), ${ref.ppcaSeconds.toFixed(1)} s; ours − theirs ${(ours.ppca.test - ref.ppca).toFixed(3)}`);
    console.log(
      `scikit-learn FactorAnalysis: ${ref.fa.toFixed(2)} nats/image (noise variances down to 1e-12), ${ref.faFloored.toFixed(2)} with them raised to our floor 1e-4, ${ref.faSeconds.toFixed(1)} s; ours − theirs (floored) ${(ours.fa.test - ref.faFloored).toFixed(2)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
