// The explorer's engine side, driven as a host drives it (messages in, messages out), on small runs
// trained here: run listing, sessions, decode paths, latents, layouts, style names, following a run
// in training, names saved in run.json, and clear errors for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineHarness } from './helpers/engine-harness.ts';
import { useWasm } from './helpers/tf.ts';
import { startTraining, type TrainSettings } from '../../electron/engine/training/job.ts';
import { limits } from '../../electron/engine/explorer/session.ts';
import { MIN_CHANGE, MIN_CORRELATION, MIN_EFFECT } from '../../electron/engine/explorer/style-names.ts';
import { MEASURE_LABELS, MEASURE_NAMES } from '../../electron/engine/explorer/style-measures.ts';
import type { StyleMeasure } from '../../electron/contract/explorer.ts';
import { mnistSlice } from './helpers/sample.ts';

let dataDir: string;



const ds = mnistSlice(3000);
const vaeDir = () => join(dataDir, 'runs', 'vae-2d');
const ssDir = () => join(dataDir, 'runs', 'ssvae-6d');

async function train(settings: TrainSettings, dir: string): Promise<void> {
  await startTraining(ds, settings, dir).done;
}

beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-explorer-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
  await train({ model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 64, lr: 2e-3, seed: 1 }, vaeDir());
  await train({ model: 'ssvae', arch: 'mlp', latent: 6, style: 3, epochs: 2, batchSize: 64, lr: 2e-3, seed: 1 }, ssDir());
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const h = engineHarness();

describe('explorer: runs and sessions', () => {
  it('lists the data folder runs with their model and the reason a folder cannot be opened', async () => {
    mkdirSync(join(dataDir, 'runs', 'broken'), { recursive: true });
    writeFileSync(join(dataDir, 'runs', 'broken', 'run.json'), '{ not json');
    const { runs } = await h.request('explorer.runs');
    const vae = runs.find((r: any) => r.runDir === vaeDir());
    expect(vae).toMatchObject({ name: 'vae-2d', source: 'data', objective: 'vae', latent: 2, status: 'done', modelEpoch: 2 });
    expect(vae.error).toBeUndefined();
    // the sample runs shipped with the app come after the user's
    const sample = runs.findIndex((r: any) => r.source === 'sample');
    expect(sample).toBeGreaterThan(runs.findIndex((r: any) => r.runDir === vaeDir()));
    expect(runs[sample].runDir).toContain(join('resources', 'runs'));
    const broken = runs.find((r: any) => r.name === 'broken');
    expect(broken.error).toMatch(/broken\/run\.json: corrupt, not valid JSON/);
    rmSync(join(dataDir, 'runs', 'broken'), { recursive: true, force: true });
  });

  it('opens a run: its shape, KL per dimension and the encoded test images', async () => {
    const info = await h.request('explorer.open', { runDir: vaeDir() });
    expect(info).toMatchObject({ latent: 2, style: 0, imageSize: 28, channels: 1, ready: true, training: false, capped: false });
    // the sample's stratified 10% test split
    expect(info.count).toBe(info.total);
    expect(info.count).toBeGreaterThan(990);
    expect(info.count).toBeLessThanOrEqual(1000);
    expect(info.classNames).toHaveLength(10);
    expect(info.klPerDim).toHaveLength(2);
    // a trained 2-D VAE uses both dimensions
    for (const kl of info.klPerDim) expect(kl).toBeGreaterThan(0.3);
    expect(info.snapshots).toEqual([1, 2]);
  });

  it('encodes at most the cap of test images, a seeded spread of them, and says so', async () => {
    const saved = limits.maxEncoded;
    limits.maxEncoded = 300;
    try {
      await h.request('explorer.close', { runDir: vaeDir() });
      const info = await h.request('explorer.open', { runDir: vaeDir() });
      expect(info).toMatchObject({ count: 300, capped: true });
      expect(info.total).toBeGreaterThan(990);
      const l = await h.request('explorer.latents', { runDir: vaeDir() });
      expect(l.count).toBe(300);
      expect(l.means.length).toBe(600);
      // spread over the list (and so over the classes), not its first 300
      expect(Math.max(...l.indices)).toBeGreaterThan(8000);
      expect(new Set(l.labels).size).toBe(10);
    } finally {
      limits.maxEncoded = saved;
      await h.request('explorer.close', { runDir: vaeDir() });
    }
  });

  it('names the file and the reason when a folder is not a run', async () => {
    const empty = join(dataDir, 'not-a-run');
    mkdirSync(empty, { recursive: true });
    await expect(h.request('explorer.open', { runDir: empty })).rejects.toThrow(/not-a-run\/run\.json: missing/);
  });
});

