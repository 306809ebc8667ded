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
import { loadRun, readRunFile, runJsonPath } from '../../engine/training/run-file.ts';
import { runFactorMetrics } from '../../engine/disentanglement/run-metrics.ts';
import type { FactorMetrics } from '../../contract/factors.ts';
import { privacyLine } from '../privacy-line.ts';
import { proposeSettings } from '../../engine/training/propose.ts';
import type { Dataset } from '../../engine/datasets/types.ts';
import { formatLoss, lossName, lossUnitsNote } from '../../contract/units.ts';
import { hasCheckpoint } from '../../engine/training/checkpoint.ts';
import { checkRunLock } from '../../engine/training/run-lock.ts';

const USAGE = `Usage: latent-explorer train <folder|sample:mnist> --out DIR [options]
Options left out are proposed from the data, as the app's Train view does; each choice is printed
with its reason (with --json as {"event":"settings","chosen":…,"reasons":…}).
  --model M        vae (default): the lectures' VAE; beta-vae: KL weighted by beta; beta-tcvae: total
                   correlation weighted by beta; ssvae: semi-supervised style/class split;
                   iwae: trains the importance-weighted bound with K = --samples (default 5);
                   dae: denoising autoencoder (deterministic codes, no KL); ivae: identifiable VAE with
                   the prior p(z|u) learned per value of --aux; ppca: probabilistic PCA (closed form);
                   fa: factor analysis (EM); ppca and fa are Gaussian on the grey levels;
                   fair-vae: encoder and decoder conditioned on --private s, a penalty makes s
                   unpredictable from z^X; with --style N or --labels K it keeps a class part z^Y
  --noise gaussian|mask   dae: the corruption (default mask)
  --noise-level L  dae: sd of the Gaussian noise, or share of pixels masked (default 0.3)
  --aux NAME       ivae: the auxiliary variable u: 'label' or a factor column (numeric: 5 quantile bins)
  --private NAME   fair-vae: the private attribute s: 'label' or a factor column (a numeric column with
                   more than two values is split at its training median)
  --fair-penalty mmd|adversary   fair-vae: MMD between the groups' codes (default) or an adversary
  --fair-weight W  fair-vae: weight of the penalty (default 100)
  --no-reference   fair-vae: do not train the plain VAE beside it (no reference probe AUC; half the time)
  --arch mlp|conv  MLP (784-256-64) or convolutional (proposed for 32 px and up, or RGB)
  --latent N       latent dimensions (proposed: 2 for vae, 10 for beta-vae/beta-tcvae, 26 for ssvae on
                   small grey images; more for larger or colour images)
  --likelihood bernoulli|gaussian   proposed: bernoulli for binarised pixels, else gaussian
  --minutes M      train for a time budget; the epochs are estimated from the first batches
  --style N        ssvae: style dimensions z^X; the rest are the class part z^Y (proposed: 16 for ssvae)
  --beta B         beta-vae: KL weight (default 4); beta-tcvae: total-correlation weight (default 6)
  --labels K       ssvae: keep only K training labels, balanced per class
  --leakage-weight W   ssvae: weight of the class-leakage penalty on decoded style sweeps
  --style-tc W     ssvae: extra weight on the total correlation of the style dimensions
  --class-code sample|prototype   ssvae: what the decoder sees of the class part (default prototype)
  --epochs E       (proposed: 10 for an MLP)    --batch B   (default 128)    --lr L   (default 0.001)
  --seed S         seed of initialisation, shuffling and sampling (default 1)
  --samples M      reparameterisation samples per image (default 1); iwae: K of the bound (default 5)
  --threads T      threads that compute each step (default: LATENT_EXPLORER_THREADS, else the core count);
                   a seed and thread count repeat a run exactly
  --size N, --channels 1|3, --binarize off|T|dynamic, --test-split S   preprocessing of a folder
  --out DIR        the run folder to create
  --resume         continue the run in --out from its last checkpoint (--epochs and --lr may change)
  --json           progress, epoch and summary as JSON lines`;

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
      minutes: { type: 'string' },
      likelihood: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      'noise-level': { type: 'string' },
      aux: { type: 'string' },
      private: { type: 'string' },
      'fair-penalty': { type: 'string' },
      'fair-weight': { type: 'string' },
      'no-reference': { type: 'boolean', default: false },
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

  // Settings: flags, else the resumed run's, else what proposeSettings() proposes for the data (the
  // same proposal as the app's Train view); the choice and its reasons are printed before training.
  const model = (values.model ?? saved?.settings.model ?? 'vae') as ModelKind;
  if (!MODEL_KINDS.includes(model)) throw new UsageError(`--model must be one of ${MODEL_KINDS.join(', ')} (got '${model}')`);
  const arch = choiceOption(values, 'arch', ['mlp', 'conv']) ?? saved?.settings.arch;
  const likelihood = choiceOption(values, 'likelihood', ['bernoulli', 'gaussian']) ?? saved?.settings.likelihood;
  if (values.beta !== undefined && (model === 'vae' || model === 'ssvae')) throw new UsageError(`--beta applies to beta-vae and beta-tcvae, not ${model}`);
  if (values.labels !== undefined && model !== 'ssvae' && model !== 'fair-vae') throw new UsageError('--labels applies to the semi-supervised model (--model ssvae) and the fair VAE (--model fair-vae)');
  if (values.style !== undefined && model !== 'ssvae' && model !== 'fair-vae') throw new UsageError('--style applies to the semi-supervised model (--model ssvae) and the fair VAE (--model fair-vae)');
  for (const flag of ['private', 'fair-penalty', 'fair-weight'] as const)
    if (values[flag] !== undefined && model !== 'fair-vae') throw new UsageError(`--${flag} applies to the fair VAE (--model fair-vae)`);
  if (values['no-reference'] && model !== 'fair-vae') throw new UsageError('--no-reference applies to the fair VAE (--model fair-vae)');
  if (model === 'fair-vae' && values.private === undefined && !saved) throw new UsageError("--model fair-vae needs --private NAME: 'label' or a factor column of the dataset");
  if ((values.noise !== undefined || values['noise-level'] !== undefined) && model !== 'dae') throw new UsageError('--noise and --noise-level apply to the denoising autoencoder (--model dae)');
  if (values.aux !== undefined && model !== 'ivae') throw new UsageError('--aux applies to the iVAE (--model ivae)');
  if (model === 'ivae' && values.aux === undefined && !saved) throw new UsageError("--model ivae needs --aux NAME: 'label' or a factor column of the dataset");
  if (values.minutes !== undefined && values.epochs !== undefined) throw new UsageError('give --epochs or --minutes, not both');
  const latent = intOption(values, 'latent', { min: 1, max: LIMITS.latent }) ?? saved?.settings.latent;
  const epochs = intOption(values, 'epochs', { min: 1, max: LIMITS.epochs }) ?? (values.minutes === undefined ? saved?.settings.epochs : undefined);
  const minutes = numberOption(values, 'minutes', { above: 0, example: '5' }) ?? (values.epochs === undefined ? saved?.settings.minutes : undefined);
  const given: Partial<TrainSettings> & { model: ModelKind } = {
    model,
    ...(arch !== undefined ? { arch } : {}),
    ...(latent !== undefined ? { latent } : {}),
    ...(likelihood !== undefined ? { likelihood } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(minutes !== undefined ? { minutes } : {}),
    batchSize: intOption(values, 'batch', { min: 1, max: LIMITS.batchSize }) ?? saved?.settings.batchSize,
    lr: numberOption(values, 'lr', { above: 0, below: 1, example: '0.001' }) ?? saved?.settings.lr,
    seed: intOption(values, 'seed', { min: 0, max: LIMITS.seed }) ?? saved?.settings.seed ?? 1,
  };
  const style = intOption(values, 'style', { min: 0, max: LIMITS.latent - 1 }) ?? saved?.settings.style;
  if (style !== undefined) given.style = style;
  const beta = numberOption(values, 'beta', { min: 0, max: LIMITS.beta }) ?? saved?.settings.beta;
  if (beta !== undefined) given.beta = beta;
  const labels = intOption(values, 'labels', { min: 0, max: LIMITS.labels }) ?? saved?.settings.labels;
  if (labels !== undefined) given.labels = labels;
  const leakageWeight = numberOption(values, 'leakage-weight', { min: 0, max: LIMITS.leakageWeight }) ?? saved?.settings.leakageWeight;
  if (leakageWeight !== undefined) given.leakageWeight = leakageWeight;
  const styleTcWeight = numberOption(values, 'style-tc', { min: 0, max: LIMITS.styleTcWeight }) ?? saved?.settings.styleTcWeight;
  if (styleTcWeight !== undefined) given.styleTcWeight = styleTcWeight;
  const classCode = choiceOption(values, 'class-code', ['sample', 'prototype']) ?? saved?.settings.classCode;
  if (classCode !== undefined) given.classCode = classCode;
  const samples = intOption(values, 'samples', { min: 1, max: LIMITS.samples }) ?? saved?.settings.samples;
  if (samples !== undefined) given.samples = samples;
  const noise = choiceOption(values, 'noise', ['gaussian', 'mask']) ?? saved?.settings.noise;
  if (noise !== undefined) given.noise = noise;
  const noiseLevel = numberOption(values, 'noise-level', { min: 0, max: 10 }) ?? saved?.settings.noiseLevel;
  if (noiseLevel !== undefined) given.noiseLevel = noiseLevel;
  const aux = values.aux ?? saved?.settings.aux;
  if (aux !== undefined) given.aux = aux;
  const priv = values.private ?? saved?.settings.private;
  if (priv !== undefined) given.private = priv;
  const fairPenalty = choiceOption(values, 'fair-penalty', ['mmd', 'adversary']) ?? saved?.settings.fairPenalty;
  if (fairPenalty !== undefined) given.fairPenalty = fairPenalty;
  const fairWeight = numberOption(values, 'fair-weight', { min: 0, max: LIMITS.fairWeight }) ?? saved?.settings.fairWeight;
  if (fairWeight !== undefined) given.fairWeight = fairWeight;
  const fairReference = values['no-reference'] ? false : saved?.settings.fairReference;
  if (fairReference !== undefined) given.fairReference = fairReference;
  // not taken from a resumed run: the thread count belongs to this machine
  const threads = intOption(values, 'threads', { min: 1 });
  if (threads !== undefined) given.threads = threads;
  for (const k of ['hidden', 'classWeight', 'classPrior', 'consistencyWeight'] as const) if (saved?.settings[k] !== undefined) (given as Record<string, unknown>)[k] = saved.settings[k];

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
    const settings = chooseSettings(given, dataset);
    out.event('settings', { chosen: settings.chosen, reasons: settings.reasons, proposed: settings.proposed }, settings.human);
    // Settings that cannot work (a SettingsError) are the user's: one line, exit code 2.
    const job = startTraining(dataset, settings.chosen, runDir, {
      resume,
      signal,
      onProgress: (p: TrainProgress) => {
        if (out.json) out.event('progress', { ...p, klPerDim: p.klPerDim.map((v) => round(v, 4)), samplesPerSec: Math.round(p.samplesPerSec), etaSec: round(p.etaSec, 1) });
        else
          out.progressLine(
            `epoch ${p.epoch}/${p.epochs} step ${p.stepInEpoch}/${p.stepsPerEpoch}  loss ${p.loss.toFixed(2)}${model === 'dae' ? '' : `  recon ${p.recon.toFixed(2)}  KL ${p.kl.toFixed(2)}`}  ${Math.round(p.samplesPerSec)} img/s on ${p.threads ?? 1} thread${(p.threads ?? 1) > 1 ? 's' : ''}  ${Number.isFinite(p.etaSec) ? Math.ceil(p.etaSec) + ' s left' : ''}`,
          );
      },
      onEpoch: (e: EpochReport) => {
        out.endProgressLine();
        out.event('epoch', { ...e }, `epoch ${e.epoch}/${settings.chosen.epochs}: train loss ${e.trainLoss.toFixed(2)}, test ${lossName(model)} ${e.testLoss.toFixed(2)} nats/image${e.testAccuracy !== undefined ? `, test accuracy ${(100 * e.testAccuracy).toFixed(1)}%` : ''}${e.privacy ? `, probe AUC of ${e.privacy.attribute} ${e.privacy.auc?.toFixed(3) ?? 'n/a'}${e.privacy.referenceAuc != null ? ` (plain VAE ${e.privacy.referenceAuc.toFixed(3)})` : ''}` : ''}`);
      },
    });
    const summary = await job.done;
    const dims = dataset.images.size * dataset.images.size * dataset.images.channels;
    out.endProgressLine();
    // With known factors (factors.csv) the summary also measures disentanglement, as eval does.
    let factors: FactorMetrics | null = null;
    if (dataset.images.factors?.length && summary.status !== 'diverged') {
      const loaded = await loadRun(runDir);
      try {
        factors = await runFactorMetrics(loaded, loaded.run.model.latent, dataset.images);
      } finally {
        loaded.dispose();
      }
    }
    const human = [
      `${summary.status === 'done' ? 'Trained' : summary.status === 'stopped' ? 'Stopped (resume with --resume)' : 'Diverged'}: ${runDir}`,
      `  epochs ${summary.epochs}, steps ${summary.step}, ${summary.seconds.toFixed(1)} s, ${Math.round(summary.samplesPerSec)} images/s on ${backend.backend}`,
      summary.testLoss !== null ? `  test ${lossName(model)} ${formatLoss(summary.testLoss, settings.likelihood, dims)}/image (lower is better)` : '',
      settings.likelihood === 'gaussian' ? `  ${lossUnitsNote('gaussian', dims, model)}` : '',
      summary.testAccuracy !== undefined ? `  test accuracy of the class head ${(100 * summary.testAccuracy).toFixed(1)}%` : '',
      summary.privacy ? `  ${privacyLine(summary.privacy)}` : '',
      factors ? `  against the known factors: MIG ${factors.mig.score.toFixed(3)}, SAP ${factors.sap.score.toFixed(3)}, DCI ${factors.dci.disentanglement.toFixed(3)} / ${factors.dci.completeness.toFixed(3)} / ${factors.dci.informativeness.toFixed(3)}` : '',
      summary.message ? `  ${summary.message}` : '',
    ].filter(Boolean).join('\n');
    const disentanglement = factors ? { mig: factors.mig.score, sap: factors.sap.score, dci: { disentanglement: factors.dci.disentanglement, completeness: factors.dci.completeness, informativeness: factors.dci.informativeness } } : undefined;
    out.result({ event: 'summary', ...summary, ...(disentanglement ? { factors: disentanglement } : {}), backend: backend.backend }, human);
    if (summary.status === 'diverged') {
      console.error(`latent-explorer: ${summary.message}`);
      return 1;
    }
    return summary.status === 'stopped' ? EXIT_CANCELLED : 0;
  });
  return code ?? EXIT_CANCELLED;
}

