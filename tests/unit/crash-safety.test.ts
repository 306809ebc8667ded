// kill -9 in the middle of a write: a CLI process is stopped at a pause point inside the write
// (LATENT_EXPLORER_PAUSE_AT, models/pause-point.ts), killed there, and what it leaves on disk is checked:
// the previous checkpoint intact and loadable, the previous export file untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { useWasm } from './helpers/tf.ts';
import { loadCheckpoint } from '../../electron/engine/training/checkpoint.ts';
import { loadRun, readRunFile } from '../../electron/engine/training/run-file.ts';

const CLI = resolve('bin/latent-explorer.mjs');
const TRAIN = ['train', 'sample:mnist', '--model', 'vae', '--latent', '2', '--epochs', '2', '--batch', '512', '--seed', '4', '--json'];
// Each test starts the CLI several times (TypeScript, TF.js and the sample load on every start).
const SLOW = 600_000;
let root: string;

beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-crash-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Runs the CLI. With `pauseAt`, waits until it reports that pause point, kills it with SIGKILL there and
 * resolves with signal 'SIGKILL'; a run that ends without reaching the point rejects.
 */
function runCli(args: string[], pauseAt?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LATENT_EXPLORER_DATA: join(root, 'data') };
    if (pauseAt) env.LATENT_EXPLORER_PAUSE_AT = pauseAt;
    else delete env.LATENT_EXPLORER_PAUSE_AT;
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let paused = false;
    child.stdout.on('data', (d) => (stdout += d));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr += `${line}\n`;
      if (pauseAt && line === `paused at ${pauseAt.replace(/@\d+$/, '')}`) {
        paused = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pauseAt && !paused) reject(new Error(`never reached ${pauseAt} (exit ${code ?? signal}): ${stderr}`));
      else resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

const lastEpochOf = (runDir: string, dir = 'checkpoint') => JSON.parse(readFileSync(join(runDir, dir, 'state.json'), 'utf8')).epoch as number;

describe('kill -9 while a checkpoint is written', () => {
  it('with the new checkpoint complete beside the old one: the old one is intact, loads, and the run resumes', async () => {
    const runDir = join(root, 'killed-written');
    // the second checkpoint write is the one at the end of epoch 2
    const killed = await runCli([...TRAIN, '--out', runDir], 'checkpoint written@2');
    expect(killed.signal).toBe('SIGKILL');
    expect(lastEpochOf(runDir)).toBe(1);
    const restored = await loadCheckpoint(runDir, readRunFile(runDir).model);
    expect(restored!.state).toMatchObject({ epoch: 1, stepInEpoch: 0 });
    restored!.model.dispose();
    await finishes(runDir);
  }, SLOW);

  it('between its two renames, twice in a row: checkpoint.old is the checkpoint, and is kept until a new one is in place', async () => {
    const runDir = join(root, 'killed-replacing');
    // 1. the epoch-1 checkpoint renamed to checkpoint.old, the epoch-2 one not yet in its place
    expect((await runCli([...TRAIN, '--out', runDir], 'checkpoint replacing@2')).signal).toBe('SIGKILL');
    expect(existsSync(join(runDir, 'checkpoint'))).toBe(false);
    expect(lastEpochOf(runDir, 'checkpoint.old')).toBe(1);
    const restored = await loadCheckpoint(runDir, readRunFile(runDir).model);
    expect(restored!.state).toMatchObject({ epoch: 1, stepInEpoch: 0 });
    restored!.model.dispose();
    (await loadRun(runDir)).dispose(); // the run's own model folders are whole too
    // 2. the resumed run killed at the same point of its first checkpoint write: with no checkpoint/ to move
    //    aside, checkpoint.old is still the only copy and must not have been deleted first
    expect((await runCli([...TRAIN, '--out', runDir, '--resume'], 'checkpoint replacing@1')).signal).toBe('SIGKILL');
    expect(lastEpochOf(runDir, 'checkpoint.old')).toBe(1);
    const again = await loadCheckpoint(runDir, readRunFile(runDir).model);
    expect(again!.state).toMatchObject({ epoch: 1, stepInEpoch: 0 });
    again!.model.dispose();
    // 3. and it still finishes
    await finishes(runDir);
  }, SLOW);
});

/** Resumes the run to its end: done, both epochs in its history, one checkpoint at epoch 2 and no .old. */
async function finishes(runDir: string): Promise<void> {
  const resumed = await runCli([...TRAIN, '--out', runDir, '--resume']);
  expect(resumed.code, resumed.stderr).toBe(0);
  const summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ event: 'summary', status: 'done', epochs: 2 });
  expect(lastEpochOf(runDir)).toBe(2);
  expect(existsSync(join(runDir, 'checkpoint.old'))).toBe(false);
  expect(readRunFile(runDir).history.map((h) => h.epoch)).toEqual([1, 2]);
}

describe('kill -9 while an export is written', () => {
  const GRID = ['grid', 'resources/runs/mnist-vae-2d', '--dims', '1,2', '--n', '6', '--scale', '1'];

  it('replacing a file (--force): the previous file is untouched; a new file is not there at all', async () => {
    const dir = join(root, 'exports');
    const before = join(dir, 'grid.png');
    // a previous export, written normally
    expect((await runCli([...GRID, '--out', before])).code).toBe(0);
    const previous = readFileSync(before);
    expect(previous.subarray(1, 4).toString('latin1')).toBe('PNG');

    const replaced = await runCli([...GRID, '--n', '9', '--out', before, '--force'], 'output written');
    expect(replaced.signal).toBe('SIGKILL');
    expect(readFileSync(before).equals(previous)).toBe(true);

    const fresh = join(dir, 'fresh.png');
    const created = await runCli([...GRID, '--out', fresh], 'output written');
    expect(created.signal).toBe('SIGKILL');
    expect(existsSync(fresh)).toBe(false);
    // what the killed writes leave are hidden temporary files beside the target, never a partial target
    for (const name of readdirSync(dir).filter((n) => n !== 'grid.png')) expect(name).toMatch(/^\.(grid|fresh)\.png\.\d+-[0-9a-f]+\.tmp$/);

    // and the next export writes over it as usual
    expect((await runCli([...GRID, '--n', '9', '--out', before, '--force'])).code).toBe(0);
    expect(readFileSync(before).equals(previous)).toBe(false);
  }, SLOW);
});
