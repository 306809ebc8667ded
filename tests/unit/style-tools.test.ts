// The style tools as the app and the CLI use them, on a copy of the shipped semi-supervised run: the
// style report, directions defined from test images and from files (saved in the run folder, swept in a
// GIF by name), style transfer in the app and as `grid --style-of`, and the messages for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { engineHarness } from './helpers/engine-harness.ts';
import { useWasm } from './helpers/tf.ts';

const SAMPLE = resolve('resources/runs/mnist-ssvae');
const CLI = resolve('bin/latent-explorer.mjs');
let dataDir: string;
let runDir: string;

const { request } = engineHarness();
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_DATA: dataDir } });

/** A test image as a PNG file, 4× larger and dark ink on white (as a scan would be). */
async function pngOf(pixels: Uint8Array, path: string): Promise<Uint8Array> {
  const inverted = Buffer.from(pixels.map((v) => 255 - v));
  await sharp(inverted, { raw: { width: 28, height: 28, channels: 1 } }).resize(112, 112, { kernel: 'nearest' }).png().toFile(path);
  return new Uint8Array(readFileSync(path));
}

let style = 0;
beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-style-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
  runDir = join(dataDir, 'runs', 'ssvae-copy');
  cpSync(SAMPLE, runDir, { recursive: true });
  style = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).model.style;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('style report (engine)', () => {
  it('reports every style dimension with KL as the explorer shows it, sorted by KL, and answers again from its cache', async () => {
    const info = await request('explorer.open', { runDir });
    const r = await request('style.report', { runDir });
    expect(r.dims).toHaveLength(style);
    for (let i = 0; i < r.dims.length; i++) {
      const d = r.dims[i];
      expect(d.kl).toBeCloseTo(info.klPerDim[d.dim], 4);
      if (i) expect(r.dims[i - 1].kl).toBeGreaterThanOrEqual(d.kl);
      expect(d.leakingClasses.length / 10).toBeCloseTo(d.leakage, 9);
    }
    const t0 = performance.now();
    const again = await request('style.report', { runDir });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(again.dims).toEqual(r.dims);
    await expect(request('style.report', { runDir: resolve('resources/runs/mnist-vae-2d') })).rejects.toThrow(/only semi-supervised runs/);
  });
});

