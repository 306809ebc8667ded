// The atomic write helpers and the checkpoint files, in process (the kill -9 versions are in
// crash-safety.test.ts): what each leaves on disk when it succeeds and when it fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { isDir, resolveDir, writeDirAtomic, writeFileAtomic as writeFileAtomicAsync } from '../../models/io.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../electron/engine/files.ts';
import { BUNDLE_MARKER, checkOutput, OutputExistsError, writeOutputFile, writeOutputFolder } from '../../electron/engine/exports/write.ts';
import { checkpointDir, hasCheckpoint, loadCheckpoint, saveCheckpoint, saveNetworks } from '../../electron/engine/training/checkpoint.ts';
import { loadNetworks } from '../../electron/engine/training/run-file.ts';
import { RunLoadError } from '../../electron/engine/training/run-file.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';

let root: string;
let n = 0;
const fresh = () => {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-atomic-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeDirAtomic', () => {
  it('replaces a folder with the new one and leaves nothing else behind', async () => {
    const parent = fresh();
    const dir = join(parent, 'checkpoint');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'a.txt'), 'one'));
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('one');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'b.txt'), 'two'));
    expect(readdirSync(dir)).toEqual(['b.txt']); // the old folder's files are gone, not merged
    expect(readdirSync(parent)).toEqual(['checkpoint']); // no .old, no temporary folder
  });

  it('a write that fails leaves the old folder as it was and no temporary folder', async () => {
    const parent = fresh();
    const dir = join(parent, 'checkpoint');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'a.txt'), 'one'));
    await expect(
      writeDirAtomic(dir, async (tmp) => {
        writeFileSync(join(tmp, 'half.txt'), 'x');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(parent)).toEqual(['checkpoint']);
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('keeps a .old left by a crash (the only copy) until the new folder is in place, then removes it', async () => {
    const parent = fresh();
    const dir = join(parent, 'checkpoint');
    mkdirSync(`${dir}.old`);
    writeFileSync(join(`${dir}.old`, 'state.json'), '{"epoch":1}');
    expect(resolveDir(dir)).toBe(`${dir}.old`);
    await expect(
      writeDirAtomic(dir, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(join(`${dir}.old`, 'state.json'), 'utf8')).toBe('{"epoch":1}');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'state.json'), '{"epoch":2}'));
    expect(resolveDir(dir)).toBe(dir);
    expect(readdirSync(parent)).toEqual(['checkpoint']);
  });

  it('finishes the job of a crash that left both the new folder and the .old: one folder, no .old', async () => {
    const parent = fresh();
    const dir = join(parent, 'checkpoint');
    mkdirSync(join(dir), { recursive: true });
    writeFileSync(join(dir, 'state.json'), '{"epoch":2}');
    mkdirSync(join(`${dir}.old`, 'encoder'), { recursive: true }); // a .old with a subfolder, as a checkpoint has
    writeFileSync(join(`${dir}.old`, 'encoder', 'model.json'), '{}');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'state.json'), '{"epoch":3}'));
    expect(readdirSync(parent)).toEqual(['checkpoint']);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"epoch":3}');
  });

  it('makes the parent folders it needs (a run\'s first snapshot)', async () => {
    const parent = fresh();
    const dir = join(parent, 'snapshots', 'epoch-0001');
    await writeDirAtomic(dir, async (tmp) => writeFileSync(join(tmp, 'a.txt'), 'one'));
    expect(readdirSync(join(parent, 'snapshots'))).toEqual(['epoch-0001']);
  });

  it('resolveDir: the folder, else its .old, else the folder', () => {
    const parent = fresh();
    const dir = join(parent, 'x');
    expect(resolveDir(dir)).toBe(dir);
    mkdirSync(`${dir}.old`);
    expect(resolveDir(dir)).toBe(`${dir}.old`);
    mkdirSync(dir);
    expect(resolveDir(dir)).toBe(dir);
  });
});

