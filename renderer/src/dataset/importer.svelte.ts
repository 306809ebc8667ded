// The import of a dataset, from the folder chosen to the opened summary: the options dialog, the
// job's progress, cancellation and failure. Every entry point (Open button, menu, drop, Recent)
// ends up here through lib/open.ts; ImportHost.svelte shows whatever stage this is in.
import type { ImportProgress, PreprocessOptions } from '../../../electron/contract/api.ts';
import type { LastImport } from '../../../electron/contract/datasets.ts';
import { uploadFolder, type PickedFile, type UploadProgress } from './upload.ts';
import { followJob, type FollowedJob } from '../../../electron/contract/client.ts';
import { app } from '../lib/app.svelte.ts';
import { errorMessage } from '../lib/errors.ts';

export const SAMPLE_REF = 'sample:mnist';

export type ImportStage = 'closed' | 'uploading' | 'options' | 'changed' | 'running' | 'cancelled' | 'failed';

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
  /** A folder reopened after it changed: its last import and what changed (the 'changed' stage). */
  last: null as LastImport | null,
  /** Files sent so far of a folder the browser gave as files (the 'uploading' stage). */
  upload: null as UploadProgress | null,
  /** The stage ended an upload, not an import: there are no options to go back to. */
  uploadEnded: false,
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

/** The running import (one at a time). */
let current: FollowedJob | null = null;

/** Shows the import dialog for a folder. */
export function showOptions(ref: string): void {
  if (importer.stage === 'running') return; // one import at a time; its dialog is already up
  importer.options = null; // a fresh open: last time's or suggested options (backToOptions keeps the user's)
  importer.ref = ref;
  importer.error = '';
  importer.uploadEnded = false;
  importer.stage = 'options';
}

let uploadController: AbortController | null = null;

/**
 * A folder the browser gave as files: sends them to the engine (progress, Cancel), then shows the
 * import dialog for the folder it made, as for a folder on disk.
 */
export async function startUpload(name: string, files: PickedFile[]): Promise<void> {
  const client = app.client;
  if (!client || importer.stage === 'running' || importer.stage === 'uploading') return;
  const controller = (uploadController = new AbortController());
  Object.assign(importer, { ref: name, options: null, error: '', cancelling: false, uploadEnded: false, upload: null, stage: 'uploading' });
  try {
    if (!files.length) throw new Error(`${name} holds no image files (PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP).`);
    const path = await uploadFolder(client, name, files, (p) => (importer.upload = p), controller.signal);
    Object.assign(importer, { upload: null, stage: 'closed' });
    showOptions(path);
  } catch (e) {
    const cancelled = controller.signal.aborted;
    Object.assign(importer, { upload: null, uploadEnded: true, cancelling: false, stage: cancelled ? 'cancelled' : 'failed', error: cancelled ? '' : errorMessage(e) });
  } finally {
    uploadController = null;
  }
}

export function cancelUpload(): void {
  importer.cancelling = true;
  uploadController?.abort();
}

/** Says what changed in a folder imported before, offering to re-import it (same or other options). */
export function showChanges(last: LastImport): void {
  if (importer.stage === 'running') return;
  Object.assign(importer, { ref: last.ref, options: null, error: '', last, stage: 'changed' });
}

/** Starts the import job; its progress replaces the dialog. */
export async function startImport(ref: string, options?: PreprocessOptions): Promise<void> {
  const client = app.client;
  if (!client) return;
  Object.assign(importer, { ref, options: options ?? null, progress: null, error: '', cancelling: false, uploadEnded: false, stage: 'running', jobId: null });
  try {
    current = await followJob(client, 'dataset.open', options ? { ref, options } : { ref }, {
      on: {
        'dataset.progress': ({ jobId: _, ...progress }) => {
          importer.progress = progress;
        },
        'dataset.opened': ({ summary }) => {
          if (summary.ref !== SAMPLE_REF) rememberOptions(summary.ref, summary.options);
          Object.assign(importer, { stage: 'closed', jobId: null, cancelling: false });
          app.dataset = summary;
          // A folder lands on its dataset page (counts, thumbnails, skipped files); the sample is known, so it goes to training.
          app.view = summary.ref === SAMPLE_REF ? 'train' : 'dataset';
        },
      },
      // Also when the engine died mid-import: the job is gone with it; say so instead of waiting forever.
      failed: ({ message, cancelled }) => {
        Object.assign(importer, { jobId: null, cancelling: false, stage: cancelled ? 'cancelled' : 'failed', error: cancelled ? '' : message });
      },
    });
    if (importer.stage === 'running') importer.jobId = current.jobId;
  } catch (e) {
    importer.stage = 'failed';
    importer.error = errorMessage(e);
  }
}

export async function cancelImport(): Promise<void> {
  const job = current;
  if (!importer.jobId || !job) return;
  importer.cancelling = true;
  try {
    // Already finished: its dataset.opened or job.failed event settles the stage.
    if (!(await job.cancel())) importer.cancelling = false;
  } catch {
    importer.cancelling = false;
  }
}

export function closeImport(): void {
  if (importer.stage === 'running' || importer.stage === 'uploading') return;
  importer.stage = 'closed';
}

export function backToOptions(): void {
  importer.error = '';
  importer.stage = importer.ref === SAMPLE_REF ? 'closed' : 'options';
}
