// train.start opens the dataset, creates a run folder in the data folder and runs the training job
// in this process, yielding between steps so other requests are answered while it trains.
// train.resume continues a run from its checkpoint, e.g. after the engine was killed.
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobState } from '../../contract/training.ts';
import { UserError } from '../../contract/errors.ts';
import type { EngineContext, HandlerMap } from '../context.ts';
import type { Dataset } from '../datasets/types.ts';
import { dataDir } from '../paths.ts';
import { startTraining } from '../training/job.ts';
import { readRunFile, RunLoadError } from '../training/run-file.ts';
import { hasCheckpoint } from '../training/checkpoint.ts';
import { checkRunLock } from '../training/run-lock.ts';
import { LIMITS, MODEL_KINDS, type TrainSettings } from '../training/settings.ts';
import { proposeSettings } from '../training/propose.ts';

/**
 * A new run folder, named by time, model and latent size, and made here (mkdir fails if the name is
 * taken), so runs started in the same second get -2, -3, ... instead of colliding.
 */
export function newRunDir(model: string, latent: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const runs = join(dataDir(), 'runs');
  mkdirSync(runs, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = join(runs, `${stamp}-${model}-${latent}d${n > 1 ? `-${n}` : ''}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** A run folder made for a job that failed before writing anything goes again (an empty folder is no run). */
function dropIfEmpty(runDir: string): void {
  try {
    if (readdirSync(runDir).length === 0) rmdirSync(runDir);
  } catch {
    // gone already, or not ours to remove
  }
}

/** Runs a training job in the background and reports it as train.* events. */
function launch(ctx: EngineContext, runDir: string, open: (signal: AbortSignal) => Promise<Dataset>, settings: TrainSettings, resume: boolean) {
  // A training job holds its run folder from the request on (the job itself starts a moment later).
  if (ctx.jobs.list('train').some((job) => job.runDir === runDir)) throw new UserError(`${runDir} is already training.`);
  return ctx.jobs.start('train', async (job) => {
    const { id, controller } = job;
    const state = (s: JobState, message?: string) => ctx.emit('train.state', { jobId: id, runDir, state: s, message });
    try {
      const dataset = await open(controller.signal);
      state('running');
      const training = startTraining(dataset, settings, runDir, {
        signal: controller.signal,
        resume,
        onProgress: (p) => ctx.emit('train.progress', { jobId: id, ...p }),
        onEpoch: (e) => ctx.emit('train.epoch', { jobId: id, ...e }),
        onReconstructions: (r) => ctx.emit('train.reconstructions', { jobId: id, ...r }),
      });
      job.control = training; // train.control and train.jobs reach it through the job registry
      const summary = await training.done;
      if (summary.status === 'diverged') state('failed', summary.message);
      else state(summary.status === 'done' ? 'done' : 'stopped', summary.message);
      return summary;
    } catch (error) {
      // Bad settings, an unreadable dataset, a crash: the Train view shows the reason.
      state('failed', error instanceof Error ? error.message : String(error));
      if (!resume) dropIfEmpty(runDir);
      throw error;
    }
  }, { runDir });
}

export const trainingHandlers: HandlerMap = {
  'train.start': ({ ref, options, settings }, ctx) => {
    // The model and latent size name the run folder: check them before a folder is made.
    if (!settings || typeof settings !== 'object') throw new UserError('train.start needs settings.');
    if (!MODEL_KINDS.includes(settings.model)) throw new UserError(`unknown model '${String(settings.model).slice(0, 40)}' (use ${MODEL_KINDS.join(', ')})`);
    if (!Number.isInteger(settings.latent) || settings.latent < 1 || settings.latent > LIMITS.latent) throw new UserError(`latent must be a whole number from 1 to ${LIMITS.latent} (got ${String(settings.latent).slice(0, 20)})`);
    const runDir = newRunDir(settings.model, settings.latent);
    const job = launch(ctx, runDir, (signal) => ctx.datasets.getDataset(ref, options, { signal }), settings, false);
    return { jobId: job.id, runDir };
  },
  'train.resume': ({ runDir, epochs, lr }, ctx) => {
    let run;
    try {
      run = readRunFile(runDir);
    } catch (error) {
      throw new UserError(error instanceof RunLoadError ? error.message : `${runDir}: cannot read run.json`);
    }
    if (!hasCheckpoint(runDir)) throw new UserError(`${runDir}: this run has no checkpoint to resume from.`);
    // Trained by another process now (the CLI, another window's engine): say so at once, naming it.
    try {
      checkRunLock(runDir);
    } catch (error) {
      throw new UserError((error as Error).message);
    }
    const settings = { ...run.settings, ...(epochs ? { epochs } : {}), ...(lr ? { lr } : {}) };
    const job = launch(ctx, runDir, (signal) => ctx.datasets.getDataset(run.dataset.ref, run.dataset.options, { signal }), settings, true);
    return { jobId: job.id, runDir };
  },
  'train.propose': ({ data, model }) => {
    if (model !== undefined && !MODEL_KINDS.includes(model)) throw new UserError(`unknown model '${model}' (use ${MODEL_KINDS.join(', ')})`);
    return proposeSettings(data, model);
  },
  'train.jobs': (_params, ctx) => ({
    jobs: ctx.jobs.list('train').flatMap((job) => (job.control ? [{ jobId: job.id, runDir: job.runDir!, state: job.control.state }] : [])),
  }),
  'train.control': ({ jobId, action }, ctx) => {
    const job = ctx.jobs.get(jobId);
    const training = job?.kind === 'train' ? job.control : undefined;
    // Still opening its dataset: Stop cancels the job; there is nothing yet to pause.
    if (!training && job?.kind === 'train' && action === 'stop' && ctx.jobs.cancel(jobId)) return { state: 'stopping' };
    if (!training) throw new UserError(`No training job ${jobId} is running${job?.kind === 'train' ? ' yet (its data is still opening)' : ''}.`, 'not-found');
    const runDir = job!.runDir!;
    if (action === 'pause') training.pause();
    else if (action === 'resume') training.resume();
    else training.stop();
    const state = training.state;
    ctx.emit('train.state', { jobId, runDir, state });
    return { state };
  },
};
