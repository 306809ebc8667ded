// What the engine keeps open between requests: imported datasets (so training and the views reuse
// them) and the Recent list, saved in the app's data folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError } from '../contract/errors.ts';
import type { Dataset, DatasetOpener, ImportHooks, PreprocessOptions } from './datasets/types.ts';
import { openDataset } from './datasets/index.ts';
import { dataDir } from './paths.ts';
import { writeJsonAtomic } from './files.ts';

export type OpenHooks = ImportHooks;

interface Load {
  promise: Promise<Dataset>;
  /** Stops the import; used when every caller waiting on it has cancelled. */
  controller: AbortController;
  /** Callers still waiting (a caller without a signal never stops waiting). */
  waiting: number;
  settled: boolean;
}

/** Datasets kept in memory (a 100,000-image RGB set is over a gigabyte); the least recently used goes first. */
const OPEN_LIMIT = 3;
const RECENT_LIMIT = 12;

function key(ref: string, options: Partial<PreprocessOptions>): string {
  const given = Object.entries(options).filter(([, v]) => v !== undefined);
  return JSON.stringify([ref, given.sort(([a], [b]) => a.localeCompare(b))]);
}

/** The datasets one engine has open (made in createEngine; two engines share nothing). */
export class Workspace {
  private readonly opened = new Map<string, Load>();

  /**
   * Opens a dataset, or reuses the one this engine opened with the same options. `fresh` (the user
   * opening a folder) imports again — from the disk cache when the folder is unchanged, so it stays
   * fast — because the folder may have changed since. A load is shared by everyone who asks for it:
   * one caller's Cancel stops only that caller's wait, and the import itself stops when all have cancelled.
   */
  getDataset(ref: string, options: Partial<PreprocessOptions> = {}, hooks: OpenHooks = {}, fresh = false): Promise<Dataset> {
    const { opened } = this;
    const k = key(ref, options);
    let load = fresh ? undefined : opened.get(k);
    opened.delete(k); // re-inserted below: Map order is the use order
    if (!load) {
      const controller = new AbortController();
      const promise = openDataset(ref, options, { onProgress: hooks.onProgress, signal: controller.signal });
      const started: Load = { promise, controller, waiting: 0, settled: false };
      load = started;
      promise.then(
        (dataset) => {
          started.settled = true;
          // Also findable by the options it resolved to (what its summary says, e.g. for the dataset page).
          const resolved = key(ref, dataset.summary.options);
          if (resolved !== k && opened.get(k) === started) opened.set(resolved, started);
          this.trim();
        },
        () => {
          started.settled = true;
          this.forget(started);
        },
      );
    }
    opened.set(k, load);
    this.trim();
    return this.wait(load, hooks.signal);
  }

  /** `getDataset` as a DatasetOpener, for modules that only open datasets. */
  readonly open: DatasetOpener = (ref, options, hooks) => this.getDataset(ref, options, hooks);

  /** The load's dataset for one caller, who may stop waiting on its own signal. */
  private wait(load: Load, signal?: AbortSignal): Promise<Dataset> {
    if (!signal) {
      load.waiting = Infinity;
      return load.promise;
    }
    if (signal.aborted) return Promise.reject(new CancelledError());
    load.waiting++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(new CancelledError());
        if (--load.waiting === 0 && !load.settled) {
          load.controller.abort();
          this.forget(load); // at once: the next caller must start afresh, not join the stopping load
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      load.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private forget(load: Load): void {
    for (const [name, entry] of this.opened) if (entry === load) this.opened.delete(name);
  }

  /** Keeps at most OPEN_LIMIT datasets (a dataset may stand under two keys: as asked and as resolved). */
  private trim(): void {
    while (new Set(this.opened.values()).size > OPEN_LIMIT) this.opened.delete(this.opened.keys().next().value!);
  }
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

/** Takes a dataset off the Recent list (its folder was deleted). */
export function forgetDataset(ref: string): void {
  const list = recentDatasets();
  const kept = list.filter((e) => e.ref !== ref);
  if (kept.length !== list.length) writeJsonAtomic(recentFile(), kept);
}