/**
 * The settings a run starts with: those given (flags or the resumed run's), the rest proposed for this
 * dataset. `proposed` lists which were proposed; `human` prints each with its reason.
 */
export function chooseSettings(given: Partial<TrainSettings> & { model: ModelKind }, dataset: Dataset) {
  const { size, channels } = dataset.images;
  const shape = { size, channels, binarized: dataset.options.binarize !== 'off', train: dataset.summary.train, classes: dataset.images.classNames.length };
  const proposal = proposeSettings(shape, given.model);
  const p = proposal.settings;
  const budgeted = given.epochs === undefined && (given.minutes !== undefined || p.minutes !== undefined);
  const chosen: TrainSettings = {
    ...given,
    model: given.model,
    arch: given.arch ?? p.arch,
    latent: given.latent ?? p.latent,
    likelihood: given.likelihood ?? p.likelihood,
    epochs: given.epochs ?? p.epochs,
    batchSize: given.batchSize ?? p.batchSize,
    lr: given.lr ?? p.lr,
    seed: given.seed ?? 1,
  };
  if (budgeted) chosen.minutes = given.minutes ?? p.minutes;
  else delete chosen.minutes;
  if (chosen.model === 'ssvae' && chosen.style === undefined && given.latent === undefined && p.style !== undefined) chosen.style = p.style;
  const proposed: string[] = (['arch', 'latent', 'likelihood', 'batchSize', 'lr'] as const).filter((k) => given[k] === undefined);
  if (given.epochs === undefined && given.minutes === undefined) proposed.push(budgeted ? 'minutes' : 'epochs');
  const line = (label: string, value: string, reason: string | null) => `  ${label.padEnd(11)}${value.padEnd(12)}${reason ?? '(given)'}`;
  const why = (k: keyof TrainSettings, reason: string) => (proposed.includes(k) ? reason : null);
  const human = [
    'Settings:',
    line('arch', chosen.arch, why('arch', proposal.reasons.arch)),
    line('latent', String(chosen.latent), why('latent', proposal.reasons.latent)),
    line('likelihood', chosen.likelihood!, why('likelihood', proposal.reasons.likelihood)),
    budgeted ? line('minutes', String(chosen.minutes), why('minutes', proposal.reasons.duration)) : line('epochs', String(chosen.epochs), why('epochs', proposal.reasons.duration)),
    line('batch, lr', `${chosen.batchSize}, ${chosen.lr}`, why('batchSize', proposal.reasons.batch)),
  ].join('\n');
  return { chosen, reasons: proposal.reasons, proposed, human, likelihood: chosen.likelihood! };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
