// Saved views through the engine: a view is written atomically into the run folder (the shipped
// sample runs' into the data folder, leaving resources/ untouched), read back as it was (coordinates
// exact), listed first in Recent views, and its cached t-SNE coordinates answer explorer.embed at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SavedView } from '../../electron/contract/explorer.ts';
import { engineHarness } from './helpers/engine-harness.ts';
import { useWasm } from './helpers/tf.ts';

const SAMPLE = resolve('resources/runs/mnist-vae-2d');
let dataDir: string;
let runDir: string;

const { request } = engineHarness();

function view(over: Partial<SavedView> = {}): SavedView {
  return {
    version: 1,
    runDir,
    tab: 'manifold',
    embedding: { layout: 'tsne', part: 'all', perplexity: 20, iterations: 250, seed: 3 },
    anchor: 12,
    walkTarget: 40,
    selection: [1, 5, 9],
    neighbours: { k: 6, metric: 'cosine' },
    walk: { steps: 7, path: 'linear' },
    sliders: { 'manifold.range': 1.5, 'manifold.dims': [1, 0] },
    names: ['thickness', 'slant'],
    ...over,
  };
}

beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-views-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
  runDir = join(dataDir, 'runs', 'copy-of-vae-2d');
  cpSync(SAMPLE, runDir, { recursive: true });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('saved views', () => {
  it('writes view.json in the run folder, reads it back as saved, and lists it first in Recent views', async () => {
    expect((await request('explorer.loadView', { runDir })).view).toBeNull();
    const coords = Float32Array.from({ length: 8 }, (_, i) => Math.PI * i - 0.1);
    const saved = await request('explorer.saveView', { view: view({ coords, coordsEpoch: 3 }) });
    expect(saved.path).toBe(join(runDir, 'view.json'));
    // Atomic: no temporary file left beside it.
    expect(readdirSync(runDir).filter((f) => f.startsWith('.'))).toEqual([]);
    const { view: back } = await request('explorer.loadView', { runDir });
    expect(back).toMatchObject({ tab: 'manifold', anchor: 12, walkTarget: 40, selection: [1, 5, 9], neighbours: { k: 6, metric: 'cosine' }, walk: { steps: 7, path: 'linear' }, names: ['thickness', 'slant'], coordsEpoch: 3, savedAt: saved.savedAt });
    expect(back.embedding).toEqual({ layout: 'tsne', part: 'all', perplexity: 20, iterations: 250, seed: 3, neighbours: 15, minDist: 0.1, epochs: 0, dims: [0, 1] });
    expect(back.sliders).toEqual({ 'manifold.range': 1.5, 'manifold.dims': [1, 0] });
    expect(Array.from(back.coords)).toEqual(Array.from(coords));

    const other = join(dataDir, 'runs', 'second');
    cpSync(SAMPLE, other, { recursive: true });
    await request('explorer.saveView', { view: view({ runDir: other, tab: 'traversal' }) });
    const { views } = await request('explorer.recentViews', {});
    expect(views.map((v: { name: string; tab: string }) => `${v.name}:${v.tab}`)).toEqual(['second:traversal', 'copy-of-vae-2d:manifold']);
    // Saving again moves it to the top without a duplicate.
    await request('explorer.saveView', { view: view() });
    expect((await request('explorer.recentViews', {})).views.map((v: { name: string }) => v.name)).toEqual(['copy-of-vae-2d', 'second']);
  });

  it('keeps the sample runs\' views in the data folder, leaving resources/ untouched', async () => {
    const before = statSync(SAMPLE).mtimeMs;
    const saved = await request('explorer.saveView', { view: view({ runDir: SAMPLE }) });
    expect(saved.path).toBe(join(dataDir, 'views', 'mnist-vae-2d.json'));
    expect(existsSync(join(SAMPLE, 'view.json'))).toBe(false);
    expect(statSync(SAMPLE).mtimeMs).toBe(before);
    expect((await request('explorer.loadView', { runDir: SAMPLE })).view.anchor).toBe(12);
  });

  it('refuses a bad view with a message naming the field, and a damaged file with its path', async () => {
    await expect(request('explorer.saveView', { view: view({ tab: 'nowhere' }) })).rejects.toThrow(/view tab must be one of/);
    await expect(request('explorer.saveView', { view: view({ walk: { steps: 500, path: 'linear' } }) })).rejects.toThrow(/walk steps must be a whole number from 2 to 64/);
    await expect(request('explorer.saveView', { view: view({ runDir: dataDir }) })).rejects.toThrow(/not a run folder/);
    const broken = join(dataDir, 'runs', 'broken');
    cpSync(SAMPLE, broken, { recursive: true });
    await request('explorer.saveView', { view: view({ runDir: broken }) });
    const file = join(broken, 'view.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    await expect(request('explorer.loadView', { runDir: broken })).rejects.toThrow(new RegExp(`${file}: not a readable view file`));
    // Recent views leaves it out rather than failing.
    expect((await request('explorer.recentViews', {})).views.map((v: { name: string }) => v.name)).not.toContain('broken');
  });

  it('puts the saved t-SNE coordinates back in the layout cache: explorer.embed answers with them, no job', async () => {
    const info = await request('explorer.open', { runDir });
    const { count } = await request('explorer.latents', { runDir });
    const coords = Float32Array.from({ length: 2 * count }, (_, i) => (i % 7) - 3.5);
    const settings = { part: 'all', perplexity: 20, iterations: 250, seed: 3 } as const;
    await request('explorer.saveView', { view: view({ coords, coordsEpoch: info.modelEpoch }) });
    await request('explorer.loadView', { runDir });
    const r = await request('explorer.embed', { runDir, ...settings });
    expect(r.jobId).toBeNull();
    expect(Array.from(r.coords)).toEqual(Array.from(coords));
    // Coordinates of another model epoch are not used.
    const stale = Float32Array.from({ length: 2 * count }, () => 1);
    await request('explorer.saveView', { view: view({ coords: stale, coordsEpoch: info.modelEpoch - 1, embedding: { ...view().embedding, seed: 9 } }) });
    await request('explorer.loadView', { runDir });
    const fresh = await request('explorer.embed', { runDir, ...settings, seed: 9 });
    expect(fresh.jobId).not.toBeNull();
    await request('job.cancel', { jobId: fresh.jobId }).catch(() => {});
  });
});
