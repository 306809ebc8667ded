// Writing export files: atomic (temporary file in the same folder, then rename) and never replacing an
// existing file or folder unless asked.
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { removeStaleTemps, tempPathFor } from '../temp-files.ts';
import { UserError } from '../../contract/errors.ts';
import type { BundleFile } from './bundle.ts';
import { pausePoint } from '../../../models/pause-point.ts';

/** The output exists and replacing it was not asked for. */
export class OutputExistsError extends UserError {
  constructor(readonly path: string) {
    super(`${path}: already exists (use --force to replace it)`);
  }
}

/** A temporary name next to `path`; what a killed export left there for the same name goes first. */
function tempPath(path: string): string {
  removeStaleTemps(dirname(path), basename(path));
  return tempPathFor(path);
}

/** Throws OutputExistsError when `path` exists and `force` is not set; checks the folder can take it. */
export function checkOutput(path: string, force: boolean): string {
  const full = resolve(path);
  if (existsSync(full) && !force) throw new OutputExistsError(full);
  const parent = dirname(full);
  if (existsSync(parent) && !statSync(parent).isDirectory()) throw new UserError(`${parent}: not a folder, cannot write ${basename(full)} into it`);
  return full;
}

/**
 * Writes `data` to `path` atomically. Without `force` the final step is a hard link, which fails if
 * the file appeared meanwhile, so nothing is ever replaced by accident (rename where links are not supported).
 */
export function writeOutputFile(path: string, data: Uint8Array | string, force: boolean): string {
  const full = checkOutput(path, force);
  mkdirSync(dirname(full), { recursive: true });
  const temp = tempPath(full);
  try {
    writeFileSync(temp, data);
    pausePoint('output written');
    if (force) {
      if (existsSync(full) && statSync(full).isDirectory()) throw new UserError(`${full}: is a folder, not replacing it with a file`);
      renameSync(temp, full);
    } else {
      try {
        linkSync(temp, full);
        unlinkSync(temp);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new OutputExistsError(full);
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
        if (existsSync(full)) throw new OutputExistsError(full);
        renameSync(temp, full); // a file system without hard links (FAT, some network shares)
      }
    }
  } finally {
    if (existsSync(temp)) rmSync(temp, { force: true });
  }
  return full;
}

/**
 * The file every folder bundle holds: a later export may replace a folder only if it has one, so an
 * overwrite never deletes a folder of the user's own files.
 */
export const BUNDLE_MARKER = '.latent-explorer-bundle';
const MARKER_TEXT = 'Written by Latent Explorer as a model bundle. A later bundle export may replace this whole folder.\n';

/**
 * Checks that folder `path` may be written: absent, or (with `force`) a folder that holds an earlier
 * bundle or nothing at all. Anything else is refused whatever `force` says.
 */
export function checkOutputFolder(path: string, force: boolean): string {
  const full = resolve(path);
  if (!existsSync(full)) return checkOutput(full, force);
  if (!statSync(full).isDirectory()) throw new UserError(`${full}: is a file, not replacing it with a bundle folder`);
  const entries = readdirSync(full);
  if (entries.length > 0 && !entries.includes(BUNDLE_MARKER))
    throw new UserError(`${full}: exists and holds no earlier bundle (no ${BUNDLE_MARKER} file); not replacing a folder the app did not write, choose a new folder`);
  if (!force) throw new OutputExistsError(full);
  return full;
}

/**
 * Writes the files (and the bundle marker) into folder `path`, built aside and renamed into place; an
 * existing folder is replaced only with `force` and only if it holds an earlier bundle (checkOutputFolder).
 */
export function writeOutputFolder(path: string, files: BundleFile[], force: boolean): string {
  const full = checkOutputFolder(path, force);
  mkdirSync(dirname(full), { recursive: true });
  const temp = tempPath(full);
  try {
    for (const f of [...files, { path: BUNDLE_MARKER, data: new TextEncoder().encode(MARKER_TEXT) }]) {
      const target = join(temp, ...f.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.data);
    }
    if (existsSync(full)) {
      checkOutputFolder(full, force); // again: the folder may have changed while the files were written
      const old = tempPath(full);
      renameSync(full, old);
      renameSync(temp, full);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(temp, full);
  } finally {
    if (existsSync(temp)) rmSync(temp, { recursive: true, force: true });
  }
  return full;
}
