// A training process killed with SIGKILL mid-epoch resumes from its last checkpoint and ends where an
// uninterrupted run with the same seed ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { useWasm } from './helpers/tf.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { loadRun, readRunFile } from '../../electron/engine/training/run-file.ts';

const CLI = resolve('bin/latent-explorer.mjs');
const ARGS = ['sample:mnist', '--model', 'vae', '--latent', '2', '--epochs', '2', '--batch', '128', '--seed', '5', '--json'];
let root: string;

beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-resume-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Line = Record<string, unknown> & { event?: string };

/** Runs the CLI; `until(line)` returning true kills it with SIGKILL at that line. */
function runCli(args: string[], until?: (line: Line) => boolean): Promise<{ lines: Line[]; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'train', ...args], { env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      lines.push(line);
      if (until?.(line)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`CLI exited ${code}: ${stderr}`));
      else resolvePromise({ lines, code, signal });
    });
  });
}

describe('resume after kill -9', () => {
  it('loses at most the epoch in progress and finishes like an uninterrupted run', async () => {
    const runDir = join(root, 'killed');
    // kill in the middle of epoch 2, after the epoch-1 checkpoint
    const killed = await runCli([...ARGS, '--out', runDir], (l) => l.event === 'progress' && l.epoch === 2 && (l.stepInEpoch as number) > 20);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines.some((l) => l.event === 'summary')).toBe(false);
    const state = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'state.json'), 'utf8'));
    expect(state).toMatchObject({ epoch: 1, stepInEpoch: 0, step: 71 });
    expect(readRunFile(runDir).status).toBe('running'); // it never got to say goodbye
    (await loadRun(runDir)).dispose(); // the run on disk is whole: epoch 1's model

    const resumed = await runCli([...ARGS, '--out', runDir, '--resume']);
    expect(resumed.code).toBe(0);
    const firstProgress = resumed.lines.find((l) => l.event === 'progress')!;
    expect(firstProgress).toMatchObject({ epoch: 2 });
    expect(firstProgress.step as number).toBeGreaterThan(71); // continued after epoch 1, did not start over
    const summary = resumed.lines.find((l) => l.event === 'summary')!;
    expect(summary).toMatchObject({ status: 'done', epochs: 2, step: 142 });
    expect(readRunFile(runDir).history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(existsSync(join(runDir, 'checkpoint.old'))).toBe(false);

    // the same seed without the interruption, in this process on the same backend
    const reference = await startTraining(loadSampleMnist(), { model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 128, lr: 1e-3, seed: 5 }, join(root, 'reference'), {}).done;
    expect(summary.testLoss as number).toBeCloseTo(reference.testLoss!, 4);
  });
});