describe('explorer: decode paths', () => {
  it('decodes latent codes to uint8 images, one per code, different codes giving different images', async () => {
    const z = Float32Array.from([0, 0, 2, -2, -2, 2]);
    const r = await h.request('explorer.decode', { runDir: vaeDir(), z, count: 3 });
    expect(r.pixels).toBeInstanceOf(Uint8Array);
    expect(r.pixels.length).toBe(3 * 784);
    expect(r).toMatchObject({ count: 3, size: 28, channels: 1, modelEpoch: 2 });
    const img = (k: number): Uint8Array => r.pixels.subarray(k * 784, (k + 1) * 784);
    const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(diff(img(1), img(2))).toBeGreaterThan(10);
    // digits: some ink, mostly background
    const ink = [0, 1, 2].map((k) => img(k).reduce((s, v) => s + (v > 128 ? 1 : 0), 0));
    expect(Math.max(...ink)).toBeGreaterThan(30);
    expect(Math.max(...ink)).toBeLessThan(400);
  });

  it('rejects codes of the wrong size with a bad-input message', async () => {
    await expect(h.request('explorer.decode', { runDir: vaeDir(), z: new Float32Array(3), count: 2 })).rejects.toMatchObject({
      message: expect.stringMatching(/expected 2 codes of 2 values \(4\), got 3/),
      code: 'bad-input',
    });
    await expect(h.request('explorer.decode', { runDir: vaeDir(), z: [0, 0], count: 1 })).rejects.toThrow(/Float32Array/);
  });

  it('decodes a manifold grid, and a snapshot of epoch 1 differs from the final model', async () => {
    const r = await h.request('explorer.manifold', { runDir: vaeDir(), dims: [0, 1], range: 2.5, grid: 20 });
    expect(r.pixels.length).toBe(400 * 784);
    expect(r.grid).toBe(20);
    const early = await h.request('explorer.manifold', { runDir: vaeDir(), dims: [0, 1], range: 2.5, grid: 20, snapshot: 1 });
    expect(early.modelEpoch).toBe(1);
    let d = 0;
    for (let i = 0; i < r.pixels.length; i++) d += Math.abs(r.pixels[i] - early.pixels[i]);
    expect(d / r.pixels.length).toBeGreaterThan(1);
    await expect(h.request('explorer.manifold', { runDir: vaeDir(), dims: [0, 1], range: 2.5, grid: 5, snapshot: 7 })).rejects.toThrow(/no snapshot for epoch 7 \(have 1, 2\)/);
  });

  it('decodes traversal sweeps, one row of steps per dimension, the others at the base', async () => {
    const base = Float32Array.from([0.3, -0.2]);
    const r = await h.request('explorer.traversal', { runDir: vaeDir(), dims: [1, 0], steps: 7, range: 2, base });
    expect(r.pixels.length).toBe(2 * 7 * 784);
    expect(Array.from(r.values)).toEqual(Array.from(Float32Array.from([-2, -2 / 3 * 2, -2 / 3, 0, 2 / 3, 4 / 3, 2])));
    // the middle of the sweep of dim 1 decodes the base with z_1 = 0
    const mid = await h.request('explorer.decode', { runDir: vaeDir(), z: Float32Array.from([0.3, 0]), count: 1 });
    expect(Array.from(r.pixels.subarray(3 * 784, 4 * 784))).toEqual(Array.from(mid.pixels));
  });
});

