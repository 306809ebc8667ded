// Small trained runs for the export tests: an MLP VAE and a semi-supervised run, each trained for one
// epoch on a slice of the bundled MNIST sample (a few seconds on the wasm backend).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../../electron/engine/datasets/types.ts';
import type { TrainSettings } from '../../electron/engine/training/job.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { mnistSlice } from './helpers/sample.ts';

export { mnistSlice };


export interface FixtureRuns {
  root: string;
  dataset: Dataset;
  vae: string;
  ssvae: string;
  cleanup(): void;
}

export async function trainFixtureRuns(count = 1500): Promise<FixtureRuns> {
  const root = mkdtempSync(join(tmpdir(), 'le-exports-'));
  const dataset = mnistSlice(count);
  const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 4, epochs: 1, batchSize: 100, lr: 2e-3, seed: 5, hidden: [128, 32] };
  const vae = join(root, 'vae-run');
  const ssvae = join(root, 'ssvae-run');
  await startTraining(dataset, base, vae).done;
  await startTraining(dataset, { ...base, model: 'ssvae', latent: 6, style: 2 }, ssvae).done;
  return { root, dataset, vae, ssvae, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
