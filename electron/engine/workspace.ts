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
const RECENT_LIMIT = 12;

function key(ref: string, options: Partial<PreprocessOptions>): string {
  return JSON.stringify([ref, Object.entries(options).sort(([a], [b]) => a.localeCompare(b))]);
}

/** Opens (or reuses) a dataset already opened with the same options in this engine. */
export function getDataset(ref: string, options: Partial<PreprocessOptions> = {}, hooks: OpenHooks = {}): Promise<Dataset> {
  const k = key(ref, options);
  let promise = opened.get(k);
  if (!promise) {
    promise = openDataset(ref, options, hooks);
    opened.set(k, promise);
    promise.catch(() => opened.delete(k));
  }
  return promise;
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
