// What the engine keeps open between requests: imported datasets (so training and the views reuse
// them) and the Recent list, saved in the app's data folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, ImportHooks, PreprocessOptions } from './datasets/types.ts';
import { openDataset } from './datasets/index.ts';
import { dataDir } from './paths.ts';
import { writeJsonAtomic } from './files.ts';

export type OpenHooks = ImportHooks;

const opened = new Map<string, Promise<Dataset>>();
/** Datasets kept in memory (a 100,000-image RGB set is over a gigabyte); the least recently used goes first. */
const OPEN_LIMIT = 3;
const RECENT_LIMIT = 12;

function key(ref: string, options: Partial<PreprocessOptions>): string {
  const given = Object.entries(options).filter(([, v]) => v !== undefined);
  return JSON.stringify([ref, given.sort(([a], [b]) => a.localeCompare(b))]);
}

/**
 * Opens a dataset, or reuses the one this engine opened with the same options. `fresh` (the user
 * opening a folder) imports again — from the disk cache when the folder is unchanged, so it stays
 * fast — because the folder may have changed since.
 */
export function getDataset(ref: string, options: Partial<PreprocessOptions> = {}, hooks: OpenHooks = {}, fresh = false): Promise<Dataset> {
  const k = key(ref, options);
  let promise = fresh ? undefined : opened.get(k);
  opened.delete(k); // re-inserted below: Map order is the use order
  if (!promise) {
    const loading = openDataset(ref, options, hooks);
    promise = loading;
    // Also findable by the options it resolved to (what its summary says, e.g. for the dataset page).
    loading.then(
      (dataset) => {
        const resolved = key(ref, dataset.summary.options);
        if (resolved !== k && opened.has(k)) opened.set(resolved, loading);
        trim();
      },
      () => {
        if (opened.get(k) === loading) opened.delete(k);
      },
    );
  }
  opened.set(k, promise);
  trim();
  return promise;
}

/** Keeps at most OPEN_LIMIT datasets (a dataset may stand under two keys: as asked and as resolved). */
function trim(): void {
  while (new Set(opened.values()).size > OPEN_LIMIT) opened.delete(opened.keys().next().value!);
}

function recentFile(): string {
  return join(dataDir(), 'recent.json');
}

export function recentDatasets(): { ref: string; openedAt: string }[] {
  try {
    const list = JSON.parse(readFileSync(recentFile(), 'utf8'));
    return Array.isArray(list) ? list.filter((e) => typeof e?.ref === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberDataset(ref: string): void {
  const list = [{ ref, openedAt: new Date().toISOString() }, ...recentDatasets().filter((e) => e.ref !== ref)];
  writeJsonAtomic(recentFile(), list.slice(0, RECENT_LIMIT));
}
