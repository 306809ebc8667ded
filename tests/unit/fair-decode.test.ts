// A fair VAE's "Decode as" (issue 14): the decoder p(x | z, s) given one value of the private attribute s
// instead of the mixture over s. On a tiny fair run trained here (s = the digit's label): the model's decode
// with an explicit s, the engine's decode requests and exports carrying s through the contract, the
// Reconstructions view's counterfactuals, the checks that name the run and the attribute's values, and the
// CLI's gif --private-value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTraining, type TrainSettings } from '../../electron/engine/training/job.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { encodeImages } from '../../electron/engine/exports/source.ts';
import { checkPrivateValue, parsePrivateValue, privateAttributeOf } from '../../electron/engine/explorer/private-value.ts';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';
import { engineHarness } from './helpers/engine-harness.ts';

let root: string;
const fairDir = () => join(root, 'runs', 'fair');
const vaeDir = () => join(root, 'runs', 'vae');
const ds = mnistSlice(2000);
const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 3, epochs: 2, batchSize: 64, lr: 2e-3, seed: 1, hidden: [128, 32], threads: 1 };

const h = engineHarness();

/** Mean absolute difference of two uint8 images blocks, in 0..1 pixel units. */
const meanDiff = (a: Uint8Array, b: Uint8Array) => {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length / 255;
};

beforeAll(async () => {
  await useWasm();
  root = mkdtempSync(join(tmpdir(), 'le-fair-decode-'));
  process.env.LATENT_EXPLORER_DATA = root;
  await startTraining(ds, { ...base, epochs: 5, model: 'fair-vae', private: 'label', fairReference: false }, fairDir()).done;
  await startTraining(ds, { ...base, epochs: 1 }, vaeDir()).done;
}, 300_000);
afterAll(async () => {
  await h.engine.shutdown();
  rmSync(root, { recursive: true, force: true });
});

describe('the model: decode with an explicit s', () => {
  it('each value of s gives its own image of the same z; the mixture is the prior-weighted average of them; no tensor leaks', async () => {
    const loaded = await loadRun(fairDir());
    const model = loaded.model;
    const fair = loaded.run.model.fair!;
    expect(fair.values).toBe(10);
    const z = tf.tensor2d([[0.3, -0.8, 1.1], [-1, 0.5, 0]]);
    const before = tf.memory().numTensors;
    const perS = Array.from({ length: 10 }, (_, k) => model.decode(z, new Int32Array(2).fill(k)));
    const mixture = model.decode(z);
    expect(tf.memory().numTensors).toBe(before + 11);
    // the trained decoder draws the digit s: the same z as a 1 and as a 0 differ in many pixels (measured 0.04 to 0.1
    // mean absolute difference of the pixel means after these 5 epochs)
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]);
    for (let k = 1; k < 10; k++) expect(diff(perS[k], perS[0])).toBeGreaterThan(0.025);
    expect(diff(perS[7], perS[3])).toBeGreaterThan(0.025);
    const weighted = tf.tidy(() => tf.addN(perS.map((p, k) => tf.mul(p, fair.prior[k]))));
    expect(diff(weighted, mixture)).toBeLessThan(1e-6);
    // and the mixture is none of the single values
    for (const p of perS) expect(diff(p, mixture)).toBeGreaterThan(0.01);
    tf.dispose([...perS, mixture, weighted, z]);
    expect(tf.memory().numTensors).toBe(before - 1);
    loaded.dispose();
  });

  it('the private attribute from the run: its values named as the dataset names them, p(s) from training', async () => {
    const loaded = await loadRun(fairDir());
    const attribute = privateAttributeOf(loaded.run, ds)!;
    expect(attribute.name).toBe('label');
    expect(attribute.values).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(attribute.prior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // without the dataset: the names the run saved with its probe figures
    expect(privateAttributeOf(loaded.run)!.values).toEqual(attribute.values);
    expect(checkPrivateValue(loaded.run, 'R', null)).toBeUndefined();
    expect(checkPrivateValue(loaded.run, 'R', 9)).toBe(9);
    expect(() => checkPrivateValue(loaded.run, 'R', 10)).toThrow("R: s = 10 is not a value of the private attribute 'label' (its values: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9).");
    expect(() => checkPrivateValue(loaded.run, 'R', 1.5)).toThrow(/s = 1.5 is not a value/);
    expect(parsePrivateValue('7', loaded.run, 'R')).toBe(7);
    loaded.dispose();
  });
});

