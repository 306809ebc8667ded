// The one typed contract between the renderer and the engine (via whichever host carries it).
// Every request names its params and result; every event its data. Hosts answer the `host.*`
// requests themselves (native dialogs in Electron, the folder browser in the browser host).
import type { DatasetEvents, DatasetRequests, DatasetSummary, ImportProgress, PreprocessOptions } from './datasets.ts';
import type { ExplorerEvents, ExplorerRequests } from './explorer.ts';
import type { ExportEvents, ExportRequests } from './exports.ts';
import type { StyleRequests } from './style.ts';
import type { UploadRequests } from './uploads.ts';
import type { CompareEvents, CompareRequests } from './compare.ts';

export type { DatasetSummary, ImportProgress, PreprocessOptions };

// ---- system ---------------------------------------------------------------------------------

export interface BackendAttempt {
  name: 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  package: string;
  ok: boolean;
  /** Why it is not used (not installed, load error, no CUDA device, fell back…). */
  reason?: string;
}

export interface BackendInfo {
  /** tf.getBackend() after the ladder: 'tensorflow' (native, GPU or CPU), 'webgpu', 'wasm' or 'cpu'. */
  backend: string;
  /** A short description for the status bar, e.g. "wasm (SIMD, 2 threads)". */
  label: string;
  gpu: boolean;
  attempts: BackendAttempt[];
  /** On the wasm backend: whether the native CPU kernels (models/native) run its products and convolutions, and why not. */
  kernels?: { native: boolean; isa?: string; reason?: string };
  /** Training threads by default (data-parallel on wasm/cpu), and where the number comes from. */
  /** note: why runs take one thread whatever is asked (native TensorFlow's own threads, WebGPU's GPU). */
  threads?: { threads: number; source: 'cores' | 'LATENT_EXPLORER_THREADS'; cores: number; note?: string };
}

export interface AppInfo {
  version: string;
  node: string;
  tfjs: string;
  platform: string;
  backend: BackendInfo;
  dataDir: string;
}

export interface FolderListing {
  path: string;
  parent: string | null;
  entries: { name: string; path: string; isDir: boolean }[];
  /** Image files directly in this folder, to hint that it is a dataset. */
  imageCount: number;
}

// ---- training ----------------------------------------------------------------------------------
// The types live in training.ts; re-exported here, where the renderer has always found them.
import type { DataShape, EpochReport, JobState, ModelKind, Reconstructions, RunSummary, TrainProgress, TrainProposal, TrainSettings } from './training.ts';

export type { EpochReport, JobState, ModelKind, Reconstructions, RunSummary, TrainProgress, TrainSettings };

// ---- the request map ------------------------------------------------------------------------
// Feature areas keep their requests and events in files of their own (datasets.ts, explorer.ts, exports.ts),
// merged here, so each area's owner edits only that file.

export interface Requests extends DatasetRequests, ExplorerRequests, ExportRequests, StyleRequests, CompareRequests, UploadRequests {
  'app.info': { params: Record<string, never>; result: AppInfo };
  /** Native folder dialog where the host has one; `{ browse: true }` asks the renderer to use fs.list. */
  'host.pickFolder': { params: { title?: string }; result: { path: string | null; browse?: boolean } };
  'fs.list': { params: { path?: string }; result: FolderListing };
  'train.start': {
    params: { ref: string; options?: Partial<PreprocessOptions>; settings: TrainSettings };
    result: { jobId: string; runDir: string };
  };
  /** Continues a run from its last checkpoint (after Stop, the NaN guard, or a killed engine). */
  'train.resume': { params: { runDir: string; epochs?: number; lr?: number }; result: { jobId: string; runDir: string } };
  /** Settings that fit a dataset of this shape, each with a one-line reason. */
  'train.propose': { params: { data: DataShape; model?: ModelKind }; result: TrainProposal };
  /** Training jobs running in the engine now (a reloaded window takes over their controls). */
  'train.jobs': { params: Record<string, never>; result: { jobs: { jobId: string; runDir: string; state: JobState }[] } };
  'train.control': { params: { jobId: string; action: 'pause' | 'resume' | 'stop' }; result: { state: JobState } };
  'job.cancel': { params: { jobId: string }; result: { cancelled: boolean } };
}

export type Method = keyof Requests;
export type Params<M extends Method> = Requests[M]['params'];
export type Result<M extends Method> = Requests[M]['result'];

// ---- events ---------------------------------------------------------------------------------

export interface JobProgress {
  jobId: string;
  kind: string;
  /** 0..1 when known. */
  fraction?: number;
  message: string;
}

export interface Events extends DatasetEvents, ExplorerEvents, ExportEvents, CompareEvents {
  'job.progress': JobProgress;
  'job.done': { jobId: string; kind: string; result?: unknown };
  'job.failed': { jobId: string; kind: string; message: string; cancelled: boolean };
  'train.progress': TrainProgress & { jobId: string };
  'train.epoch': EpochReport & { jobId: string };
  'train.reconstructions': Reconstructions & { jobId: string };
  'train.state': { jobId: string; runDir: string; state: JobState; message?: string };
  /** The engine process started (first message of every engine). */
  'engine.ready': { pid: number };
  /** The engine process died and a new one took its place; requests in flight failed with this message. */
  'engine.restarted': { message: string };
  /** From the Electron menu (File ▸ Open Folder…) and similar host actions. */
  'host.action': { action: 'openFolder' | 'openSample' };
}

export type EventName = keyof Events;
