// Temporary files of atomic writes carry the writer's pid, so what a killed process left behind is
// recognised and removed — in run folders when training or the engine starts, in an export's folder
// when the next export writes there — while a live writer's files are left alone.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from './processes.ts';

/** The temporary name for an atomic write of `path`: hidden, in the same folder, with our pid. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

// .NAME.PID-HEX.tmp (tempPathFor), .NAME.tmp-PID-HEX (models/io.ts), and .NAME.HEX.tmp from before pids were recorded.
const WITH_PID = [/^\.(.+)\.(\d+)-[0-9a-f]+\.tmp$/, /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/];
const LEGACY = /^\.(.+)\.[0-9a-f]{8}\.tmp$/;
/** A legacy temporary file (no pid) older than this is no write in progress. */
const LEGACY_AGE_MS = 60 * 60 * 1000;

/**
 * Removes the temporary files and folders in `dir` whose writer is gone (only those of `forName`
 * when given). Returns the names removed. Never throws: cleaning is best effort.
 */
export function removeStaleTemps(dir: string, forName?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.')) continue;
    let target: string | null = null;
    let stale = false;
    for (const pattern of WITH_PID) {
      const m = pattern.exec(name);
      if (m) {
        target = m[1];
        stale = !isProcessAlive(Number(m[2]));
        break;
      }
    }
    if (target === null) {
      const m = LEGACY.exec(name);
      if (!m) continue;
      target = m[1];
      try {
        stale = Date.now() - lstatSync(join(dir, name)).mtimeMs > LEGACY_AGE_MS;
      } catch {
        continue;
      }
    }
    if (!stale || (forName !== undefined && target !== forName)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove after all (permissions): leave it
    }
  }
  return removed;
}
