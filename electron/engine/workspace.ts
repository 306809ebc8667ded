// What the engine keeps open between requests: imported datasets (so training and the views reuse
// them) and the Recent list, saved in the app's data folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, PreprocessOptions } from './datasets/types.ts';
import { SAMPLE_MNIST } from './datasets/types.ts';
import { loadSampleMnist } from './datasets/sample.ts';
import { dataDir } from './paths.ts';
import { writeJsonAtomic } from './files.ts';
import { UserError } from '../contract/messages.ts';

export interface OpenHooks {
  signal?: AbortSignal;
  onProgress?: (progress: { fraction?: number; message: string }) => void;
}

const opened = new Map<string, Promise<Dataset>>();
const RECENT_LIMIT = 12;

function key(ref: string, options: Partial<PreprocessOptions>): string {
  return JSON.stringify([ref, Object.entries(options).sort(([a], [b]) => a.localeCompare(b))]);
}

/** Opens (or reuses) a dataset. Folder import lives in datasets/; the sample is built in. */
export function getDataset(ref: string, options: Partial<PreprocessOptions> = {}, hooks: OpenHooks = {}): Promise<Dataset> {
  const k = key(ref, options);
  let promise = opened.get(k);
  if (!promise) {
    promise = loadDataset(ref, options, hooks);
    opened.set(k, promise);
    promise.catch(() => opened.delete(k));
  }
  return promise;
}

async function loadDataset(ref: string, options: Partial<PreprocessOptions>, hooks: OpenHooks): Promise<Dataset> {
  if (ref === SAMPLE_MNIST) {
    hooks.onProgress?.({ fraction: 1, message: 'Loaded the bundled MNIST sample' });
    return loadSampleMnist(options);
  }
  throw new UserError(`${ref}: only the bundled sample (sample:mnist) can be opened in this build.`);
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