describe('file writes', () => {
  it('writeFileAtomic (sync and async) and writeJsonAtomic replace a file whole and leave no temporary file', async () => {
    const dir = fresh();
    const file = join(dir, 'run.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    writeJsonAtomic(file, { a: 1 });
    expect(readFileSync(file, 'utf8')).toBe('{\n  "a": 1\n}\n');
    await writeFileAtomicAsync(file, new Uint8Array([65, 66]));
    expect(readFileSync(file, 'utf8')).toBe('AB');
    expect(readdirSync(dir)).toEqual(['run.json']);
    // sync version makes the folder
    writeFileAtomic(join(dir, 'sub', 'deep.txt'), 'x');
    expect(readFileSync(join(dir, 'sub', 'deep.txt'), 'utf8')).toBe('x');
    expect(await isDir(join(dir, 'sub'))).toBe(true);
    expect(await isDir(file)).toBe(false);
    expect(await isDir(join(dir, 'none'))).toBe(false);
  });

  it('writeOutputFile: never replaces without force, replaces with it, refuses a folder, leaves no temporary file', () => {
    const dir = fresh();
    const file = join(dir, 'grid.png');
    expect(writeOutputFile(file, 'one', false)).toBe(file);
    expect(() => writeOutputFile(file, 'two', false)).toThrow(OutputExistsError);
    expect(() => writeOutputFile(file, 'two', false)).toThrow(`${file}: already exists (use --force to replace it)`);
    expect(readFileSync(file, 'utf8')).toBe('one');
    writeOutputFile(file, 'two', true);
    expect(readFileSync(file, 'utf8')).toBe('two');
    const folder = join(dir, 'folder.png');
    mkdirSync(folder);
    expect(() => writeOutputFile(folder, 'x', true)).toThrow(/is a folder, not replacing it with a file/);
    // into a folder that does not exist yet
    writeOutputFile(join(dir, 'new', 'deep.png'), 'x', false);
    expect(readFileSync(join(dir, 'new', 'deep.png'), 'utf8')).toBe('x');
    expect(readdirSync(dir).sort()).toEqual(['folder.png', 'grid.png', 'new']);
    expect(readdirSync(folder)).toEqual([]);
    // a parent that is a file
    expect(() => checkOutput(join(file, 'x.png'), false)).toThrow(/not a folder, cannot write x\.png into it/);
    expect(checkOutput(join(dir, 'other.png'), false)).toBe(join(dir, 'other.png'));
  });
});

describe('failed and refused writes', () => {
  it('the async writeFileAtomic that cannot replace its target leaves the target and no temporary file', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'run.json')); // a folder where the file should go: the rename fails
    await expect(writeFileAtomicAsync(join(dir, 'run.json'), 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('checkOutput says an existing file exists (the app then asks before replacing it) unless replacing was asked for', () => {
    const dir = fresh();
    const file = join(dir, 'a.gif');
    writeFileSync(file, 'x');
    expect(() => checkOutput(file, false)).toThrow(OutputExistsError);
    expect(checkOutput(file, true)).toBe(file);
  });

  it('a folder bundle may replace an empty folder (with overwrite) and an earlier bundle, never half-written', () => {
    const dir = fresh();
    const target = join(dir, 'bundle');
    mkdirSync(target);
    expect(() => writeOutputFolder(target, [{ path: 'model.json', data: new Uint8Array([1]) }], false)).toThrow(OutputExistsError);
    writeOutputFolder(target, [{ path: 'model.json', data: new Uint8Array([1]) }], true);
    expect(readdirSync(target).sort()).toEqual([BUNDLE_MARKER, 'model.json'].sort());
    // A write that fails half-way (a file where a folder is needed) leaves the earlier bundle as it was and no temporary folder.
    expect(() => writeOutputFolder(target, [{ path: 'a', data: new Uint8Array([1]) }, { path: 'a/b', data: new Uint8Array([2]) }], true)).toThrow();
    expect(readdirSync(target).sort()).toEqual([BUNDLE_MARKER, 'model.json'].sort());
    expect(readdirSync(dir)).toEqual(['bundle']);
  });
});

describe('checkpoints', () => {
  const config = defaultModelConfig({ latent: 2, hidden: [8] });
  const x = () => tf.tidy(() => tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3).round() as tf.Tensor4D);
  const state = (step: number) => ({ epoch: 1, stepInEpoch: 2, step, sums: { images: 8, loss: 1, recon: 0.5, kl: 0.5 }, history: [], snapshots: [], seconds: 3 });

  it('a run without one has none; a saved one restores the networks and Adam state exactly', async () => {
    const runDir = fresh();
    expect(await loadCheckpoint(runDir, config)).toBeNull();
    const batch = x();
    const model = VaeModel.create(config);
    for (let i = 0; i < 3; i++) await model.trainStep(batch, undefined, i);
    await saveCheckpoint(runDir, model, { ...state(3), pixelLogVar: undefined });
    expect(readdirSync(runDir)).toEqual(['checkpoint']);
    const restored = (await loadCheckpoint(runDir, config))!;
    expect(restored.state).toMatchObject({ epoch: 1, stepInEpoch: 2, step: 3, sums: { images: 8 } });
    expect(restored.state.optimizer.length).toBeGreaterThan(0);
    // the next step is the same step: same weights and the same Adam moments
    const a = await model.trainStep(batch, undefined, 10);
    const b = await restored.model.trainStep(batch, undefined, 10);
    expect(b.loss).toBe(a.loss);
    expect((await model.trainStep(batch, undefined, 11)).loss).toBe((await restored.model.trainStep(batch, undefined, 11)).loss);
    // step 0: no optimizer state is written or needed
    const zero = fresh();
    await saveCheckpoint(zero, model, state(0));
    expect(existsSync(join(checkpointDir(zero), 'optimizer.bin'))).toBe(false);
    const z = (await loadCheckpoint(zero, config))!;
    expect(z.state.optimizer).toEqual([]);
    z.model.dispose();
    restored.model.dispose();
    model.dispose();
    batch.dispose();
  });

  it('a missing or corrupt part is named in the error', async () => {
    const runDir = fresh();
    const model = VaeModel.create(config);
    const batch = x();
    await model.trainStep(batch, undefined, 1);
    await saveCheckpoint(runDir, model, state(1));
    const dir = checkpointDir(runDir);
    const bin = readFileSync(join(dir, 'optimizer.bin'));
    writeFileSync(join(dir, 'optimizer.bin'), bin.subarray(0, bin.length - 4));
    await expect(loadCheckpoint(runDir, config)).rejects.toThrow(RunLoadError);
    await expect(loadCheckpoint(runDir, config)).rejects.toThrow(`${join(dir, 'optimizer.bin')}: corrupt optimizer state (${bin.length / 4 - 1} values, expected ${bin.length / 4})`);
    rmSync(join(dir, 'optimizer.bin'));
    await expect(loadCheckpoint(runDir, config)).rejects.toThrow(`${join(dir, 'optimizer.bin')}: missing optimizer state`);
    writeFileSync(join(dir, 'state.json'), '{"epoch":');
    await expect(loadCheckpoint(runDir, config)).rejects.toThrow(new RegExp(`^${join(dir, 'state.json')}: missing or corrupt checkpoint state`));
    model.dispose();
    batch.dispose();
  });

  it('says whether a run can resume: a checkpoint, or the checkpoint.old a crash mid-save left, with its state file', async () => {
    const runDir = fresh();
    expect(hasCheckpoint(runDir)).toBe(false);
    const model = VaeModel.create(config);
    await saveCheckpoint(runDir, model, state(0));
    expect(hasCheckpoint(runDir)).toBe(true);
    renameSync(checkpointDir(runDir), `${checkpointDir(runDir)}.old`);
    expect(hasCheckpoint(runDir)).toBe(true);
    rmSync(join(`${checkpointDir(runDir)}.old`, 'state.json'));
    expect(hasCheckpoint(runDir)).toBe(false);
    model.dispose();
  });

  it('restores the semi-supervised classifier and a learned pixel variance, and leaks no tensors', async () => {
    const ss = defaultModelConfig({ objective: 'ssvae', latent: 6, style: 2, numClasses: 4, hidden: [8], likelihood: 'gaussian', gaussianStd: 'learned' });
    const runDir = fresh();
    const model = VaeModel.create(ss);
    const batch = x();
    await model.trainStep(batch, new Int32Array([0, 1, -1, 3]), 1);
    await saveCheckpoint(runDir, model, { ...state(1), pixelLogVar: -2.5 });
    const before = tf.memory().numTensors;
    const restored = (await loadCheckpoint(runDir, ss))!;
    expect(await restored.model.pixelLogVarValue()).toBeCloseTo(-2.5, 6);
    const a = model.classify(batch);
    const b = restored.model.classify(batch);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    restored.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    batch.dispose();
  });

  it('saves networks into folders it makes, and atomically replaces a run\'s own network folders whole', async () => {
    const model = VaeModel.create(config);
    const nested = join(fresh(), 'snapshots', 'epoch-0002');
    await saveNetworks(model, nested);
    (await loadNetworks(nested, config)).dispose();
    const runDir = fresh();
    mkdirSync(join(runDir, 'encoder'));
    writeFileSync(join(runDir, 'encoder', 'stale-shard.bin'), 'left by an older save');
    await saveNetworks(model, runDir, { atomically: true });
    expect(readdirSync(join(runDir, 'encoder'))).not.toContain('stale-shard.bin');
    expect(readdirSync(runDir).sort()).toEqual(['decoder', 'encoder']);
    (await loadNetworks(runDir, config)).dispose();
    model.dispose();
  });
});
