// latent-explorer train <folder|sample:mnist> --model ... --out DIR: trains a model of the VAE family
// with live progress; Ctrl-C stops after the current step and leaves a resumable checkpoint.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { choiceOption, EXIT_CANCELLED, intOption, numberOption, onePositional, parseCommand, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { PREPROCESS_FLAGS, preprocessOptions } from '../preprocess-options.ts';
import { initBackend } from '../../engine/backend.ts';
import { openDataset } from '../../engine/datasets/open.ts';
import { SAMPLE_MNIST } from '../../engine/datasets/types.ts';
import { startTraining } from '../../engine/training/job.ts';
import type { EpochReport, TrainProgress } from '../../engine/training/job.ts';
import type { ModelKind, TrainSettings } from '../../engine/training/settings.ts';
import { LIMITS, MODEL_KINDS } from '../../engine/training/settings.ts';
import { readRunFile, runJsonPath } from '../../engine/training/run-file.ts';
import { hasCheckpoint } from '../../engine/training/checkpoint.ts';
import { checkRunLock } from '../../engine/training/run-lock.ts';

const USAGE = `Usage: latent-explorer train <folder|sample:mnist> --model vae|beta-vae|beta-tcvae|ssvae --out DIR [options]
  --model M        vae: the lectures' VAE; beta-vae: KL weighted by beta; beta-tcvae: total correlation
                   weighted by beta; ssvae: semi-supervised style/class split
  --arch mlp|conv  MLP (784-256-64, default) or convolutional (for 32 px and up, or RGB)
  --latent N       latent dimensions (default: 2 for vae, 10 for beta-vae/beta-tcvae, 26 for ssvae)
  --style N        ssvae: style dimensions z^X; the rest are the class part z^Y (default: 16 for ssvae)
  --beta B         beta-vae: KL weight (default 4); beta-tcvae: total-correlation weight (default 6)
  --labels K       ssvae: keep only K training labels, balanced per class
  --leakage-weight W   ssvae: weight of the class-leakage penalty on decoded style sweeps
  --style-tc W     ssvae: extra weight on the total correlation of the style dimensions
  --class-code sample|prototype   ssvae: what the decoder sees of the class part (default prototype)
  --epochs E       (default 10)    --batch B   (default 128)    --lr L   (default 0.001)
  --seed S         seed of initialisation, shuffling and sampling (default 1)
  --samples M      reparameterisation samples per image (default 1)
  --threads T      threads that compute each step (default: LATENT_EXPLORER_THREADS, else the core count);
                   a seed and thread count repeat a run exactly
  --size N, --channels 1|3, --binarize off|T|dynamic, --test-split S   preprocessing of a folder
  --out DIR        the run folder to create
  --resume         continue the run in --out from its last checkpoint (--epochs and --lr may change)
  --json           progress, epoch and summary as JSON lines`;