describe('the engine: decode requests carry s', () => {
  it('explorer.open tells the views the attribute; decode, manifold, traversal and walk decode with each value of s', async () => {
    const info = await h.request('explorer.open', { runDir: fairDir() });
    expect(info.privateAttribute).toMatchObject({ name: 'label', values: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    const vaeInfo = await h.request('explorer.open', { runDir: vaeDir() });
    expect(vaeInfo.privateAttribute).toBeUndefined();

    const z = Float32Array.from([0.3, -0.8, 1.1, -1, 0.5, 0]);
    const mixture = (await h.request('explorer.decode', { runDir: fairDir(), z, count: 2 })).pixels;
    expect((await h.request('explorer.decode', { runDir: fairDir(), z, count: 2, privateValue: null })).pixels).toEqual(mixture);
    const perS: Uint8Array[] = [];
    for (let k = 0; k < 10; k++) perS.push((await h.request('explorer.decode', { runDir: fairDir(), z, count: 2, privateValue: k })).pixels);
    for (let k = 1; k < 10; k++) expect(meanDiff(perS[k], perS[0])).toBeGreaterThan(0.02);
    for (const p of perS) expect(meanDiff(p, mixture)).toBeGreaterThan(0.01);

    const grid = (privateValue?: number) => h.request('explorer.manifold', { runDir: fairDir(), dims: [0, 1], range: 2, grid: 5, privateValue }).then((r) => r.pixels as Uint8Array);
    const [gMix, g1, g8] = [await grid(), await grid(1), await grid(8)];
    expect(meanDiff(g1, g8)).toBeGreaterThan(0.02);
    expect(meanDiff(g1, gMix)).toBeGreaterThan(0.01);
    // the manifold with s = 1 is the decode of its codes with s = 1
    const trav = (privateValue?: number) => h.request('explorer.traversal', { runDir: fairDir(), dims: [0], steps: 5, range: 2, privateValue }).then((r) => r.pixels as Uint8Array);
    expect(meanDiff(await trav(2), await trav(5))).toBeGreaterThan(0.02);
    const walk = (privateValue?: number) => h.request('explorer.walk', { runDir: fairDir(), ends: z, steps: 4, path: 'linear', privateValue }).then((r) => r.pixels as Uint8Array);
    const w4 = await walk(4);
    expect(meanDiff(w4, await walk(6))).toBeGreaterThan(0.02);
    // the walk's first step is the first end decoded with s = 4
    expect(w4.subarray(0, 784)).toEqual(perS[4].subarray(0, 784));
  });

  it('a bad s is a clear error naming the run and the values; other models refuse any s', async () => {
    const z = new Float32Array(3);
    await expect(h.request('explorer.decode', { runDir: fairDir(), z, count: 1, privateValue: 12 })).rejects.toMatchObject({
      code: 'bad-input',
      message: `${fairDir()}: s = 12 is not a value of the private attribute 'label' (its values: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9).`,
    });
    await expect(h.request('explorer.manifold', { runDir: fairDir(), dims: [0, 1], range: 2, grid: 3, privateValue: -1 })).rejects.toThrow(/s = -1 is not a value of the private attribute 'label'/);
    await expect(h.request('explorer.walk', { runDir: fairDir(), ends: new Float32Array(6), steps: 3, path: 'linear', privateValue: 'thick' })).rejects.toThrow(/s = "thick" is not a value/);
    await expect(h.request('explorer.traversal', { runDir: vaeDir(), dims: [0], steps: 3, range: 2, privateValue: 0 })).rejects.toThrow(
      `${vaeDir()}: decoding with a value of the private attribute s applies to fair VAE runs only (this run is vae).`,
    );
  });

  it('Reconstructions: each image with its own s, and its code decoded with every value of s', async () => {
    const r = await h.request('explorer.reconstructions', { runDir: fairDir(), count: 6 });
    const c = r.counterfactual;
    expect(c.attribute).toBe('label');
    expect(c.values).toHaveLength(10);
    const per = 784;
    for (const split of ['train', 'test'] as const) {
      const n = r[split].input.length / per;
      const own = split === 'train' ? c.ownTrain : c.ownTest;
      const block = c[split] as Uint8Array;
      expect(block.length).toBe(10 * n * per);
      for (let i = 0; i < n; i++) {
        // the image's own value of s is its reconstruction
        const ownImage = block.subarray((own[i] * n + i) * per, (own[i] * n + i + 1) * per);
        expect(meanDiff(ownImage, r[split].output.subarray(i * per, (i + 1) * per))).toBeLessThan(0.002);
        // s = 0 and s = 1 draw the same code differently
        expect(meanDiff(block.subarray(i * per, (i + 1) * per), block.subarray((n + i) * per, (n + i + 1) * per))).toBeGreaterThan(0.01);
      }
    }
    const vae = await h.request('explorer.reconstructions', { runDir: vaeDir(), count: 2 });
    expect(vae.counterfactual).toBeUndefined();
  });

  it('saved views keep the choice', async () => {
    const view = { version: 1, runDir: fairDir(), tab: 'manifold', embedding: { layout: 'pca', part: 'all', perplexity: 30, iterations: 1000, seed: 1 }, anchor: null, walkTarget: null, selection: null, neighbours: { k: 8, metric: 'euclidean' }, walk: { steps: 10, path: 'spherical' }, sliders: {}, names: [], privateValue: 3 };
    await h.request('explorer.saveView', { view });
    expect((await h.request('explorer.loadView', { runDir: fairDir() })).view.privateValue).toBe(3);
    await h.request('explorer.saveView', { view: { ...view, privateValue: null } });
    expect((await h.request('explorer.loadView', { runDir: fairDir() })).view.privateValue).toBeNull();
    await expect(h.request('explorer.saveView', { view: { ...view, privateValue: 2.5 } })).rejects.toThrow(/privateValue/);
  });

  it('exports: the manifold PNG, traversal GIF and walk decode with the chosen s (its name in the file name); a bad s is refused', async () => {
    const preview = (options: Record<string, unknown>, kind = 'manifold-png') => h.request('export.preview', { kind, runDir: fairDir(), options: { dims: [0, 1], n: 4, scale: 1, ...options } });
    const mix = await preview({});
    const s2 = await preview({ privateValue: 2 });
    const s9 = await preview({ privateValue: 9 });
    expect(s2.fileName).toMatch(/-manifold-z1-z2-s-2\.png$/);
    expect(mix.fileName).toMatch(/-manifold-z1-z2\.png$/);
    expect(Buffer.from(s2.png).equals(Buffer.from(s9.png))).toBe(false);
    expect(Buffer.from(s2.png).equals(Buffer.from(mix.png))).toBe(false);
    // the export's pixels are the view's: same grid, same s
    const view = await h.request('explorer.manifold', { runDir: fairDir(), dims: [0, 1], range: 2.5, grid: 4, privateValue: 2 });
    const again = await preview({ privateValue: 2, range: 2.5 });
    expect(Buffer.from(again.png).equals(Buffer.from(s2.png))).toBe(true);
    expect(view.pixels.length).toBe(16 * 784);
    const gif = await h.request('export.preview', { kind: 'traversal-gif', runDir: fairDir(), options: { dims: [0], frames: 4, scale: 1, privateValue: 5 } });
    expect(gif.options.privateValue).toBe(5);
    const walk = await h.request('export.preview', { kind: 'walk-png', runDir: fairDir(), options: { ends: new Float32Array(6), steps: 3, scale: 1, privateValue: 0 } });
    expect(walk.fileName).toMatch(/-s-0\.png$/);
    await expect(preview({ privateValue: 10 })).rejects.toThrow(`${fairDir()}: s = 10 is not a value of the private attribute 'label' (its values: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9).`);
    await expect(h.request('export.preview', { kind: 'manifold-png', runDir: vaeDir(), options: { dims: [0, 1], privateValue: 0 } })).rejects.toThrow(/applies to fair VAE runs only \(this run is vae\)/);
  });
});

describe('exports encode the dataset\'s images as the explorer does', () => {
  it('with each image\'s own s: the codes of export anchors and tables are the explorer\'s latent means', async () => {
    const l = await h.request('explorer.latents', { runDir: fairDir() });
    const positions = Array.from(l.indices as Int32Array).flatMap((i, p) => (i < 2000 ? [p] : [])).slice(0, 20);
    const loaded = await loadRun(fairDir());
    const means = await encodeImages(loaded, ds.images, positions.map((p) => l.indices[p]));
    positions.forEach((p, k) => {
      for (let j = 0; j < 3; j++) expect(means[k * 3 + j]).toBeCloseTo(l.means[p * 3 + j], 4);
    });
    // encoded as of unknown s, the codes would differ
    const unknown = (await loaded.encode(ds.images.pixels.subarray(l.indices[positions[0]] * 784, (l.indices[positions[0]] + 1) * 784), 1)).means;
    expect(Math.max(...Array.from(unknown, (v, j) => Math.abs(v - l.means[positions[0] * 3 + j])))).toBeGreaterThan(1e-3);
    loaded.dispose();
  });
});

describe('latent-explorer gif --private-value', () => {
  const CLI = resolve('bin/latent-explorer.mjs');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_DATA: root } });

  it('decodes a fair run with the value named or numbered; a value it lacks, or any value for another model, is one line', () => {
    const out = join(root, 'seven.gif');
    const ok = cli('gif', fairDir(), '--dim', '1', '--frames', '4', '--private-value', '7', '--out', out);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/traversal of z1 decoded with label = 7/);
    expect(existsSync(out)).toBe(true);
    const bad = cli('gif', fairDir(), '--dim', '1', '--private-value', 'eleven', '--out', join(root, 'bad.gif'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain("--private-value 'eleven': not a value of the private attribute 'label'");
    expect(bad.stderr).toContain('its values: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9');
    const vae = cli('gif', vaeDir(), '--dim', '1', '--private-value', '0', '--out', join(root, 'vae.gif'));
    expect(vae.status).toBe(2);
    expect(vae.stderr.trim().split('\n')).toHaveLength(1);
    expect(vae.stderr).toContain(`--private-value applies to fair VAE runs only (${vaeDir()} is vae)`);
    expect(existsSync(join(root, 'vae.gif'))).toBe(false);
    // the manifold PNG too, by the value's name
    const grid = cli('grid', fairDir(), '--dims', '1,2', '--n', '3', '--private-value', '4', '--out', join(root, 'four.png'));
    expect(grid.stderr).toBe('');
    expect(grid.status).toBe(0);
    expect(existsSync(join(root, 'four.png'))).toBe(true);
  }, 120_000);
});
