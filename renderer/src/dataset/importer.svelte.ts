// The import of a dataset, from the folder chosen to the opened summary: the options dialog, the
// job's progress, cancellation and failure. Every entry point (Open button, menu, drop, Recent)
// ends up here through lib/open.ts; ImportHost.svelte shows whatever stage this is in.
import type { ImportProgress, PreprocessOptions } from '../../../electron/contract/api.ts';
import type { Client } from '../../../electron/contract/client.ts';
import { app } from '../lib/app.svelte.ts';
import { errorMessage } from '../lib/errors.ts';

export const SAMPLE_REF = 'sample:mnist';

export type ImportStage = 'closed' | 'options' | 'running' | 'cancelled' | 'failed';

export const importer = $state({
  stage: 'closed' as ImportStage,
  ref: '',
  /** Options of the running (or last tried) import, so "Back to options" keeps the user's choices. */
  options: null as PreprocessOptions | null,
  jobId: null as string | null,
  progress: null as ImportProgress | null,
  /** The user pressed Cancel; the engine has not confirmed yet. */
  cancelling: false,
  /** The engine's one-sentence reason when the import failed. */
  error: '',
});

const OPTIONS_KEY = 'latent-explorer:import-options:';

/** The options this folder was last imported with (so reopening from Recent hits the cache). */
export function lastOptions(ref: string): PreprocessOptions | null {
  try {
    const saved = localStorage.getItem(OPTIONS_KEY + ref);
    return saved ? (JSON.parse(saved) as PreprocessOptions) : null;
  } catch {
    return null;
  }
}

function rememberOptions(ref: string, options: PreprocessOptions): void {
  try {
    localStorage.setItem(OPTIONS_KEY + ref, JSON.stringify(options));
  } catch {
    /* storage full or disabled: the dialog falls back to suggestions */
  }
}

let listening: Client | null = null;

function listen(client: Client): void {
  if (listening === client) return;
  listening = client;
  client.on('dataset.progress', (p) => {
    if (p.jobId !== importer.jobId) return;
    const { jobId: _, ...progress } = p;
    importer.progress = progress;
  });
  client.on('dataset.opened', ({ jobId, summary }) => {
    if (jobId !== importer.jobId) return;
    if (summary.ref !== SAMPLE_REF) rememberOptions(summary.ref, summary.options);
    importer.stage = 'closed';
    importer.jobId = null;
    importer.cancelling = false;
    app.dataset = summary;
    // A folder lands on its dataset page (counts, thumbnails, skipped files); the sample is known, so it goes to training.
    app.view = summary.ref === SAMPLE_REF ? 'train' : 'dataset';
  });
  // The engine died mid-import: the job is gone with it; say so instead of waiting forever.
  client.on('engine.restarted', ({ message }) => {
    if (importer.stage !== 'running') return;
    Object.assign(importer, { stage: 'failed', error: message, jobId: null, cancelling: false });
  });
  client.on('job.failed', ({ jobId, message, cancelled }) => {
    if (jobId !== importer.jobId) return;
    importer.jobId = null;
    importer.cancelling = false;
    importer.stage = cancelled ? 'cancelled' : 'failed';
    importer.error = cancelled ? '' : message;
  });
}

/** Shows the import dialog for a folder. */
export function showOptions(ref: string): void {
  if (importer.stage === 'running') return; // one import at a time; its dialog is already up
  importer.options = null; // a fresh open: last time's or suggested options (backToOptions keeps the user's)
  importer.ref = ref;
  importer.error = '';
  importer.stage = 'options';
}

/** Starts the import job; its progress replaces the dialog. */
export async function startImport(ref: string, options?: PreprocessOptions): Promise<void> {
  const client = app.client;
  if (!client) return;
  listen(client);
  Object.assign(importer, { ref, options: options ?? null, progress: null, error: '', cancelling: false, stage: 'running', jobId: null });
  try {
    const { jobId } = await client.request('dataset.open', options ? { ref, options } : { ref });
    // Events for this job may not have arrived yet; from here on they are matched by id.
    if (importer.stage === 'running') importer.jobId = jobId;
  } catch (e) {
    importer.stage = 'failed';
    importer.error = errorMessage(e);
  }
}

export async function cancelImport(): Promise<void> {
  if (!importer.jobId || !app.client) return;
  importer.cancelling = true;
  try {
    const { cancelled } = await app.client.request('job.cancel', { jobId: importer.jobId });
    // Already finished: its dataset.opened or job.failed event settles the stage.
    if (!cancelled) importer.cancelling = false;
  } catch {
    importer.cancelling = false;
  }
}

export function closeImport(): void {
  if (importer.stage === 'running') return;
  importer.stage = 'closed';
}

export function backToOptions(): void {
  importer.error = '';
  importer.stage = importer.ref === SAMPLE_REF ? 'closed' : 'options';
}