describe('explorer: encodings, images and layouts', () => {
  it('returns the latent means of the test images with labels and dataset indices', async () => {
    const r = await h.request('explorer.latents', { runDir: vaeDir() });
    expect(r.means).toBeInstanceOf(Float32Array);
    expect(r.means.length).toBe(r.count * 2);
    expect(r.count).toBeGreaterThan(990);
    expect(r.labels).toBeInstanceOf(Int32Array);
    expect(new Set(r.labels).size).toBe(10);
    expect(r.indices.length).toBe(r.count);
    // the means of a trained VAE spread like the prior, roughly
    let s = 0;
    for (const v of r.means) s += v * v;
    expect(Math.sqrt(s / r.means.length)).toBeGreaterThan(0.4);
    expect(Math.sqrt(s / r.means.length)).toBeLessThan(2.5);
  });

  it('gives test images with their reconstructions, and fixed train/test reconstruction grids', async () => {
    const r = await h.request('explorer.images', { runDir: vaeDir(), positions: Int32Array.from([0, 5, 9]), reconstruct: true });
    expect(r.pixels.length).toBe(3 * 784);
    expect(r.reconstructions.length).toBe(3 * 784);
    // the sample is binarised at 0.5: the model's input is black and white
    expect(new Set(r.pixels)).toEqual(new Set([0, 255]));
    const g = await h.request('explorer.reconstructions', { runDir: vaeDir(), count: 8 });
    expect(g.count).toBe(8);
    expect(g.train.input.length).toBe(8 * 784);
    expect(g.test.output.length).toBe(8 * 784);
    // reconstructions resemble their own inputs more than the other inputs do on average (a 2-epoch,
    // 2-D model blurs, so one neighbour may happen to be closer; the average of seven is not)
    const dist = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
    const img = (x: Uint8Array, k: number) => x.subarray(k * 784, (k + 1) * 784);
    let closer = 0;
    for (let k = 0; k < 8; k++) {
      const own = dist(img(g.test.output, k), img(g.test.input, k));
      let others = 0;
      for (let j = 0; j < 8; j++) if (j !== k) others += dist(img(g.test.output, k), img(g.test.input, j)) / 7;
      if (own < others) closer++;
    }
    expect(closer).toBeGreaterThanOrEqual(6);
  });

  it('lays out the latent means with t-SNE, streaming frames, and answers a repeat from the cache', async () => {
    const settings = { runDir: vaeDir(), part: 'all', perplexity: 20, iterations: 300, seed: 1 };
    const { jobId, count } = await h.request('explorer.embed', settings);
    expect(count).toBeGreaterThan(990);
    const last = await h.waitFor('explorer.embedFrame', (f) => f.jobId === jobId && f.done);
    const frames = h.events('explorer.embedFrame').filter((f) => f.jobId === jobId);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0].iteration).toBe(0);
    expect(last.coords).toBeInstanceOf(Float32Array);
    expect(last.coords.length).toBe(2 * count);
    // the layout has spread out from the tiny initialisation
    let spread = 0;
    for (const v of last.coords) spread = Math.max(spread, Math.abs(v));
    expect(spread).toBeGreaterThan(5);
    await h.waitFor('job.done', (d) => d.jobId === jobId);
    const again = await h.request('explorer.embed', settings);
    expect(again.jobId).toBeNull();
    expect(Array.from(again.coords)).toEqual(Array.from(last.coords));
    await expect(h.request('explorer.embed', { ...settings, part: 'style' })).rejects.toThrow(/Only semi-supervised runs have a style part/);
  });
});

