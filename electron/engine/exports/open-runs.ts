// The runs the export requests have open, per engine: a run stays open between a preview and the
// export that follows it; a changed run.json or decoder reopens it.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LoadedRun } from '../training/run-file.ts';
import { loadRun, runJsonPath } from '../training/run-file.ts';

interface OpenRun {
  key: string;
  loaded: Promise<LoadedRun>;
  users: number;
  evicted: boolean;
}
const KEEP_OPEN = 2;

function version(runDir: string): string {
  const stamp = (p: string) => {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return 0;
    }
  };
  return `${stamp(runJsonPath(runDir))}|${stamp(join(runDir, 'decoder', 'model.json'))}`;
}

function release(entry: OpenRun): void {
  entry.users--;
  if (entry.evicted && entry.users === 0) entry.loaded.then((r) => r.dispose(), () => {});
}

export class ExportRuns {
  private readonly openRuns = new Map<string, OpenRun>();

  private evict(runDir: string): void {
    const entry = this.openRuns.get(runDir);
    if (!entry) return;
    this.openRuns.delete(runDir);
    entry.evicted = true;
    if (entry.users === 0) entry.loaded.then((r) => r.dispose(), () => {});
  }

  /** Runs `work` with the run opened (shared with other requests for the same run). */
  async withRun<T>(runDir: string, work: (loaded: LoadedRun) => Promise<T>): Promise<T> {
    const { openRuns } = this;
    const dir = resolve(runDir);
    const key = version(dir);
    let entry = openRuns.get(dir);
    if (entry && entry.key !== key) {
      this.evict(dir);
      entry = undefined;
    }
    if (!entry) {
      entry = { key, loaded: loadRun(dir), users: 0, evicted: false };
      openRuns.set(dir, entry);
      for (const other of openRuns.keys()) if (openRuns.size > KEEP_OPEN && other !== dir) this.evict(other);
    }
    entry.users++;
    try {
      let loaded: LoadedRun;
      try {
        loaded = await entry.loaded;
      } catch (error) {
        this.evict(dir);
        throw error;
      }
      return await work(loaded);
    } finally {
      release(entry);
    }
  }
}
