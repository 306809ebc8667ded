import type { Method, Params, Result } from '../contract/api.ts';
import { CompareCache } from './disentanglement/compare.ts';
import { RunSessions } from './explorer/sessions.ts';
import { ExportRuns } from './exports/open-runs.ts';
import { type Emit, JobRegistry } from './jobs.ts';
import { Workspace } from './workspace.ts';
import { Uploads } from './uploads/store.ts';

/**
 * What every request handler gets: a way to emit events, and this engine's state. All of it is made
 * in createContext, once per engine: two engines in one process (tests) share nothing.
 */
export interface EngineContext {
  emit: Emit;
  /** Long work: training, imports, exports, t-SNE. */
  jobs: JobRegistry;
  /** Open datasets, shared by imports, training, the views and exports. */
  datasets: Workspace;
  /** Open run sessions of the explorer (and the style tools). */
  sessions: RunSessions;
  /** Runs the export requests keep open between a preview and its export. */
  exportRuns: ExportRuns;
  /** Runs the Compare page has evaluated, kept while their model is unchanged. */
  compareCache: CompareCache;
  /** Files the renderer is sending into a folder of the data directory (a browser's dropped folder). */
  uploads: Uploads;
}

export type Handler<M extends Method> = (params: Params<M>, ctx: EngineContext) => Promise<Result<M>> | Result<M>;
export type HandlerMap = { [M in Method]?: Handler<M> };

/** One engine's state (tests make their own). */
export function createContext(emit: Emit): EngineContext {
  const jobs = new JobRegistry(emit);
  const datasets = new Workspace();
  return { emit, jobs, datasets, sessions: new RunSessions(emit, jobs, datasets.open), exportRuns: new ExportRuns(), compareCache: new CompareCache(), uploads: new Uploads() };
}
