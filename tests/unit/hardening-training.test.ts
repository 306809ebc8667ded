// Training never runs twice on one run folder and never silently starts over: --resume without a
// checkpoint is refused (checkpoint.old counts), a second trainer is refused by a cross-process lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import type { TrainSettings } from '../../electron/engine/training/job.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { mnistSlice } from './helpers/sample.ts';
import { LOCK_FILE } from '../../electron/engine/training/run-lock.ts';
import { recoverInterruptedRuns } from '../../electron/engine/training/recover.ts';
import { readRunFile } from '../../electron/engine/training/run-file.ts';
import { listRuns } from '../../electron/engine/explorer/runs.ts';
import { createEngine } from '../../electron/engine/engine.ts';
import type { Message, ReplyMessage } from '../../electron/contract/messages.ts';

const CLI = resolve('bin/latent-explorer.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm' } });
const ds = mnistSlice(600);
const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 128, lr: 1e-3, seed: 3, hidden: [32, 16] };
let root: string;
beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-harden-train-'));
  process.env.LATENT_EXPLORER_DATA = join(root, 'data');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resume needs a checkpoint', () => {
  it('train --resume on a run without a checkpoint is refused in one line and changes nothing', () => {
    const runDir = join(root, 'shipped-copy');
    cpSync('resources/runs/mnist-vae-2d', runDir, { recursive: true });
    const before = readFileSync(join(runDir, 'run.json'), 'utf8');
    const mtime = statSync(join(runDir, 'decoder', 'model.json')).mtimeMs;
    const r = cli('train', 'sample:mnist', '--model', 'vae', '--epochs', '1', '--out', runDir, '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no checkpoint to resume from/);
    expect(readFileSync(join(runDir, 'run.json'), 'utf8')).toBe(before);
    expect(statSync(join(runDir, 'decoder', 'model.json')).mtimeMs).toBe(mtime);
  });

  it('the training job refuses resume without a checkpoint, and accepts the checkpoint.old a crash may leave', async () => {
    const runDir = join(root, 'job');
    await startTraining(ds, base, runDir).done;
    renameSync(join(runDir, 'checkpoint'), join(runDir, 'checkpoint.old'));
    const resumed = await startTraining(ds, { ...base, epochs: 2 }, runDir, { resume: true }).done;
    expect(resumed).toMatchObject({ status: 'done', epochs: 2 });
    // The engine's train.resume takes checkpoint.old too (it refused it before).
    renameSync(join(runDir, 'checkpoint'), join(runDir, 'checkpoint.old'));
    const out: Message[] = [];
    const engine = createEngine((m) => out.push(m));
    await engine.receive({ kind: 'request', id: 1, method: 'train.resume', params: { runDir } });
    const reply = out.find((m): m is ReplyMessage => m.kind === 'reply' && m.id === 1)!;
    expect(reply.error).toBeUndefined();
    await engine.shutdown();
    renameSync(join(runDir, 'checkpoint.old'), join(runDir, 'checkpoint'));
    rmSync(join(runDir, 'checkpoint'), { recursive: true });
    rmSync(join(runDir, 'checkpoint.old'), { recursive: true, force: true });
    expect(() => startTraining(ds, { ...base, epochs: 3 }, runDir, { resume: true })).toThrow(/no checkpoint to resume from/);
  });
});

describe('run names', () => {
  it('two runs started in the same second get different folders, both training', async () => {
    const out: Message[] = [];
    const engine = createEngine((m) => out.push(m));
    const settings = { ...base, epochs: 1 };
    await engine.receive({ kind: 'request', id: 1, method: 'train.start', params: { ref: 'sample:mnist', settings } });
    await engine.receive({ kind: 'request', id: 2, method: 'train.start', params: { ref: 'sample:mnist', settings } });
    const replies = [1, 2].map((id) => out.find((m): m is ReplyMessage => m.kind === 'reply' && m.id === id)!);
    expect(replies.map((r) => r.error)).toEqual([undefined, undefined]);
    const dirs = replies.map((r) => (r.result as { runDir: string }).runDir);
    expect(dirs[0]).not.toBe(dirs[1]);
    await engine.shutdown();
  });
});

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('one trainer per run folder, across processes', () => {
  it('a second trainer, in this process or a CLI --resume, is refused naming the first; the lock goes when it ends', async () => {
    const runDir = join(root, 'locked');
    await startTraining(ds, base, runDir).done;
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
    const first = startTraining(ds, { ...base, epochs: 400 }, runDir, { resume: true });
    const lock = JSON.parse(readFileSync(join(runDir, LOCK_FILE), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid });
    expect(typeof lock.startedAt).toBe('string');
    expect(() => startTraining(ds, { ...base, epochs: 400 }, runDir, { resume: true })).toThrow(new RegExp(`already being trained by process ${process.pid}`));
    const r = cli('train', 'sample:mnist', '--model', 'vae', '--out', runDir, '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`already being trained by process ${process.pid}`));
    first.stop();
    expect((await first.done).status).toBe('stopped');
    expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock whose process is gone (kill -9), and cleans what that process half-wrote', async () => {
    const runDir = join(root, 'stale-lock');
    await startTraining(ds, base, runDir).done;
    const dead = deadPid();
    writeFileSync(join(runDir, LOCK_FILE), JSON.stringify({ pid: dead, startedAt: new Date().toISOString(), processStart: 0, host: (await import('node:os')).hostname() }));
    mkdirSync(join(runDir, `.checkpoint.tmp-${dead}-0123456789ab`));
    writeFileSync(join(runDir, `.checkpoint.tmp-${dead}-0123456789ab`, 'state.json'), '{');
    const summary = await startTraining(ds, { ...base, epochs: 2 }, runDir, { resume: true }).done;
    expect(summary).toMatchObject({ status: 'done', epochs: 2 });
    expect(readdirSync(runDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('engine start after a crash', () => {
  it('marks runs left running interrupted (Resume offered), leaves a live trainer alone, and removes dead writers’ temp files', async () => {
    const runs = join(process.env.LATENT_EXPLORER_DATA!, 'runs');
    const crashed = join(runs, 'crashed');
    const live = join(runs, 'live');
    await startTraining(ds, base, crashed).done;
    await startTraining(ds, base, live).done;
    const file = join(crashed, 'run.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'running' }));
    const dead = deadPid();
    mkdirSync(join(crashed, `.encoder.tmp-${dead}-00aa00aa00aa`));
    writeFileSync(join(crashed, `.run.json.tmp-${dead}-00bb00bb00bb`), '{"half');
    writeFileSync(join(crashed, `.run.json.tmp-${process.pid}-00cc00cc00cc`), 'a write in progress here');
    const training = startTraining(ds, { ...base, epochs: 400 }, live, { resume: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(readRunFile(live).status).toBe('running');

    expect(await recoverInterruptedRuns()).toEqual([crashed]);
    expect(readRunFile(crashed)).toMatchObject({ status: 'interrupted', message: expect.stringMatching(/resume it/) });
    expect(readRunFile(live).status).toBe('running');
    expect(listRuns().find((r) => r.runDir === crashed)?.status).toBe('interrupted');
    expect(readdirSync(crashed).filter((n) => n.includes('.tmp'))).toEqual([`.run.json.tmp-${process.pid}-00cc00cc00cc`]);
    training.stop();
    await training.done;
  });
});
