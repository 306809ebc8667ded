// Fair VAE benchmark (issue 14): on the generated glyphs (10,000 images, 10 % test) with s = stroke weight
// (`thickness`, split at its training median), how predictable s is from z^X on the test images (probe AUC:
// logistic regression fitted on the training split's latent means; 0.5 = chance), and what it costs in ELBO.
// Runs, each through the training job as the app and CLI start it (MLP, 10-D, same seed and batches):
//   - fair-vae with the MMD penalty, with its plain VAE reference trained beside it (the reference figures);
//   - fair-vae with the adversary penalty (trained in alternation);
//   - fair-vae with weight 0: the conditional VAE alone, the ELBO a penalty is measured against;
//   - (RUNS=ss) the semi-supervised variant: 5 dimensions of z^X, a class part, 500 labels.
// Target: fair AUC ≤ 0.6 where the plain VAE gives ≥ 0.85. Env: COUNT (10000), EPOCHS (20), LATENT (10),
// PRIVATE (thickness), RUNS (mmd,adversary,none), MMD_WEIGHT, ADV_WEIGHT (the defaults unless given), REFERENCE
// (0: no plain VAE beside the MMD run).
// Times depend on the machine's load (printed before and after).
import * as tf from '@tensorflow/tfjs';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../electron/engine/backend.ts';
import { startTraining, type TrainSettings } from '../../electron/engine/training/job.ts';
import { FAIR_DEFAULTS } from '../../electron/engine/training/settings.ts';
import { glyphDataset } from '../unit/helpers/glyph-dataset.ts';

const COUNT = Number(process.env.COUNT ?? 10_000);
const EPOCHS = Number(process.env.EPOCHS ?? 20);
const LATENT = Number(process.env.LATENT ?? 10);
const PRIVATE = process.env.PRIVATE ?? 'thickness';
const RUNS = (process.env.RUNS ?? 'mmd,adversary,none').split(',');
const load = () => loadavg().map((v) => v.toFixed(1)).join(' ');

await initBackend();
const ds = glyphDataset(COUNT, 1);
console.log(`load average ${load()}; glyphs ${COUNT} (${ds.summary.test} test), s = ${PRIVATE}, MLP ${LATENT}-D, ${EPOCHS} epochs, backend ${tf.getBackend()}`);

const base: TrainSettings = { model: 'fair-vae', arch: 'mlp', latent: LATENT, epochs: EPOCHS, batchSize: 128, lr: 1e-3, seed: 1, threads: 1, private: PRIVATE };
const runs: Record<string, Partial<TrainSettings>> = {
  mmd: { fairPenalty: 'mmd', fairWeight: Number(process.env.MMD_WEIGHT ?? FAIR_DEFAULTS.weight.mmd), ...(process.env.REFERENCE === '0' ? { fairReference: false } : {}) },
  adversary: { fairPenalty: 'adversary', fairWeight: Number(process.env.ADV_WEIGHT ?? FAIR_DEFAULTS.weight.adversary), fairReference: false },
  none: { fairPenalty: 'mmd', fairWeight: 0, fairReference: false },
  // the semi-supervised variant: 5 of the 10 dimensions are z^X (the probe reads them), 500 labels of the 5 shapes
  ss: { fairPenalty: 'mmd', fairWeight: Number(process.env.MMD_WEIGHT ?? FAIR_DEFAULTS.weight.mmd), style: 5, labels: 500, fairReference: false },
};
const root = mkdtempSync(join(tmpdir(), 'le-bench-fair-'));
try {
  for (const name of RUNS) {
    const settings = { ...base, ...runs[name] };
    const started = performance.now();
    const job = startTraining(ds, settings, join(root, name));
    const summary = await job.done;
    const p = summary.privacy!;
    const seconds = (performance.now() - started) / 1000;
    const ref = p.referenceAuc !== undefined ? `; plain VAE: AUC ${p.referenceAuc?.toFixed(3)}, test −ELBO ${p.referenceTestLoss?.toFixed(2)} (of p(x))` : '';
    console.log(
      `${name.padEnd(10)} weight ${String(settings.fairWeight).padEnd(5)} probe AUC of ${PRIVATE} ${p.auc?.toFixed(3)} (${p.dims} dims), test −ELBO ${summary.testLoss?.toFixed(2)} nats/image (of p(x|s))${summary.testAccuracy !== undefined ? `, class head ${(100 * summary.testAccuracy).toFixed(1)}%` : ''}${ref}; ${seconds.toFixed(0)} s, load ${load()}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
