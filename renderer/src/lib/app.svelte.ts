// The renderer's shared state. Events from the engine update it; views read it.
import { followJob, watchJob, type Client, type JobListeners } from '../../../electron/contract/client.ts';
import type { AppInfo, DatasetSummary, EpochReport, JobState, Params, Reconstructions, TrainSettings } from '../../../electron/contract/api.ts';
import { errorMessage } from './errors.ts';

export type View = 'home' | 'dataset' | 'train' | 'explore' | 'compare';

export interface LossPoint {
  step: number;
  epoch: number;
  loss: number;
  recon: number;
  kl: number;
}

export interface TrainingView {
  jobId: string | null;
  runDir: string | null;
  state: JobState | 'idle';
  message: string;
  points: LossPoint[];
  epochs: EpochReport[];
  klPerDim: number[];
  progress: { epoch: number; epochs: number; stepInEpoch: number; stepsPerEpoch: number; samplesPerSec: number; etaSec: number; threads?: number; threadsNote?: string } | null;
  reconstructions: Reconstructions | null;
}

export const app = $state({
  client: null as Client | null,
  info: null as AppInfo | null,
  error: '',
  view: 'home' as View,
  dataset: null as DatasetSummary | null,
  training: {
    jobId: null,
    runDir: null,
    state: 'idle',
    message: '',
    points: [],
    epochs: [],
    klPerDim: [],
    progress: null,
    reconstructions: null,
  } as TrainingView,
});

let resolveClient: (client: Client) => void = () => {};
/** Resolves once the engine is reachable; actions started before that (an early click) wait for it. */
export const clientReady: Promise<Client> = new Promise((resolve) => (resolveClient = resolve));

export function setClient(client: Client): void {
  app.client = client;
  resolveClient(client);
  // A window opened (or reloaded) while the engine trains takes over that job's controls.
  client
    .request('train.jobs', {})
    .then(({ jobs }) => {
      const job = jobs[0];
      if (job && app.training.state === 'idle') takeOver(client, job.jobId, job.runDir, job.state);
    })
    .catch((e) => (app.error = `Running training jobs: ${errorMessage(e)}`));
}

/** The Train view's settings, kept while the user visits other tabs. */
export const trainSettings: TrainSettings = $state({ model: 'vae', arch: 'mlp', latent: 2, beta: 4, style: 4, labels: 100, epochs: 10, batchSize: 128, lr: 0.001, seed: 1 });

/** Loss points kept for the chart: enough for a smooth curve, bounded so long runs stay light. */
const MAX_POINTS = 2000;

/** The training job this window follows: started here, or taken over after a reload. */
let following: (() => void) | null = null;

const trainingListeners: JobListeners = {
  on: {
    'train.progress': (p) => {
      const t = app.training;
      t.points.push({ step: p.step, epoch: p.epoch, loss: p.loss, recon: p.recon, kl: p.kl });
      // Full: keep every other point, so a long run's curve keeps its start (at half the density).
      if (t.points.length > MAX_POINTS) t.points = t.points.filter((_, i) => i % 2 === 0 || i === t.points.length - 1);
      t.klPerDim = p.klPerDim;
      t.progress = { epoch: p.epoch, epochs: p.epochs, stepInEpoch: p.stepInEpoch, stepsPerEpoch: p.stepsPerEpoch, samplesPerSec: p.samplesPerSec, etaSec: p.etaSec, threads: p.threads, threadsNote: p.threadsNote };
    },
    'train.epoch': (e) => {
      app.training.epochs.push(e);
    },
    'train.reconstructions': (r) => {
      app.training.reconstructions = r;
    },
    'train.state': (s) => {
      app.training.state = s.state;
      if (s.message) app.training.message = s.message;
    },
  },
  failed: ({ message, cancelled, engineStopped }) => {
    const t = app.training;
    // The engine died and a new one took over: a training run can be resumed from its checkpoint.
    if (engineStopped) {
      if (t.state === 'running' || t.state === 'paused' || t.state === 'stopping') {
        t.state = 'failed';
        t.message = 'the engine stopped; resume the run from the Runs list';
      }
      return;
    }
    t.state = cancelled ? 'cancelled' : 'failed';
    t.message = message;
  },
};

/** Starts (or resumes) a training run and follows it in the Train view. */
export async function startTraining<M extends 'train.start' | 'train.resume'>(method: M, params: Params<M>): Promise<void> {
  const client = app.client;
  if (!client) return;
  following?.();
  const job = await followJob(client, method, params, {
    ...trainingListeners,
    started: ({ jobId, runDir }) => resetTraining(jobId, runDir),
  });
  following = job.dispose;
}

function takeOver(client: Client, jobId: string, runDir: string, state: JobState): void {
  following?.();
  resetTraining(jobId, runDir);
  app.training.state = state;
  following = watchJob(client, jobId, trainingListeners);
}

export function listen(client: Client): void {
  // The engine died and a new one took over: say so (the jobs it ran end through followJob).
  client.on('engine.restarted', ({ message }) => {
    app.error = message;
  });
}

function resetTraining(jobId: string, runDir: string): void {
  app.training = { jobId, runDir, state: 'running', message: '', points: [], epochs: [], klPerDim: [], progress: null, reconstructions: null };
}
