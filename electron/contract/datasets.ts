// Requests and events of opening and browsing datasets; merged into the contract in api.ts.
import type { DatasetSummary, ImportProgress, PreprocessOptions } from '../engine/datasets/types.ts';

export interface DatasetRequests {
  /** Starts an import job; progress arrives as dataset.progress, the result as dataset.opened. */
  'dataset.open': {
    params: { ref: string; options?: Partial<PreprocessOptions> };
    result: { jobId: string };
  };
  'dataset.recent': { params: Record<string, never>; result: { ref: string; openedAt: string }[] };
}

export interface DatasetEvents {
  'dataset.progress': ImportProgress & { jobId: string };
  'dataset.opened': { jobId: string; summary: DatasetSummary };
}
