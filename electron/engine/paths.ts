// Where the engine finds bundled resources and keeps its own data (runs, caches, recent folders).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

/** resources/ at the repo root, found by walking up from this file (works from source and from out/). */
export function resourcesDir(): string {
  if (process.env.LATENT_EXPLORER_RESOURCES) return process.env.LATENT_EXPLORER_RESOURCES;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources');
    if (existsSync(join(candidate, 'sample'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('resources/ folder not found next to the app');
}

/** The app's data folder: LATENT_EXPLORER_DATA, else ~/.latent-explorer. */
export function dataDir(): string {
  return resolve(process.env.LATENT_EXPLORER_DATA ?? join(homedir(), '.latent-explorer'));
}
