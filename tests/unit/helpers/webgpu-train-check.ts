// A whole run through the engine on the backend the ladder picks, in a process of its own
// (webgpu-ops.test.ts starts it with SwiftShader's variables, and again on wasm for the reference): the
// training job with its epochs, test −ELBO, live reconstructions and files; the run opened as the views
// open it (encode, decode, reconstruct, classify); and the evaluation with its IWAE bound. On WebGPU in
// Node results can only be read back asynchronously, so this fails wherever the engine reads one
// synchronously. Prints one JSON line (see Report).
//   LATENT_EXPLORER_BACKEND=webgpu node --import tsx tests/unit/helpers/webgpu-train-check.ts
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../electron/engine/backend.ts';
import { evaluateRun } from '../../../electron/engine/training/evaluate.ts';
import { startTraining, type TrainSettings } from '../../../electron/engine/training/job.ts';
import { loadRun, readRunFile } from '../../../electron/engine/training/run-file.ts';
import { mnistSlice } from './sample.ts';

export interface RunReport {
  model: string;
  /** The backend run.json records. */
  recorded: string;
  testLoss: number[];
  reconstructions: number;
  decoded: number;
  /** reconstruct(x) equals decode(encode(x).means), byte for byte */
  reconstructMatches: boolean;
  classes?: number;
  evalNegElbo: number;
  evalNegIwae?: number;
  accuracy?: number;
  /** tensors left after the run was trained, opened, evaluated and closed */
  leaked: number;
}
export type Report = { ok: true; backend: string; label: string; runs: RunReport[] } | { ok: false; reason: string };

const info = await initBackend();
const wanted = process.env.LATENT_EXPLORER_BACKEND;
if (wanted && info.backend !== wanted) {
  console.log(JSON.stringify({ ok: false, reason: info.attempts.find((a) => a.name === wanted)?.reason ?? `the ladder took ${info.backend}` } satisfies Report));
  process.exit(0);
}

const ds = mnistSlice(600);
const runs: [string, TrainSettings][] = [
  ['MLP VAE', { model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 64, lr: 2e-3, seed: 3, hidden: [64, 16] }],
  // the semi-supervised model's leakage probe, style-axis alignment and class head, read as the views read them
  ['semi-supervised', { model: 'ssvae', arch: 'mlp', latent: 6, style: 2, labels: 100, epochs: 2, batchSize: 64, lr: 2e-3, seed: 3, hidden: [64, 16], classCode: 'prototype', leakageWeight: 1 }],
];
const reports: RunReport[] = [];
const root = mkdtempSync(join(tmpdir(), 'le-webgpu-'));
try {
  for (const [name, settings] of runs) {
    const before = tf.memory().numTensors;
    const runDir = join(root, name.replace(/\W+/g, '-'));
    const testLoss: number[] = [];
    let reconstructions = 0;
    await startTraining(ds, settings, runDir, { onEpoch: (e) => testLoss.push(e.testLoss), onReconstructions: () => reconstructions++ }).done;
    const run = await loadRun(runDir);
    const pixels = ds.images.pixels.subarray(0, 4 * 784);
    const { means } = await run.encode(pixels, 4);
    const decoded = await run.decode(means, 4);
    const reconstructed = await run.reconstruct(pixels, 4);
    const classes = settings.model === 'ssvae' ? (await run.classify(pixels, 4)).length : undefined;
    const report = await evaluateRun(run, ds, { iwae: 5 });
    run.dispose();
    reports.push({
      model: name,
      recorded: readRunFile(runDir).versions.backend,
      testLoss,
      reconstructions,
      decoded: decoded.length,
      // the prototype code decodes through the class mean, not the encoded z^Y: compared for the plain VAE only
      reconstructMatches: settings.model === 'ssvae' || reconstructed.every((v, i) => v === decoded[i]),
      classes,
      evalNegElbo: report.negElbo,
      evalNegIwae: report.negIwae,
      accuracy: report.accuracy,
      leaked: tf.memory().numTensors - before,
    });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: true, backend: info.backend, label: info.label, runs: reports } satisfies Report));
process.exit(0);
