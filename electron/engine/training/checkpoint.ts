// Checkpoints: networks + Adam state + training position, written as one folder atomically,
// so a run killed at any moment (kill -9) resumes from the last one.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from '../../../models/config.ts';
import { resolveDir, saveModelToDir, writeDirAtomic } from '../../../models/io.ts';
import type { VaeModel } from '../../../models/vae.ts';
import type { EpochRecord } from './run-file.ts';
import { loadNetworks, RunLoadError } from './run-file.ts';

/** Running sums of the epoch in progress, so a mid-epoch checkpoint resumes its averages too. */
interface EpochSums {
  images: number;
  loss: number;
  recon: number;
  kl: number;
}

export interface CheckpointState {
  /** completed epochs */
  epoch: number;
  /** steps done in the epoch in progress (0 at an epoch boundary) */
  stepInEpoch: number;
  /** global step count */
  step: number;
  sums: EpochSums;
  history: EpochRecord[];
  snapshots: number[];
  seconds: number;
  pixelLogVar?: number;
  optimizer: { name: string; shape: number[] }[];
  savedAt: string;
}

export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoint');
}

/** Whether the run has a checkpoint to resume from: checkpoint/, or the checkpoint.old a crash mid-save leaves. */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(resolveDir(checkpointDir(runDir)), 'state.json'));
}

/** The networks a model saves, by folder name: encoder, decoder and (semi-supervised) classifier. */
function networksOf(model: VaeModel): [string, tf.LayersModel][] {
  const all: [string, tf.LayersModel | null | undefined][] = [['encoder', model.encoder], ['decoder', model.decoder], ['classifier', model.classifier], ['prior', model.prior], ['adversary', model.adversary]];
  return all.filter((entry): entry is [string, tf.LayersModel] => Boolean(entry[1]));
}

/**
 * Writes each network into dir/<name>/. `atomically` replaces each folder in one rename: a run's own
 * folders, which explorers read while the run trains. Inside a folder that is itself written
 * atomically (a checkpoint, a snapshot) plain writes suffice.
 */
export async function saveNetworks(model: VaeModel, dir: string, { atomically = false } = {}): Promise<void> {
  for (const [name, net] of networksOf(model)) {
    if (atomically) await writeDirAtomic(join(dir, name), (tmp) => saveModelToDir(net, tmp));
    else {
      await mkdir(join(dir, name), { recursive: true });
      await saveModelToDir(net, join(dir, name));
    }
  }
}

export async function saveCheckpoint(runDir: string, model: VaeModel, state: Omit<CheckpointState, 'optimizer' | 'savedAt'>): Promise<void> {
  await writeDirAtomic(checkpointDir(runDir), async (tmp) => {
    await saveNetworks(model, tmp);
    let optimizer: CheckpointState['optimizer'] = [];
    if (state.step > 0) {
      const named = await model.optimizer.getWeights();
      const arrays = await Promise.all(named.map((w) => w.tensor.data()));
      const total = arrays.reduce((a, v) => a + v.length, 0);
      const buf = new Float32Array(total);
      let o = 0;
      for (const a of arrays) {
        buf.set(a, o);
        o += a.length;
      }
      named[0].tensor.dispose(); // the iteration count is a fresh scalar; the moments are the optimizer's own
      optimizer = named.map((w) => ({ name: w.name, shape: w.tensor.shape }));
      await writeFile(join(tmp, 'optimizer.bin'), new Uint8Array(buf.buffer));
    }
    const full: CheckpointState = { ...state, optimizer, savedAt: new Date().toISOString() };
    await writeFile(join(tmp, 'state.json'), JSON.stringify(full)); // NaN and ±Infinity (a diverged run's sums) become null
  });
}

/** The last checkpoint of a run, restored into a new model; null if the run has none. */
export async function loadCheckpoint(runDir: string, config: ModelConfig): Promise<{ model: VaeModel; state: CheckpointState } | null> {
  const dir = resolveDir(checkpointDir(runDir));
  if (!existsSync(dir)) return null;
  const stateFile = join(dir, 'state.json');
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8'));
  } catch (e) {
    throw new RunLoadError(`${stateFile}: missing or corrupt checkpoint state (${(e as Error).message})`);
  }
  const model = await loadNetworks(dir, config, state.pixelLogVar ?? undefined);
  if (state.optimizer.length > 0) {
    const binFile = join(dir, 'optimizer.bin');
    const bytes = await readFile(binFile).catch(() => {
      throw new RunLoadError(`${binFile}: missing optimizer state`);
    });
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const expected = state.optimizer.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
    if (values.length !== expected) {
      model.dispose();
      throw new RunLoadError(`${binFile}: corrupt optimizer state (${values.length} values, expected ${expected})`);
    }
    let o = 0;
    const named = state.optimizer.map((w) => {
      const n = w.shape.reduce((p, d) => p * d, 1);
      const tensor = tf.tensor(values.subarray(o, o + n), w.shape);
      o += n;
      return { name: w.name, tensor };
    });
    await model.optimizer.setWeights(named);
    tf.dispose(named.map((w) => w.tensor)); // setWeights copies them into new variables
  }
  return { model, state };
}
