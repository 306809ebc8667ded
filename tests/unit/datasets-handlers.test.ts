// The dataset area of the contract as the renderer uses it: suggestions and previews for the import
// dialog, the import job with its events, cancellation that leaves nothing behind, refusals in one
// sentence, and thumbnails sliced per class as typed arrays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { EventName, Events } from '../../electron/contract/api.ts';
import { createContext, type EngineContext } from '../../electron/engine/context.ts';
import { datasetHandlers } from '../../electron/engine/handlers/datasets.ts';
import { cacheDir } from '../../electron/engine/datasets/cache.ts';
import { openDataset } from '../../electron/engine/datasets/index.ts';
import type { PreprocessOptions } from '../../electron/engine/datasets/types.ts';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import { DATASET_IMAGES_MAX } from '../../electron/contract/datasets.ts';
import { glyph, greyPng, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Emitted = { [E in EventName]: { name: E; data: Events[E] } }[EventName];

function engineContext() {
  const events: Emitted[] = [];
  const waiters: { test: (e: Emitted) => boolean; resolve: (e: Emitted) => void }[] = [];
  const ctx = createContext((name, data) => {
    const event = { name, data } as Emitted;
    events.push(event);
    for (const w of [...waiters]) if (w.test(event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
  /** The job's end: dataset.opened or job.failed. */
  const finished = (jobId: string) =>
    new Promise<Emitted>((resolve) => {
      const test = (e: Emitted) => (e.name === 'dataset.opened' || e.name === 'job.failed') && e.data.jobId === jobId;
      const seen = events.find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  return { ctx, events, finished };
}

// The handlers are typed per method; call them through this to keep the tests short.
const call = <M extends keyof typeof datasetHandlers>(method: M, params: unknown, ctx: EngineContext) =>
  (datasetHandlers[method] as (p: unknown, c: EngineContext) => unknown)(params, ctx) as Promise<never>;

const recentRefs = (ctx: EngineContext) => (call('dataset.recent', {}, ctx) as unknown as { ref: string }[]).map((r) => r.ref);
const cacheFiles = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => !f.startsWith('suggest-')) : []);

/** cats: 3, dogs: 2 (16 px dark ink on light paper), one unlabelled top-level image, one corrupt file. */
async function buildSmallFolder(root: string): Promise<void> {
  mkdirSync(join(root, 'cats'), { recursive: true });
  mkdirSync(join(root, 'dogs'), { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(root, 'cats', `c${i}.png`), await greyPng(glyph(16, i), 16, 16));
  for (let i = 0; i < 2; i++) writeFileSync(join(root, 'dogs', `d${i}.png`), await greyPng(glyph(16, 10 + i), 16, 16));
  writeFileSync(join(root, 'loose.png'), await greyPng(glyph(16, 20), 16, 16));
  const good = await greyPng(glyph(16, 30), 16, 16);
  writeFileSync(join(root, 'dogs', 'broken.png'), good.subarray(0, good.length >> 1));
}

describe('import dialog requests', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('dialog');
    await buildSmallFolder(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('dataset.suggest gives options for small dark-ink greyscale images, each with its reason', async () => {
    const { ctx } = engineContext();
    const s = (await call('dataset.suggest', { ref: root }, ctx)) as Awaited<ReturnType<NonNullable<typeof datasetHandlers['dataset.suggest']>>>;
    expect(s.options).toMatchObject({ size: 28, channels: 1, invert: 'yes', fit: 'contain', testSplit: 0.1 });
    expect(s.imageFiles).toBe(7);
    expect(s.reasons.size).toMatch(/32 px/);
    expect(s.reasons.channels).toMatch(/greyscale/);
    expect(s.reasons.invert.length).toBeGreaterThan(10);
  });

  it('dataset.preview shows the same files before and after, at the chosen size, inverted on request', async () => {
    const { ctx } = engineContext();
    type Preview = Awaited<ReturnType<NonNullable<typeof datasetHandlers['dataset.preview']>>>;
    const base = { size: 20, channels: 1, fit: 'contain', binarize: 'off' };
    const plain = (await call('dataset.preview', { ref: root, options: { ...base, invert: 'no' }, count: 4 }, ctx)) as Preview;
    const inverted = (await call('dataset.preview', { ref: root, options: { ...base, invert: 'yes' }, count: 4 }, ctx)) as Preview;
    expect(plain.after).toHaveLength(4);
    expect(plain.before.map((b) => b.file)).toEqual(plain.after.map((a) => a.file));
    expect(plain.after[0]).toMatchObject({ width: 20, height: 20 });
    const meanOf = async (dataUrl: string) => {
      const { data, info } = await sharp(Buffer.from(dataUrl.split(',')[1], 'base64')).raw().toBuffer({ resolveWithObject: true });
      expect(info.width).toBe(20);
      return data.reduce((a, v) => a + v, 0) / data.length;
    };
    // Mostly light paper before inversion, mostly dark after.
    expect(await meanOf(plain.after[0].dataUrl)).toBeGreaterThan(150);
    expect(await meanOf(inverted.after[0].dataUrl)).toBeLessThan(100);
    expect(inverted.inverted).toBe(true);
  });

  it('dataset.preview refuses a bad option and a bad count with one sentence', async () => {
    const { ctx } = engineContext();
    await expect(call('dataset.preview', { ref: root, options: { size: 2, channels: 1 } }, ctx)).rejects.toThrow(/Image size must be a whole number of pixels from 4 to 512 \(got 2\)\./);
    expect(() => call('dataset.preview', { ref: root, count: 500 }, ctx)).toThrow(/1 to 16 images/);
  });

  it('dataset.suggest refuses a folder with no image files, naming it', async () => {
    const empty = tempDir('noimages');
    writeFileSync(join(empty, 'notes.txt'), 'no images here');
    const { ctx } = engineContext();
    await expect(call('dataset.suggest', { ref: empty }, ctx)).rejects.toThrow(`${empty} contains no image files`);
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('dataset.open and dataset.images', () => {
  let root: string;
  const options: PreprocessOptions = { size: 16, channels: 1, fit: 'contain', invert: 'yes', binarize: 'off', testSplit: 0.2, seed: 3 };
  beforeAll(async () => {
    root = tempDir('open');
    await buildSmallFolder(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('opens as a job: progress events, then the summary, and the folder joins Recent', async () => {
    const { ctx, events, finished } = engineContext();
    const { jobId } = (await call('dataset.open', { ref: root, options }, ctx)) as { jobId: string };
    const end = await finished(jobId);
    expect(end.name).toBe('dataset.opened');
    if (end.name !== 'dataset.opened') return;
    expect(end.data.summary).toMatchObject({ images: 6, classCounts: { cats: 3, dogs: 2 }, unlabelled: 1, options });
    expect(end.data.summary.skipped).toEqual([expect.objectContaining({ path: 'dogs/broken.png', reason: 'truncated or corrupt image' })]);
    const progress = events.filter((e) => e.name === 'dataset.progress' && e.data.jobId === jobId);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.data).toMatchObject({ phase: 'done', decoded: 7, total: 7 });
    const jobProgress = events.filter((e) => e.name === 'job.progress' && e.data.jobId === jobId);
    expect(jobProgress.at(-1)!.data).toMatchObject({ kind: 'dataset', fraction: 1, message: 'Opened 7 images' });
    expect(recentRefs(ctx)[0]).toBe(root);
  });

  it('dataset.images slices a class as typed arrays equal to the opened pixels', async () => {
    const { ctx } = engineContext();
    const reference = await openDataset(root, options);
    const cats = reference.images.classNames.indexOf('cats');
    const catIndices = [...reference.images.labels.keys()].filter((i) => reference.images.labels[i] === cats);
    const slice = (await call('dataset.images', { ref: root, options, label: 'cats', start: 1, count: 5 }, ctx)) as import('../../electron/contract/datasets.ts').DatasetImages;
    expect(slice).toMatchObject({ count: 2, total: 3, size: 16, channels: 1 });
    expect(slice.pixels).toBeInstanceOf(Uint8Array);
    expect(slice.indices).toBeInstanceOf(Int32Array);
    expect(Array.from(slice.indices)).toEqual(catIndices.slice(1));
    expect(slice.files).toEqual(catIndices.slice(1).map((i) => reference.images.files[i]));
    expect(slice.files.every((f) => f.startsWith('cats/'))).toBe(true);
    const bytes = 16 * 16;
    const expected = Buffer.concat(catIndices.slice(1).map((i) => reference.images.pixels.subarray(i * bytes, (i + 1) * bytes)));
    expect(Buffer.from(slice.pixels).equals(expected)).toBe(true);
    // Inverted: ink is high, so thumbnails are not blank paper.
    expect(Math.max(...slice.pixels)).toBe(255);

    const unlabelled = (await call('dataset.images', { ref: root, options, label: null }, ctx)) as typeof slice;
    expect(unlabelled).toMatchObject({ count: 1, total: 1, files: ['loose.png'] });
    const all = (await call('dataset.images', { ref: root, options }, ctx)) as typeof slice;
    expect(all).toMatchObject({ count: 6, total: 6 });
    expect(all.pixels.length).toBe(6 * bytes);
    const past = (await call('dataset.images', { ref: root, options, label: 'dogs', start: 5, count: 3 }, ctx)) as typeof slice;
    expect(past).toMatchObject({ count: 0, total: 2 });
  });

  it('dataset.images finds the dataset by the options its summary reports, and refuses bad queries', async () => {
    const { ctx, finished } = engineContext();
    // Opened with only some options given; the page asks with the resolved ones.
    const { jobId } = (await call('dataset.open', { ref: root, options: { size: 12 } }, ctx)) as { jobId: string };
    const end = await finished(jobId);
    if (end.name !== 'dataset.opened') throw new Error('not opened');
    const slice = (await call('dataset.images', { ref: root, options: end.data.summary.options, label: 'dogs' }, ctx)) as { count: number; size: number };
    expect(slice).toMatchObject({ count: 2, size: 12 });
    await expect(call('dataset.images', { ref: root, options, label: 'horses' }, ctx)).rejects.toThrow(`${root} has no class named 'horses'.`);
    await expect(call('dataset.images', { ref: root, options, count: DATASET_IMAGES_MAX + 1 }, ctx)).rejects.toThrow(/count must be a whole number from 0 to 4096/);
    await expect(call('dataset.images', { ref: root, options, start: -1 }, ctx)).rejects.toThrow(/start must be/);
  });

  it('thumbnails cross the browser host as raw bytes, not JSON numbers', async () => {
    const { ctx } = engineContext();
    const slice = (await call('dataset.images', { ref: root, options }, ctx)) as { pixels: Uint8Array };
    const frame = encodeFrame({ kind: 'reply', id: 1, result: slice });
    const headerLength = new DataView(frame.buffer).getUint32(0, true);
    expect(headerLength).toBeLessThan(600); // 6 x 256 pixel values as JSON would be several KB
    const back = decodeFrame(frame) as { result: { pixels: Uint8Array; indices: Int32Array } };
    expect(back.result.pixels).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back.result.pixels).equals(Buffer.from(slice.pixels))).toBe(true);
    expect(back.result.indices).toBeInstanceOf(Int32Array);
  });

  it('dataset.images opens the sample itself when asked directly', async () => {
    const { ctx } = engineContext();
    const slice = (await call('dataset.images', { ref: 'sample:mnist', label: '7', start: 0, count: 10 }, ctx)) as { count: number; total: number; size: number; files: string[] };
    expect(slice.count).toBe(10);
    expect(slice.total).toBeGreaterThan(900);
    expect(slice.size).toBe(28);
    expect(slice.files[0]).toMatch(/^sample:mnist#\d+$/);
  });
});

describe('cancel and refusal', () => {
  let root: string;
  const options: PreprocessOptions = { size: 24, channels: 1, fit: 'contain', invert: 'auto', binarize: 'off', testSplit: 0.1, seed: 1 };
  beforeAll(async () => {
    root = tempDir('cancel');
    // The same small PNG many times: quick to write, and every copy is decoded on import.
    const png = await greyPng(glyph(32, 1), 32, 32);
    for (const c of ['a', 'b']) {
      mkdirSync(join(root, c));
      for (let i = 0; i < 1500; i++) writeFileSync(join(root, c, `${i}.png`), png);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a cancelled import says Cancelled and leaves no cache, no Recent entry and no open dataset', async () => {
    const { ctx, events, finished } = engineContext();
    const before = cacheFiles();
    const { jobId } = (await call('dataset.open', { ref: root, options }, ctx)) as { jobId: string };
    // Cancel as soon as the import reports anything.
    await new Promise<void>((resolve) => {
      const poll = () => (events.some((e) => e.name === 'dataset.progress' && e.data.jobId === jobId) ? resolve() : setTimeout(poll, 1));
      poll();
    });
    expect(ctx.jobs.cancel(jobId)).toBe(true);
    const end = await finished(jobId);
    expect(end).toMatchObject({ name: 'job.failed', data: { cancelled: true, message: 'Cancelled.' } });
    expect(events.some((e) => e.name === 'dataset.opened')).toBe(false);
    expect(recentRefs(ctx)).not.toContain(root);
    expect(cacheFiles()).toEqual(before);
    expect(ctx.jobs.get(jobId)).toBeUndefined();

    // Nothing half-done is reused: opening again imports the whole folder.
    const again = await call('dataset.open', { ref: root, options }, ctx) as { jobId: string };
    const opened = await finished(again.jobId);
    expect(opened.name).toBe('dataset.opened');
    if (opened.name === 'dataset.opened') expect(opened.data.summary).toMatchObject({ images: 3000, fromCache: false, classCounts: { a: 1500, b: 1500 } });
    expect(recentRefs(ctx)).toContain(root);
  }, 60_000);

  it('a folder with no usable image fails the job with the engine sentence', async () => {
    const bad = tempDir('unusable');
    writeFileSync(join(bad, 'zero.png'), '');
    writeFileSync(join(bad, 'fake.jpg'), 'text that is named like a JPEG');
    const { ctx, finished } = engineContext();
    const { jobId } = (await call('dataset.open', { ref: bad, options: { size: 28, channels: 1 } }, ctx)) as { jobId: string };
    const end = await finished(jobId);
    expect(end).toMatchObject({ name: 'job.failed', data: { cancelled: false } });
    if (end.name === 'job.failed') expect(end.data.message).toBe(`${bad} has no usable image (1 not an image (contents match no image format), 1 empty file (0 bytes)).`);
    expect(recentRefs(ctx)).not.toContain(bad);
    rmSync(bad, { recursive: true, force: true });
  });
});
