// No request can exhaust memory: every numeric setting is bounded (contract and CLI), and a training
// job, a t-SNE and an export are estimated before anything is allocated and refused over the limit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';
import type { TrainSettings } from '../../electron/engine/training/job.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { checkSettings } from '../../electron/engine/training/settings.ts';
import { estimateTrainingBytes, memoryLimit } from '../../electron/engine/memory.ts';
import { createEngine } from '../../electron/engine/engine.ts';
import type { EventMessage, Message, ReplyMessage } from '../../electron/contract/messages.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { sourceFor } from '../../electron/engine/exports/source.ts';
import { produceExport } from '../../electron/engine/exports/exporter.ts';

const CLI = resolve('bin/latent-explorer.mjs');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', ...env } });
const ds = mnistSlice(300);
const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 64, lr: 1e-3, seed: 3 };
let root: string;
beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-harden-mem-'));
  process.env.LATENT_EXPLORER_DATA = join(root, 'data');
});
afterEach(() => delete process.env.LATENT_EXPLORER_MEMORY_LIMIT);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bounded settings', () => {
  it('refuses unbounded numbers in one line each: samples 1e7, a hidden layer of 1e9, epochs 1e9, beta 1e9', () => {
    const cases: Array<[Partial<TrainSettings>, RegExp]> = [
      [{ samples: 1e7 }, /samples must be a whole number from 1 to 64/],
      [{ hidden: [1e9] }, /hidden must be 1 to 8 layer widths, each a whole number from 1 to 8192/],
      [{ hidden: Array(20).fill(16) }, /hidden must be 1 to 8 layer widths/],
      [{ epochs: 1e9 }, /epochs must be a whole number from 1 to 100000/],
      [{ beta: 1e9 }, /beta must be a number from 0 to 1000/],
      [{ seed: 2 ** 40 }, /seed must be a whole number from 0 to 4294967295/],
    ];
    for (const [change, message] of cases) expect(() => checkSettings({ ...base, ...change }, ds), JSON.stringify(change)).toThrow(message);
  });

  it('the CLI bounds its flags the same way', () => {
    const r = cli(['train', 'sample:mnist', '--model', 'vae', '--samples', '10000000', '--out', join(root, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--samples must be a whole number from 1 to 64/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});

describe('memory estimates before allocating', () => {
  it('a training job over the limit is refused with its estimate before any tensor exists', () => {
    const before = tf.memory().numTensors;
    const huge: TrainSettings = { ...base, batchSize: 4096, samples: 64, hidden: [8192, 8192] };
    expect(estimateTrainingBytes({ arch: 'mlp', imageSize: 28, channels: 1, latent: 2, hidden: [8192, 8192], numClasses: 0, samples: 64, convFilters: [32, 64] }, 4096)).toBeGreaterThan(memoryLimit().bytes);
    expect(() => startTraining(ds, huge, join(root, 'huge'))).toThrow(/Training with these settings would need about [\d.]+ GB of memory, more than the limit of .*half this machine's memory/);
    expect(tf.memory().numTensors).toBe(before);
    expect(existsSync(join(root, 'huge'))).toBe(false);
  });

  it('the limit is settable (LATENT_EXPLORER_MEMORY_LIMIT) and an ordinary job fits the default', async () => {
    process.env.LATENT_EXPLORER_MEMORY_LIMIT = '16M';
    expect(memoryLimit().bytes).toBe(16 * 2 ** 20);
    expect(() => startTraining(ds, base, join(root, 'small-limit'))).toThrow(/more than the limit of 16 MB \(LATENT_EXPLORER_MEMORY_LIMIT/);
    delete process.env.LATENT_EXPLORER_MEMORY_LIMIT;
    expect((await startTraining(ds, base, join(root, 'fits')).done).status).toBe('done');
  });

  it('train.start with samples 1e7 fails at once, and the engine does not grow', async () => {
    const out: Message[] = [];
    const engine = createEngine((m) => out.push(m));
    const rss = process.memoryUsage().rss;
    await engine.receive({ kind: 'request', id: 1, method: 'train.start', params: { ref: 'sample:mnist', settings: { ...base, samples: 1e7 } } });
    expect((out.find((m) => m.kind === 'reply') as ReplyMessage).error).toBeUndefined();
    let failed: EventMessage | undefined;
    for (let waited = 0; !failed && waited < 60_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
      failed = out.find((m): m is EventMessage => m.kind === 'event' && m.name === 'train.state' && (m.data as { state: string }).state === 'failed');
    }
    expect((failed!.data as { message: string }).message).toMatch(/samples must be a whole number from 1 to 64/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(300 * 2 ** 20);
    await engine.shutdown();
  });

  it('an export over the limit is refused with its size before its frames are rendered', async () => {
    const loaded = await loadRun('resources/runs/mnist-vae-2d');
    try {
      process.env.LATENT_EXPLORER_MEMORY_LIMIT = '65M';
      await expect(produceExport(sourceFor(loaded), { kind: 'traversal-gif', options: { frames: 60, scale: 8 } })).rejects.toThrow(/traversal-gif export \(\d+ frames of \d+×\d+ px\) would need about/);
    } finally {
      loaded.dispose();
    }
  });

  it('embed says the size and expected time before a t-SNE, and refuses a CSV too large to read', () => {
    const file = join(root, 'vectors.csv');
    const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${i % 5}`);
    writeFileSync(file, rows.join('\n') + '\n');
    const ok = cli(['embed', file, '--out', join(root, 'coords.csv'), '--iterations', '50', '--perplexity', '5']);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/60 vectors of 3 dimensions \(\d+ MB\); t-SNE needs about \d+ MB and about \d+ s on two cores/);
    const big = cli(['embed', file, '--out', join(root, 'coords2.csv')], { LATENT_EXPLORER_MEMORY_LIMIT: '1K' });
    expect(big.status).toBe(2);
    expect(big.stderr.trim().split('\n')).toHaveLength(1);
    expect(big.stderr).toMatch(/Reading .*vectors\.csv .* would need about/);
  });
});
