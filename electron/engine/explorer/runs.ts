// The runs a user can explore: those in the data folder's runs/ and the sample runs shipped in
// resources/runs/. A folder that is not a readable run is still listed, with the reason.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunListing } from '../../contract/explorer.ts';
import { dataDir, resourcesDir } from '../paths.ts';
import { readRunFile, runJsonPath } from '../training/run-file.ts';

export function sampleRunsDir(): string | null {
  try {
    const dir = join(resourcesDir(), 'runs');
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

export function dataRunsDir(): string {
  return join(dataDir(), 'runs');
}

function subfolders(dir: string | null): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.') && !e.name.endsWith('.old'))
    .map((e) => join(dir, e.name))
    .filter((p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return false;
      }
    });
}

export function describeRun(runDir: string, source: RunListing['source']): RunListing {
  const listing: RunListing = { runDir, name: basename(runDir), source };
  try {
    const run = readRunFile(runDir);
    Object.assign(listing, {
      objective: run.model.objective,
      arch: run.model.arch,
      latent: run.model.latent,
      style: run.model.objective === 'ssvae' ? run.model.style : 0,
      status: run.status,
      modelEpoch: run.modelEpoch,
      epochs: run.settings.epochs,
      dataset: run.dataset.ref,
      updatedAt: run.updatedAt,
    });
    if (!existsSync(join(runDir, 'decoder')) && !existsSync(join(runDir, 'decoder.old')) && !existsSync(join(runDir, 'checkpoint')))
      listing.error = `${join(runDir, 'decoder')}: no model saved yet${run.status === 'running' ? ' (the first epoch is still training)' : ''}`;
  } catch (e) {
    listing.error = (e as Error).message;
  }
  return listing;
}

/** Runs of the data folder, newest first, then the sample runs. Folders without run.json are skipped. */
export function listRuns(): RunListing[] {
  const data = subfolders(dataRunsDir())
    .filter((d) => existsSync(runJsonPath(d)))
    .map((d) => describeRun(d, 'data'))
    .sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '') || b.name.localeCompare(a.name));
  const samples = subfolders(sampleRunsDir())
    .filter((d) => existsSync(runJsonPath(d)))
    .map((d) => describeRun(d, 'sample'))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [...data, ...samples];
}
