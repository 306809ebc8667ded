// When the engine starts: runs a crashed engine left marked 'running' (or 'paused') are marked
// 'interrupted', so the explorer does not say they train and the Runs list offers Resume; and what
// killed writers left half-written (temporary files and folders) is removed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../paths.ts';
import { removeStaleTemps } from '../temp-files.ts';
import { readRunFile, runJsonPath, updateRunFile } from './run-file.ts';
import { runLockHolder } from './run-lock.ts';

const INTERRUPTED_MESSAGE = 'Training stopped without saving its end (the engine crashed or was killed); resume it from its last checkpoint.';

/** Marks the stale runs of `runsDir` (the data folder's runs/ by default) interrupted; returns their folders. */
export async function recoverInterruptedRuns(runsDir = join(dataDir(), 'runs')): Promise<string[]> {
  removeStaleTemps(dataDir());
  if (!existsSync(runsDir)) return [];
  removeStaleTemps(runsDir);
  const marked: string[] = [];
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const runDir = join(runsDir, entry.name);
    if (!existsSync(runJsonPath(runDir))) continue;
    if (runLockHolder(runDir)) continue; // a live trainer (this engine, another, the CLI): leave it all alone
    removeStaleTemps(runDir);
    removeStaleTemps(join(runDir, 'snapshots'));
    try {
      const run = readRunFile(runDir);
      if (run.status !== 'running' && run.status !== 'paused') continue;
      await updateRunFile(runDir, (current) => {
        if (!current) throw new Error('run.json vanished');
        if (current.status !== 'running' && current.status !== 'paused') return current;
        return { ...current, status: 'interrupted', message: INTERRUPTED_MESSAGE };
      });
      marked.push(runDir);
    } catch {
      // a corrupt run.json is reported when someone opens the run; nothing to mark here
    }
  }
  return marked;
}
