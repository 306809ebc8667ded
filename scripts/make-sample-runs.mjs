#!/usr/bin/env node
// Trains the ready-made runs shipped in resources/runs/ through the CLI, so a new user explores at once:
//   mnist-vae-2d        the lectures' VAE, 2-D latent (manifold grid), snapshots after epochs 1 and 5
//   mnist-beta-vae-10d  β-VAE (β = 4), 10-D latent (traversals, t-SNE)
//   mnist-ssvae         semi-supervised style/class split: 16 style dims + 10 class dims, 1,000 labels
// Usage: node scripts/make-sample-runs.mjs [name…] [--epochs N] [--trained DIR]   (default: all, 30 epochs each)
// --trained DIR adopts a run already trained into DIR with this script's arguments for that name (one name):
// training is deterministic for a seed on one backend, so it is the run this script would train.
// Each run is trained into a temporary folder, trimmed (no checkpoint: the shipped runs are for exploring,
// not resuming; only a few snapshots) and moved into place. Prints -ELBO, accuracy and minutes per run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'latent-explorer.mjs');
const outDir = join(root, 'resources', 'runs');

const args = process.argv.slice(2);
const epochsFlag = args.indexOf('--epochs');
const epochs = epochsFlag >= 0 ? Number(args[epochsFlag + 1]) : 30;
const trainedFlag = args.indexOf('--trained');
const trained = trainedFlag >= 0 ? resolve(args[trainedFlag + 1]) : null;
const names = args.filter((a, i) => !a.startsWith('--') && (epochsFlag < 0 || i !== epochsFlag + 1) && (trainedFlag < 0 || i !== trainedFlag + 1));

const RUNS = [
  { name: 'mnist-vae-2d', args: ['--model', 'vae', '--latent', '2'], keepSnapshots: [1, 5] },
  { name: 'mnist-beta-vae-10d', args: ['--model', 'beta-vae', '--latent', '10', '--beta', '4'], keepSnapshots: [] },
  { name: 'mnist-ssvae', args: ['--model', 'ssvae', '--latent', '26', '--style', '16', '--labels', '1000'], keepSnapshots: [] },
];

function sizeOf(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((a, f) => a + sizeOf(join(path, f)), 0);
}

const selected = RUNS.filter((r) => names.length === 0 || names.includes(r.name));
if (selected.length === 0) {
  console.error(`make-sample-runs: no run named ${names.join(', ')} (have ${RUNS.map((r) => r.name).join(', ')})`);
  process.exit(2);
}

for (const run of selected) {
  const work = mkdtempSync(join(tmpdir(), `le-${run.name}-`));
  const runDir = join(work, run.name);
  const started = Date.now();
  console.log(`\n${run.name}: training ${epochs} epochs on sample:mnist…`);
  let minutes;
  if (trained) {
    if (selected.length !== 1) {
      console.error('make-sample-runs: --trained DIR goes with exactly one run name');
      process.exit(2);
    }
    const previous = JSON.parse(readFileSync(join(trained, 'run.json'), 'utf8'));
    spawnSync('cp', ['-r', trained, runDir]);
    minutes = (previous.history.at(-1)?.seconds ?? 0) / 60; // seconds are cumulative
  } else {
    const train = spawnSync(process.execPath, [cli, 'train', 'sample:mnist', ...run.args, '--epochs', String(epochs), '--seed', '1', '--out', runDir], { stdio: 'inherit' });
    if (train.status !== 0) {
      console.error(`make-sample-runs: training ${run.name} failed (exit ${train.status})`);
      process.exit(1);
    }
    minutes = (Date.now() - started) / 60000;
  }

  // Trim: no checkpoint, only the chosen snapshots.
  rmSync(join(runDir, 'checkpoint'), { recursive: true, force: true });
  const runJsonPath = join(runDir, 'run.json');
  const runJson = JSON.parse(readFileSync(runJsonPath, 'utf8'));
  for (const epoch of runJson.snapshots) {
    if (!run.keepSnapshots.includes(epoch)) rmSync(join(runDir, 'snapshots', `epoch-${String(epoch).padStart(4, '0')}`), { recursive: true, force: true });
  }
  runJson.snapshots = runJson.snapshots.filter((e) => run.keepSnapshots.includes(e));
  if (runJson.snapshots.length === 0) rmSync(join(runDir, 'snapshots'), { recursive: true, force: true });
  runJson.sample = { madeBy: 'scripts/make-sample-runs.mjs', minutes: Math.round(minutes * 10) / 10 };
  writeFileSync(runJsonPath, JSON.stringify(runJson, null, 2));

  const evaluation = spawnSync(process.execPath, [cli, 'eval', runDir, '--iwae', '50', '--json'], { encoding: 'utf8' });
  if (evaluation.status !== 0) {
    console.error(`make-sample-runs: eval of ${run.name} failed: ${evaluation.stderr}`);
    process.exit(1);
  }
  const report = JSON.parse(evaluation.stdout.trim().split('\n').pop());

  const target = join(outDir, run.name);
  rmSync(target, { recursive: true, force: true });
  if (!existsSync(outDir)) spawnSync('mkdir', ['-p', outDir]);
  renameSync(runDir, target);
  rmSync(work, { recursive: true, force: true });
  const weights = ['encoder', 'decoder'].map((n) => `${n} ${(sizeOf(join(target, n)) / 1e6).toFixed(2)} MB`).join(', ');
  console.log(
    `${run.name}: ${epochs} epochs in ${minutes.toFixed(1)} min; test −ELBO ${report.negElbo.toFixed(2)} nats/image, −IWAE-50 ${report.negIwae.toFixed(2)}` +
      `${report.accuracy !== undefined ? `, class accuracy ${(100 * report.accuracy).toFixed(1)}%` : ''}; active units ${report.activeUnits}/${report.klPerDim.length}; ${weights}; folder ${(sizeOf(target) / 1e6).toFixed(1)} MB`,
  );
}
