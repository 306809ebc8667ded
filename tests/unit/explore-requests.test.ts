// The Embedding view's exploration requests on the shipped semi-supervised run: neighbours of a test
// image, exact PCA and raw layouts, and an image file placed exactly on them with its reconstruction,
// neighbours and class probabilities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { engineHarness } from './helpers/engine-harness.ts';
import { useWasm } from './helpers/tf.ts';

const RUN = resolve('resources/runs/mnist-ssvae');
let dataDir: string;

const { request } = engineHarness();

beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-explore-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('exploration requests', () => {
  it('lists a test image\'s nearest neighbours by Euclidean or cosine distance, nearest first, without itself', async () => {
    const { means, latent, count } = await request('explorer.latents', { runDir: RUN });
    const r = await request('explorer.neighbours', { runDir: RUN, position: 5, k: 6, metric: 'euclidean' });
    expect(r.positions).toHaveLength(6);
    expect(Array.from(r.positions)).not.toContain(5);
    const dist = (i: number) => Math.hypot(...Array.from({ length: latent }, (_, d) => means[i * latent + d] - means[5 * latent + d]));
    const all = Array.from({ length: count }, (_, i) => i).filter((i) => i !== 5).sort((a, b) => dist(a) - dist(b));
    expect(Array.from(r.positions)).toEqual(all.slice(0, 6));
    for (let t = 0; t < 6; t++) expect(r.distances[t]).toBeCloseTo(dist(r.positions[t]), 4);
    const cos = await request('explorer.neighbours', { runDir: RUN, code: means.slice(5 * latent, 6 * latent), k: 3, metric: 'cosine' });
    expect(cos.positions[0]).toBe(5);
    expect(cos.distances[0]).toBeCloseTo(0, 5);
    await expect(request('explorer.neighbours', { runDir: RUN, position: 5, k: 6, metric: 'manhattan' })).rejects.toThrow(/metric must be euclidean or cosine/);
  });

  it('lays out PCA and raw dimensions exactly, and places an image file where its own code falls', async () => {
    const { means, latent } = await request('explorer.latents', { runDir: RUN });
    const raw = await request('explorer.layout', { runDir: RUN, layout: { method: 'raw', dims: [2, 0] } });
    expect(raw.coords[6]).toBeCloseTo(means[3 * latent + 2], 5);
    expect(raw.coords[7]).toBeCloseTo(means[3 * latent + 0], 5);
    const pca = await request('explorer.layout', { runDir: RUN, layout: { method: 'pca' } });
    expect(pca.axes).toHaveLength(2 * latent);
    // Test image 3 as a PNG file: placed on the PCA layout at its own point.
    const images = await request('explorer.images', { runDir: RUN, positions: Int32Array.from([3]) });
    const bytes = new Uint8Array(await sharp(Buffer.from(images.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
    const placed = await request('explorer.place', { runDir: RUN, files: [{ name: 'three.png', bytes }], layout: { method: 'pca' }, k: 4 });
    expect(placed).toMatchObject({ count: 1, names: ['three.png'], k: 4, exact: true, size: 28, channels: 1 });
    expect(placed.coords[0]).toBeCloseTo(pca.coords[6], 3);
    expect(placed.coords[1]).toBeCloseTo(pca.coords[7], 3);
    expect(placed.neighbours[0]).toBe(3);
    expect(placed.reconstructions).toHaveLength(784);
    expect(placed.probabilities).toHaveLength(10);
    const sum = Array.from(placed.probabilities as Float32Array).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 4);
    await expect(request('explorer.place', { runDir: RUN, files: [{ name: 'three.png', bytes }], layout: { method: 'tsne', perplexity: 30, iterations: 1000, seed: 1 }, k: 4 })).rejects.toThrow(/not computed yet/);
  });

  it('places an image file on a UMAP layout by its own point once the layout is computed', async () => {
    const umap = { method: 'umap', part: 'all', neighbours: 15, minDist: 0.1, iterations: 60, seed: 4 };
    const images = await request('explorer.images', { runDir: RUN, positions: Int32Array.from([3]) });
    const bytes = new Uint8Array(await sharp(Buffer.from(images.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
    await expect(request('explorer.place', { runDir: RUN, files: [{ name: 'three.png', bytes }], layout: umap, k: 4 })).rejects.toThrow(/This UMAP layout is not computed yet/);
    const { jobId, count } = await request('explorer.embed', { runDir: RUN, part: 'all', perplexity: 30, iterations: 60, seed: 4, method: 'umap', neighbours: 15, minDist: 0.1 });
    expect(jobId).toEqual(expect.any(String));
    // Asking for the layout again while it runs would restart it: wait until a placement succeeds.
    const deadline = Date.now() + 100_000;
    let placed: any = null;
    while (!placed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      placed = await request('explorer.place', { runDir: RUN, files: [{ name: 'three.png', bytes }], layout: umap, k: 4 }).catch((e: Error) => {
        if (!/not computed yet/.test(e.message)) throw e;
        return null;
      });
    }
    const { coords } = await request('explorer.embed', { runDir: RUN, part: 'all', perplexity: 30, iterations: 60, seed: 4, method: 'umap', neighbours: 15, minDist: 0.1 });
    let minX = Infinity;
    let maxX = -Infinity;
    for (let i = 0; i < count; i++) {
      minX = Math.min(minX, coords![2 * i]);
      maxX = Math.max(maxX, coords![2 * i]);
    }
    expect(placed).toMatchObject({ count: 1, exact: false });
    expect(Math.hypot(placed.coords[0] - coords![6], placed.coords[1] - coords![7])).toBeLessThan(0.05 * (maxX - minX));
  });

  it('walks between two test images: the first and last decoded images are theirs, the middle differs from both', async () => {
    const { means, latent } = await request('explorer.latents', { runDir: RUN });
    const ends = new Float32Array(2 * latent);
    ends.set(means.subarray(3 * latent, 4 * latent), 0);
    ends.set(means.subarray(8 * latent, 9 * latent), latent);
    const recon = await request('explorer.images', { runDir: RUN, positions: Int32Array.from([3, 8]), reconstruct: true });
    for (const path of ['linear', 'spherical'] as const) {
      const walk = await request('explorer.walk', { runDir: RUN, ends, steps: 7, path });
      expect(walk).toMatchObject({ count: 7, size: 28, channels: 1 });
      expect(walk.codes).toHaveLength(7 * latent);
      const image = (i: number) => Array.from(walk.pixels.subarray(i * 784, (i + 1) * 784) as Uint8Array);
      const meanDiff = (a: number[], b: ArrayLike<number>) => a.reduce((s, v, j) => s + Math.abs(v - b[j]), 0) / a.length;
      // The ends decode to the two images' reconstructions; the middle is neither.
      expect(meanDiff(image(0), recon.reconstructions.subarray(0, 784))).toBeLessThan(1);
      expect(meanDiff(image(6), recon.reconstructions.subarray(784))).toBeLessThan(1);
      expect(meanDiff(image(3), image(0))).toBeGreaterThan(3);
      expect(meanDiff(image(3), image(6))).toBeGreaterThan(3);
    }
    // Linear: the middle code is the mean of the ends; spherical keeps the norms' mean instead.
    const lin = await request('explorer.walk', { runDir: RUN, ends, steps: 3, path: 'linear' });
    for (let d = 0; d < latent; d++) expect(lin.codes[latent + d]).toBeCloseTo((ends[d] + ends[latent + d]) / 2, 5);
    await expect(request('explorer.walk', { runDir: RUN, ends, steps: 1, path: 'linear' })).rejects.toThrow(/steps must be a whole number from 2/);
    await expect(request('explorer.walk', { runDir: RUN, ends: ends.subarray(0, latent), steps: 5, path: 'linear' })).rejects.toThrow(/two codes/);
    await expect(request('explorer.walk', { runDir: RUN, ends, steps: 5, path: 'zigzag' })).rejects.toThrow(/path must be linear or spherical/);
  });
});
