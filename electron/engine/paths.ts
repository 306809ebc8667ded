// Where the engine finds bundled resources and keeps its own data (runs, caches, recent folders).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

/**
 * The app's root folder (package.json, resources/), found by walking up from this file: the engine
 * runs from electron/engine/ (sources) or from out/main/ (the Electron bundle).
 */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources', 'sample'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('the app folder (package.json and resources/) was not found above the engine');
}

/** resources/ at the app's root (LATENT_EXPLORER_RESOURCES overrides it). */
export function resourcesDir(): string {
  return process.env.LATENT_EXPLORER_RESOURCES ?? join(appRoot(), 'resources');
}

/** The app's data folder: LATENT_EXPLORER_DATA, else ~/.latent-explorer. */
export function dataDir(): string {
  return resolve(process.env.LATENT_EXPLORER_DATA ?? join(homedir(), '.latent-explorer'));
}
