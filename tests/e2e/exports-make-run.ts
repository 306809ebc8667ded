// Trains a small run for the exports end-to-end test: `node --import tsx tests/e2e/exports-make-run.ts <runDir> [model] [latent]`.
// A beta-VAE on the bundled sample for two epochs (about 10 s on the wasm backend): clear digits in the GIFs.
import { useWasm } from '../unit/helpers/tf.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { startTraining } from '../../electron/engine/training/job.ts';

const [runDir, model = 'beta-vae', latent = '6'] = process.argv.slice(2);
if (!runDir) throw new Error('usage: exports-make-run.ts <runDir> [model] [latent]');
await useWasm();
const summary = await startTraining(
  loadSampleMnist(),
  { model: model as 'beta-vae', arch: 'mlp', latent: Number(latent), style: 2, beta: 2, epochs: 2, batchSize: 100, lr: 2e-3, seed: 3 },
  runDir,
).done;
console.log(JSON.stringify(summary));