describe('explorer: semi-supervised style', () => {
  it('gives class mean codes, and the class part of those codes changes the digit', async () => {
    const info = await h.request('explorer.open', { runDir: ssDir() });
    expect(info).toMatchObject({ objective: 'ssvae', latent: 6, style: 3 });
    const r = await h.request('explorer.classMeans', { runDir: ssDir() });
    expect(r.means.length).toBe(10 * 6);
    expect((Array.from(r.counts) as number[]).reduce((a, b) => a + b, 0)).toBe(info.count);
    // Same style (0), the class part of each class: ten different images.
    const z = new Float32Array(10 * 6);
    for (let k = 0; k < 10; k++) z.set(r.means.subarray(k * 6 + 3, k * 6 + 6), k * 6 + 3);
    const d = await h.request('explorer.decode', { runDir: ssDir(), z, count: 10 });
    const img = (k: number) => d.pixels.subarray(k * 784, (k + 1) * 784);
    const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(diff(img(0), img(1))).toBeGreaterThan(8);
  });

  it('measures the style sweeps and reports correlations for every style dimension', async () => {
    /** Checks each dimension's report against its own measurements; returns how many dimensions were named. */
    const checkNames = (dims: any[]) => {
      const taken = new Set<string>();
      for (const d of dims) {
        expect(Object.keys(d.correlations).sort()).toEqual(['height', 'slant', 'thickness', 'topHeaviness', 'width']);
        for (const v of Object.values(d.correlations) as number[]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
        const corr = d.correlations as Record<StyleMeasure, number>;
        // the strongest measure is the one with the largest |correlation|
        for (const m of MEASURE_NAMES) expect(Math.abs(corr[d.strongest as StyleMeasure])).toBeGreaterThanOrEqual(Math.abs(corr[m]));
        // a dimension is named exactly when one of its measures follows it closely and moves enough
        const qualifying = MEASURE_NAMES.filter((m) => d.effect >= MIN_EFFECT && Math.abs(corr[m]) >= MIN_CORRELATION && d.changes[m] >= MIN_CHANGE[m]);
        if (qualifying.length === 0) {
          expect(d.suggestion).toBeNull();
          expect(d.measure).toBeNull();
        } else {
          expect(qualifying).toContain(d.measure);
          expect(d.correlation).toBe(corr[d.measure as StyleMeasure]);
          expect(Math.abs(d.correlation)).toBeGreaterThanOrEqual(MIN_CORRELATION);
          const label = MEASURE_LABELS[d.measure as StyleMeasure];
          expect(d.suggestion === label || new RegExp(`^${label} \\d$`).test(d.suggestion)).toBe(true);
          if (d.suggestion === label) {
            // each measure names one dimension plainly; another one it fits is numbered ("slant 2")
            expect(taken.has(label)).toBe(false);
            taken.add(label);
          }
        }
      }
      return dims.filter((d) => d.suggestion !== null).length;
    };
    // The 2-epoch fixture: three style dimensions, none of which has learned a clear style yet.
    const { dims } = await h.request('explorer.styleNames', { runDir: ssDir() });
    expect(dims).toHaveLength(3);
    checkNames(dims);
    // The shipped semi-supervised run (30 epochs) has learned styles: some dimensions are named.
    const { runs } = await h.request('explorer.runs');
    const shipped = runs.find((r: any) => r.name === 'mnist-ssvae');
    const named = await h.request('explorer.styleNames', { runDir: shipped.runDir });
    expect(checkNames(named.dims)).toBeGreaterThanOrEqual(1);
    await expect(h.request('explorer.styleNames', { runDir: vaeDir() })).rejects.toThrow(/only semi-supervised runs/);
  });

  it('saves dimension names in run.json', async () => {
    const { names } = await h.request('explorer.setNames', { runDir: ssDir(), names: ['slant', ' width ', '', 'c1', 'c2', 'c3'] });
    expect(names).toEqual(['slant', 'width', 'style 3', 'c1', 'c2', 'c3']);
    const run = JSON.parse(readFileSync(join(ssDir(), 'run.json'), 'utf8'));
    expect(run.dimensionNames).toEqual(names);
    expect((await h.request('explorer.open', { runDir: ssDir() })).dimensionNames).toEqual(names);
    await expect(h.request('explorer.setNames', { runDir: ssDir(), names: ['a'] })).rejects.toThrow(/expected 6 dimension names, got 1/);
  });

  it('keeps names of a shipped sample run in the data folder, leaving the app files alone', async () => {
    const { runs } = await h.request('explorer.runs');
    const sample = runs.find((r: any) => r.source === 'sample' && r.latent === 2);
    const runJson = join(sample.runDir, 'run.json');
    const before = readFileSync(runJson, 'utf8');
    await h.request('explorer.setNames', { runDir: sample.runDir, names: ['thickness', 'tilt'] });
    expect(readFileSync(runJson, 'utf8')).toBe(before);
    expect(JSON.parse(readFileSync(join(dataDir, 'sample-run-names', `${sample.name}.json`), 'utf8'))).toEqual(['thickness', 'tilt']);
    await h.request('explorer.close', { runDir: sample.runDir });
    expect((await h.request('explorer.open', { runDir: sample.runDir })).dimensionNames).toEqual(['thickness', 'tilt']);
  });
});

describe('explorer: a run in training', () => {
  it('opens before the first epoch ends, then follows each saved model', async () => {
    const dir = join(dataDir, 'runs', 'live');
    // Held after epoch 1 until the explorer has seen that model: on an idle machine both epochs can
    // otherwise finish within one of the explorer's one-second polls.
    const job = startTraining(ds, { model: 'vae', arch: 'mlp', latent: 3, epochs: 2, batchSize: 64, lr: 2e-3, seed: 2 }, dir, {
      onEpoch: (e) => {
        if (e.epoch === 1) job.pause();
      },
    });
    // run.json appears at the start of training
    const t0 = Date.now();
    let info: any;
    while (Date.now() - t0 < 20_000) {
      try {
        info = await h.request('explorer.open', { runDir: dir });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(info).toMatchObject({ ready: false, training: true });
    await expect(h.request('explorer.decode', { runDir: dir, z: new Float32Array(3), count: 1 })).rejects.toThrow(/no model saved yet.*first epoch is still training/);
    const first = await h.waitFor('explorer.runUpdated', (e) => e.runDir === dir && e.modelEpoch === 1);
    expect(first.training).toBe(true);
    job.resume();
    const d1 = await h.request('explorer.decode', { runDir: dir, z: new Float32Array(3), count: 1 });
    expect(d1.modelEpoch).toBe(1);
    // Names given while the run trains survive the training job's own rewrites of run.json.
    await h.request('explorer.setNames', { runDir: dir, names: ['thickness', 'tilt', 'z3'] });
    await job.done;
    await h.waitFor('explorer.runUpdated', (e) => e.runDir === dir && e.modelEpoch === 2 && !e.training);
    const d2 = await h.request('explorer.decode', { runDir: dir, z: new Float32Array(3), count: 1 });
    expect(d2.modelEpoch).toBe(2);
    expect(Array.from(d2.pixels)).not.toEqual(Array.from(d1.pixels));
    expect((await h.request('explorer.open', { runDir: dir })).training).toBe(false);
    await expect
      .poll(() => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).dimensionNames, { timeout: 5000 })
      .toEqual(['thickness', 'tilt', 'z3']);
  });
});
