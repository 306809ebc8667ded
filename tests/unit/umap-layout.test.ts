// The UMAP layout: umap-js over our neighbour graph, seeded (same seed, same layout), N x 2 finite
// coordinates that keep digits of a class together (10-NN accuracy far above chance), cancellable;
// and through the engine: explorer.embed with method 'umap' streams frames, answers a repeat from the
// cache, and the embedding table names its columns umap_x, umap_y.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineHarness } from './helpers/engine-harness.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { knnAccuracy } from '../../electron/engine/projections/quality.ts';
import { umap, umapNeighbours } from '../../electron/engine/projections/umap.ts';
import { runUmap } from '../../electron/engine/projections/umap-runner.ts';
import { embeddingTableCsv } from '../../electron/engine/exports/embedding-table.ts';
import { useWasm } from './helpers/tf.ts';

const N = 1000;
const ds = loadSampleMnist();
const data = Float32Array.from(pca(ds.images.pixels.subarray(0, N * 784), N, 784, 20).projected);
const labels = ds.images.labels.subarray(0, N);

describe('UMAP layout (umap-js with our kNN graph)', () => {
  let first: Float32Array;

  it('gives N x 2 finite coordinates that keep classes together (10-NN accuracy far above chance)', () => {
    const frames: number[] = [];
    first = umap(data, N, 20, { seed: 3, epochs: 150 }, (f) => frames.push(f.iteration));
    expect(first).toBeInstanceOf(Float32Array);
    expect(first.length).toBe(2 * N);
    expect(first.every(Number.isFinite)).toBe(true);
    // the start frame, then the final one (done)
    expect(frames[0]).toBe(0);
    expect(frames.at(-1)).toBe(150);
    const accuracy = knnAccuracy(first, N, 2, labels);
    // chance is ~0.1 for ten classes; the 20-D input itself scores ~0.9
    expect(accuracy).toBeGreaterThan(0.7);
  });

  it('is reproducible for a seed and differs for another', () => {
    const again = umap(data, N, 20, { seed: 3, epochs: 150 });
    expect(Array.from(again)).toEqual(Array.from(first));
    const other = umap(data, N, 20, { seed: 4, epochs: 150 });
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  it('gives umap-js rows that start with the point itself, then its neighbours by distance', () => {
    const { indices, distances } = umapNeighbours(data, N, 20, 15, 1);
    expect(indices[7][0]).toBe(7);
    expect(distances[7][0]).toBe(0);
    expect(indices[7]).toHaveLength(15);
    for (let j = 2; j < 15; j++) expect(distances[7][j]).toBeGreaterThanOrEqual(distances[7][j - 1]);
  });

  it('rejects unusable settings with a reason and stops when cancelled', async () => {
    expect(() => umap(data, N, 20, { seed: 1, neighbours: 1 })).toThrow(/neighbours must be a whole number from 2 to 200/);
    expect(() => umap(data, N, 20, { seed: 1, minDist: 2 })).toThrow(/minDist must be between 0 and 1/);
    const controller = new AbortController();
    const run = runUmap(data, N, 20, { seed: 1, epochs: 5000 }, (f) => {
      if (f.iteration === 0) controller.abort();
    }, controller.signal);
    await expect(run).rejects.toThrow(/cancelled/);
  });

  it('names the embedding table\'s layout columns after the layout and keeps only the rows asked for', () => {
    const images = { count: 3, files: ['a.png', 'b.png', 'c.png'], labels: Int32Array.of(0, 1, -1), classNames: ['x', 'y'], split: Uint8Array.of(1, 1, 0) };
    const t = embeddingTableCsv({ images, means: Float32Array.of(1, 2, 3), latent: 1, tsne: { coords: Float32Array.of(0.5, 1.5, 2.5, 3.5), indices: [2, 0], method: 'umap' }, rows: [2, 0] });
    expect(t.columns).toEqual(['id', 'file', 'label', 'split', 'mean_1', 'umap_x', 'umap_y']);
    expect(t.rows).toBe(2);
    expect(t.csv.trimEnd().split('\n')).toEqual(['id,file,label,split,mean_1,umap_x,umap_y', '2,c.png,,train,3,0.5,1.5', '0,a.png,x,test,1,2.5,3.5']);
  });
});

describe('explorer.embed with method umap', () => {
  const RUN = resolve('resources/runs/mnist-ssvae');
  let dataDir: string;
  const { request, events } = engineHarness();

  beforeAll(async () => {
    await useWasm();
    dataDir = mkdtempSync(join(tmpdir(), 'le-umap-'));
    process.env.LATENT_EXPLORER_DATA = dataDir;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('streams frames of the layout, ends with N x 2 coordinates, and answers a repeat from the cache', async () => {
    const settings = { runDir: RUN, part: 'all', perplexity: 30, iterations: 100, seed: 2, method: 'umap', neighbours: 10, minDist: 0.2 };
    const { jobId, count } = await request('explorer.embed', settings);
    expect(jobId).toEqual(expect.any(String));
    const deadline = Date.now() + 100_000;
    while (!events('job.done').some((d) => d.jobId === jobId) && !events('job.failed').some((d) => d.jobId === jobId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(events('job.failed').filter((d) => d.jobId === jobId)).toEqual([]);
    const frames = events('explorer.embedFrame').filter((f) => f.jobId === jobId);
    expect(frames[0].iteration).toBe(0);
    const last = frames.at(-1);
    expect(last.done).toBe(true);
    expect(last.iterations).toBe(100);
    expect(last.coords.length).toBe(2 * count);
    const { labels } = await request('explorer.latents', { runDir: RUN });
    expect(knnAccuracy(last.coords, count, 2, labels)).toBeGreaterThan(0.5);
    const again = await request('explorer.embed', settings);
    expect(again.jobId).toBeNull();
    expect(Array.from(again.coords)).toEqual(Array.from(last.coords));
    await expect(request('explorer.embed', { ...settings, neighbours: 1 })).rejects.toThrow(/neighbours must be a whole number/);
    await expect(request('explorer.embed', { ...settings, method: 'isomap' })).rejects.toThrow(/method must be tsne or umap/);
  });
});