const DEFAULT_LATENT: Record<ModelKind, number> = { vae: 2, 'beta-vae': 10, 'beta-tcvae': 10, ssvae: 26 };

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      model: { type: 'string' },
      arch: { type: 'string' },
      latent: { type: 'string' },
      style: { type: 'string' },
      beta: { type: 'string' },
      labels: { type: 'string' },
      'leakage-weight': { type: 'string' },
      'class-code': { type: 'string' },
      'style-tc': { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      samples: { type: 'string' },
      threads: { type: 'string' },
      ...PREPROCESS_FLAGS,
      out: { type: 'string' },
      resume: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const folder = onePositional(positionals, 'train', 'folder', 'a folder (or sample:mnist)');
  if (!values.out) throw new UsageError('train needs --out DIR, the run folder to create');
  const runDir = resolve(values.out);
  const ref = folder === SAMPLE_MNIST ? SAMPLE_MNIST : resolve(folder);
  const resume = values.resume;

  const hasRun = existsSync(runJsonPath(runDir));
  if (!resume && hasRun) throw new UsageError(`${runDir} already holds a run; add --resume to continue it, or choose another --out`);
  if (!resume && existsSync(runDir) && readdirSync(runDir).length > 0) throw new UsageError(`${runDir} exists and is not empty; choose a new --out folder`);
  // Resuming needs a checkpoint (checkpoint.old counts, as the loader takes it); without one, refuse
  // rather than train from scratch over the run's model.
  if (resume && !hasCheckpoint(runDir)) throw new UsageError(`${runDir}: has no checkpoint to resume from (no checkpoint/ folder); train a new run with another --out`);
  if (resume) {
    try {
      checkRunLock(runDir); // an engine job (or another CLI) trains it now: name that process
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const saved = resume && hasRun ? readRunFile(runDir) : null;

  // Settings: flags, else the resumed run's, else defaults.
  const model = (values.model ?? saved?.settings.model) as ModelKind | undefined;
  if (!model) throw new UsageError(`train needs --model (${MODEL_KINDS.join(', ')})`);
  if (!MODEL_KINDS.includes(model)) throw new UsageError(`--model must be one of ${MODEL_KINDS.join(', ')} (got '${model}')`);
  const arch: TrainSettings['arch'] = choiceOption(values, 'arch', ['mlp', 'conv']) ?? saved?.settings.arch ?? 'mlp';
  if (values.beta !== undefined && (model === 'vae' || model === 'ssvae')) throw new UsageError(`--beta applies to beta-vae and beta-tcvae, not ${model}`);
  if (values.labels !== undefined && model !== 'ssvae') throw new UsageError('--labels applies to the semi-supervised model (--model ssvae)');
  if (values.style !== undefined && model !== 'ssvae') throw new UsageError('--style applies to the semi-supervised model (--model ssvae)');
  const latent = intOption(values, 'latent', { min: 1, max: LIMITS.latent }) ?? saved?.settings.latent ?? DEFAULT_LATENT[model];
  const settings: TrainSettings = {
    model,
    arch,
    latent,
    epochs: intOption(values, 'epochs', { min: 1, max: LIMITS.epochs }) ?? saved?.settings.epochs ?? 10,
    batchSize: intOption(values, 'batch', { min: 1, max: LIMITS.batchSize }) ?? saved?.settings.batchSize ?? 128,
    lr: numberOption(values, 'lr', { above: 0, below: 1, example: '0.001' }) ?? saved?.settings.lr ?? 1e-3,
    seed: intOption(values, 'seed', { min: 0, max: LIMITS.seed }) ?? saved?.settings.seed ?? 1,
  };
  const style = intOption(values, 'style', { min: 0, max: LIMITS.latent - 1 }) ?? saved?.settings.style ?? (model === 'ssvae' && values.latent === undefined ? 16 : undefined);
  if (style !== undefined) settings.style = style;
  const beta = numberOption(values, 'beta', { min: 0, max: LIMITS.beta }) ?? saved?.settings.beta;
  if (beta !== undefined) settings.beta = beta;
  const labels = intOption(values, 'labels', { min: 0, max: LIMITS.labels }) ?? saved?.settings.labels;
  if (labels !== undefined) settings.labels = labels;
  const leakageWeight = numberOption(values, 'leakage-weight', { min: 0, max: LIMITS.leakageWeight }) ?? saved?.settings.leakageWeight;
  if (leakageWeight !== undefined) settings.leakageWeight = leakageWeight;
  const styleTcWeight = numberOption(values, 'style-tc', { min: 0, max: LIMITS.styleTcWeight }) ?? saved?.settings.styleTcWeight;
  if (styleTcWeight !== undefined) settings.styleTcWeight = styleTcWeight;
  const classCode = choiceOption(values, 'class-code', ['sample', 'prototype']) ?? saved?.settings.classCode;
  if (classCode !== undefined) settings.classCode = classCode;
  const samples = intOption(values, 'samples', { min: 1, max: LIMITS.samples }) ?? saved?.settings.samples;
  if (samples !== undefined) settings.samples = samples;
  // not taken from a resumed run: the thread count belongs to this machine
  const threads = intOption(values, 'threads', { min: 1 });
  if (threads !== undefined) settings.threads = threads;
  for (const k of ['hidden', 'classWeight'] as const) if (saved?.settings[k] !== undefined) (settings as unknown as Record<string, unknown>)[k] = saved.settings[k];

  const out = createOutput(values.json);
  const backend = await initBackend();
  out.event('backend', { backend: backend.backend, label: backend.label }, `Backend: ${backend.label}`);

  const options = { ...(saved?.dataset.options ?? {}), ...preprocessOptions(values) };
  if (saved && saved.dataset.ref !== ref) throw new UsageError(`${runDir} was trained on ${saved.dataset.ref}, not ${ref}`);
  // Ctrl+C while training stops the job after its step (status 'stopped', a resumable checkpoint);
  // while the data is still opening it cancels that.
  const code = await withCancel(out, 'Training cancelled before it started.', async (signal) => {
    const dataset = await openDataset(ref, options, { signal });
    out.event('dataset', { ref: dataset.ref, images: dataset.images.count, train: dataset.summary.train, test: dataset.summary.test, options: dataset.options },
      `Data: ${dataset.ref}, ${dataset.images.count} images (train ${dataset.summary.train}, test ${dataset.summary.test}), ${dataset.images.size} px, binarize ${dataset.options.binarize}`);
    // Settings that cannot work (a SettingsError) are the user's: one line, exit code 2.
    const job = startTraining(dataset, settings, runDir, {
      resume,
      signal,
      onProgress: (p: TrainProgress) => {
        if (out.json) out.event('progress', { ...p, klPerDim: p.klPerDim.map((v) => round(v, 4)), samplesPerSec: Math.round(p.samplesPerSec), etaSec: round(p.etaSec, 1) });
        else
          out.progressLine(
            `epoch ${p.epoch}/${p.epochs} step ${p.stepInEpoch}/${p.stepsPerEpoch}  loss ${p.loss.toFixed(2)}  recon ${p.recon.toFixed(2)}  KL ${p.kl.toFixed(2)}  ${Math.round(p.samplesPerSec)} img/s on ${p.threads ?? 1} thread${(p.threads ?? 1) > 1 ? 's' : ''}  ${Number.isFinite(p.etaSec) ? Math.ceil(p.etaSec) + ' s left' : ''}`,
          );
      },
      onEpoch: (e: EpochReport) => {
        out.endProgressLine();
        out.event('epoch', { ...e }, `epoch ${e.epoch}/${settings.epochs}: train loss ${e.trainLoss.toFixed(2)}, test −ELBO ${e.testLoss.toFixed(2)} nats/image${e.testAccuracy !== undefined ? `, test accuracy ${(100 * e.testAccuracy).toFixed(1)}%` : ''}`);
      },
    });
    const summary = await job.done;
    out.endProgressLine();
    const human = [
      `${summary.status === 'done' ? 'Trained' : summary.status === 'stopped' ? 'Stopped (resume with --resume)' : 'Diverged'}: ${runDir}`,
      `  epochs ${summary.epochs}, steps ${summary.step}, ${summary.seconds.toFixed(1)} s, ${Math.round(summary.samplesPerSec)} images/s on ${backend.backend}`,
      summary.testLoss !== null ? `  test −ELBO ${summary.testLoss.toFixed(2)} nats/image (lower is better)` : '',
      summary.testAccuracy !== undefined ? `  test accuracy of the class head ${(100 * summary.testAccuracy).toFixed(1)}%` : '',
      summary.message ? `  ${summary.message}` : '',
    ].filter(Boolean).join('\n');
    out.result({ event: 'summary', ...summary, backend: backend.backend }, human);
    if (summary.status === 'diverged') {
      console.error(`latent-explorer: ${summary.message}`);
      return 1;
    }
    return summary.status === 'stopped' ? EXIT_CANCELLED : 0;
  });
  return code ?? EXIT_CANCELLED;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
