// Saving and loading tf.LayersModels as folders in the standard TF.js layers format
// (model.json + one weights file), in Node without tfjs-node, and atomic folder writes.
import { randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pausePoint } from './pause-point.ts';

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

/** A model folder (or other run file) that is missing or unreadable; the message names the file and the reason. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** Writes model.json + weights into `dir` (which must exist). */
export async function saveModelToDir(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
}

/**
 * The weights file `p` named in `dir`/model.json, confined to `dir`: an absolute path, '..' or a
 * symbolic link out of the folder would read any file the user can read.
 */
export function weightsPath(dir: string, p: unknown, jsonPath: string): string {
  const root = resolve(dir);
  const file = typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(root, p) : null;
  if (!file || !file.startsWith(root + sep)) throw new ModelFileError(`${jsonPath}: weights path '${String(p).slice(0, 80)}' points outside the model folder`);
  if (existsSync(file) && !realpathSync(file).startsWith(realpathSync(root) + sep))
    throw new ModelFileError(`${jsonPath}: weights path '${String(p).slice(0, 80)}' links outside the model folder`);
  return file;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Loads a folder written by saveModelToDir (or by any TF.js `model.save`); clear errors for missing or corrupt files. */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new ModelFileError(`${jsonPath}: missing (the run folder is incomplete)`);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new ModelFileError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest))
    throw new ModelFileError(`${jsonPath}: not a TF.js layers model (no modelTopology or weightsManifest)`);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    const expected = group.weights.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1) * (DTYPE_BYTES[w.dtype ?? 'float32'] ?? 4), 0);
    let got = 0;
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      const file = weightsPath(dir, p, jsonPath);
      if (!existsSync(file)) throw new ModelFileError(`${file}: missing weights file named in ${jsonPath}`);
      const data = await readFile(file);
      parts.push(data);
      got += data.length;
    }
    if (got !== expected) throw new ModelFileError(`${join(dir, group.paths[0])}: corrupt weights (${got} bytes, expected ${expected})`);
    const joined = new Uint8Array(got);
    let o = 0;
    for (const part of parts) {
      joined.set(part, o);
      o += part.length;
    }
    buffers.push(joined.buffer);
    weightSpecs.push(...group.weights);
  }
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData: tf.io.CompositeArrayBuffer.join(buffers) }),
    );
  } catch (e) {
    throw new ModelFileError(`${jsonPath}: cannot be rebuilt as a model (${(e as Error).message})`);
  }
}

/**
 * Replaces folder `dir` with what `write(tmpDir)` produces, so readers see the old or the new folder, never half of one.
 * Order: write tmp, rename dir -> dir.old, rename tmp -> dir, delete .old. If a crash leaves only `dir.old`,
 * resolveDir() falls back to it.
 */
export async function writeDirAtomic(dir: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const old = `${dir}.old`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await write(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  pausePoint(`${basename(dir)} written`);
  // Only with `dir` in place may an older `.old` go. Without `dir` (a crash between the two renames of an
  // earlier write) `.old` is the only copy: it stays until the new folder has taken `dir`'s place.
  if (existsSync(dir)) {
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
  }
  pausePoint(`${basename(dir)} replacing`);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** `dir` if it exists, else the `dir.old` a crash in writeDirAtomic may have left, else `dir`. */
export function resolveDir(dir: string): string {
  if (existsSync(dir)) return dir;
  if (existsSync(`${dir}.old`)) return `${dir}.old`;
  return dir;
}

/** Writes a file atomically (temp file in the same folder + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }); // a full disk must not leave a hidden half-file behind
    throw e;
  }
}

export async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