describe('style directions (engine)', () => {
  let top: Int32Array;
  let bottom: Int32Array;
  let topDim = 0;

  it('turns two lassoed groups into a unit z^X vector along the style they differ in, saved in the run folder', async () => {
    const { dims } = await request('style.report', { runDir });
    topDim = dims[0].dim; // the dimension with the most KL
    const latents = await request('explorer.latents', { runDir });
    const L = latents.latent;
    // The 60 test images highest and lowest along that dimension, whatever their class.
    const order = Array.from({ length: latents.count }, (_, i) => i).sort((a, b) => latents.means[b * L + topDim] - latents.means[a * L + topDim]);
    top = Int32Array.from(order.slice(0, 60));
    bottom = Int32Array.from(order.slice(-60));
    const { direction, directions } = await request('style.defineDirection', { runDir, name: 'Top dim', a: { positions: top }, b: { positions: bottom } });
    expect(direction.vector).toHaveLength(style);
    expect(Math.hypot(...direction.vector)).toBeCloseTo(1, 5);
    expect(Math.abs(direction.vector[topDim])).toBeGreaterThan(0.8);
    expect(direction.vector[topDim]).toBeGreaterThan(0); // A (high) minus B (low)
    expect(direction.at.a - direction.at.b).toBeCloseTo(direction.norm, 4);
    expect(direction.groups.a).toMatchObject({ count: 60, source: 'test images' });
    expect(direction.groups.a.classCounts.reduce((s: number, v: number) => s + v, 0)).toBe(60);
    expect(direction.report.leakage).toBeGreaterThanOrEqual(0);
    expect(directions.map((d: any) => d.name)).toEqual(['Top dim']);
    const saved = JSON.parse(readFileSync(join(runDir, 'style-directions.json'), 'utf8'));
    expect(saved.directions[0].name).toBe('Top dim');
    expect((await request('style.directions', { runDir })).directions).toHaveLength(1);
  });

  it('gives the same direction from the same images as files (scanned-looking PNGs are inverted to the training polarity)', async () => {
    const a = await request('explorer.images', { runDir, positions: top.subarray(0, 12) });
    const b = await request('explorer.images', { runDir, positions: bottom.subarray(0, 12) });
    const files = async (block: any, tag: string) => {
      const out = [];
      for (let i = 0; i < 12; i++) out.push({ name: `${tag}${i}.png`, bytes: await pngOf(block.pixels.subarray(i * 784, (i + 1) * 784), join(dataDir, `${tag}${i}.png`)) });
      return out;
    };
    const fromFiles = await request('style.defineDirection', { runDir, name: 'From files', a: { files: await files(a, 'a') }, b: { files: await files(b, 'b') } });
    const fromTests = await request('style.defineDirection', { runDir, name: 'From tests', a: { positions: top.subarray(0, 12) }, b: { positions: bottom.subarray(0, 12) } });
    expect(fromFiles.direction.groups.a.source).toBe('files');
    // labels (tests) and the classifier's guesses (files) may centre a few images differently
    const cos = fromFiles.direction.vector.reduce((s: number, v: number, j: number) => s + v * fromTests.direction.vector[j], 0);
    expect(cos).toBeGreaterThan(0.95);
  });

  it('refuses a taken name, a dimension\'s name, empty groups and files that are not images, in one line each', async () => {
    const a = { positions: top.subarray(0, 5) };
    const b = { positions: bottom.subarray(0, 5) };
    await expect(request('style.defineDirection', { runDir, name: 'top DIM', a, b })).rejects.toThrow(/named 'top DIM' exists/);
    await expect(request('style.defineDirection', { runDir, name: 'style 1', a, b })).rejects.toThrow(/already the name of a latent dimension/);
    await expect(request('style.defineDirection', { runDir, name: ' ', a, b })).rejects.toThrow(/needs a name/);
    await expect(request('style.defineDirection', { runDir, name: 'x', a: { positions: new Int32Array(0) }, b })).rejects.toThrow(/Group A: pick 1 to/);
    await expect(request('style.defineDirection', { runDir, name: 'x', a, b: { files: [{ name: 'notes.txt', bytes: new TextEncoder().encode('hello') }] } })).rejects.toThrow(/notes\.txt: not an image/);
    const replaced = await request('style.defineDirection', { runDir, name: 'top dim', a, b, replace: true });
    expect(replaced.directions.map((d: any) => d.name)).toEqual(['top dim', 'From files', 'From tests']);
    expect((await request('style.deleteDirection', { runDir, name: 'From tests' })).directions).toHaveLength(2);
  });

  it('exports a direction as a style GIF by name from the CLI, and says which names exist when one is wrong', () => {
    const out = join(dataDir, 'dir.gif');
    const r = cli('gif', runDir, '--style', 'TOP DIM', '--frames', '5', '--scale', '1', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'done', kind: 'style-gif', frames: 8 });
    expect(readFileSync(out).subarray(0, 6).toString()).toBe('GIF89a');
    const bad = cli('gif', runDir, '--style', 'loopiness', '--out', join(dataDir, 'x.gif'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/'loopiness': not a style dimension or direction of this run .*top dim, From files/);
  }, 300_000);

  it('keeps the directions of a shipped sample run in the data folder, not in the read-only run', async () => {
    await request('style.defineDirection', { runDir: SAMPLE, name: 'sample dir', a: { positions: top.subarray(0, 5) }, b: { positions: bottom.subarray(0, 5) } });
    expect(existsSync(join(SAMPLE, 'style-directions.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'sample-run-directions', 'mnist-ssvae.json'))).toBe(true);
    expect((await request('style.directions', { runDir: SAMPLE })).directions.map((d: any) => d.name)).toEqual(['sample dir']);
  });
});

describe('style transfer', () => {
  it('renders a test image\'s style in every class; the classifier reads most of them as their class', async () => {
    const r = await request('style.transfer', { runDir, position: 3 });
    expect(r.count).toBe(11);
    expect(r.pixels).toHaveLength(11 * 784);
    expect(r.style).toHaveLength(style);
    const right = r.judged.filter((k: number, i: number) => k === i).length;
    expect(right).toBeGreaterThanOrEqual(7);
    // the ten images differ from each other
    const img = (k: number) => r.pixels.subarray((1 + k) * 784, (2 + k) * 784);
    const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(diff(img(0), img(1))).toBeGreaterThan(10);
  });

  it('takes a file as well, and the CLI writes the figure as a PNG: the image, then one per class', async () => {
    const one = await request('explorer.images', { runDir, positions: Int32Array.of(3) });
    const path = join(dataDir, 'digit.png');
    const bytes = await pngOf(one.pixels, path);
    const fromFile = await request('style.transfer', { runDir, file: { name: 'digit.png', bytes } });
    const fromTest = await request('style.transfer', { runDir, position: 3 });
    expect(Array.from(fromFile.input)).toEqual(Array.from(fromTest.input));
    const out = join(dataDir, 'analogies.png');
    const r = cli('grid', runDir, '--style-of', path, '--scale', '1', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(11 * 28);
    const missing = cli('grid', runDir, '--style-of', join(dataDir, 'nope.png'), '--out', join(dataDir, 'n.png'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.png: no such file/);
    const vae = cli('grid', 'resources/runs/mnist-vae-2d', '--style-of', path, '--out', join(dataDir, 'v.png'));
    expect(vae.stderr).toMatch(/--style-of needs a semi-supervised run/);
    await expect(request('style.transfer', { runDir, file: { name: 'fake.png', bytes: new TextEncoder().encode('not an image') } })).rejects.toThrow(/fake\.png: not an image/);
  }, 400_000);

  it('previews both style exports as the app asks for them: the transfer of sent bytes, and a direction\'s sweep', async () => {
    const one = await request('explorer.images', { runDir, positions: Int32Array.of(4) });
    const bytes = await pngOf(one.pixels, join(dataDir, 'four.png'));
    const p = await request('export.preview', { kind: 'style-transfer-png', runDir, options: { bytes, fileName: 'four.png', scale: 1 } });
    expect(p.fileName).toMatch(/-style-of-four\.png$/);
    expect(p.width).toBeGreaterThanOrEqual(11 * 28);
    expect(p.png.subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));
    const { directions } = await request('style.directions', { runDir });
    const d = directions[0];
    const g = await request('export.preview', { kind: 'style-gif', runDir, options: { direction: { name: d.name, vector: d.vector }, frames: 4, scale: 1 } });
    expect(g.fileName).toMatch(/-style-top-dim\.gif$/);
    await expect(request('export.preview', { kind: 'style-gif', runDir, options: { direction: { name: 'x', vector: [1] } } })).rejects.toThrow(/needs a name and \d+ finite values/);
    await expect(request('export.preview', { kind: 'style-transfer-png', runDir, options: {} })).rejects.toThrow(/needs an image/);
  });
});
