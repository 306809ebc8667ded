// The decoded-image cache, progress reporting and cancellation of a folder import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { cacheDir } from '../../electron/engine/datasets/cache.ts';
import type { ImportProgress } from '../../electron/engine/datasets/types.ts';
import { buildDigitFolder, glyph, greyPng, snapshotFolder, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cacheFiles = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => f.endsWith('.bin')) : []);

describe('cache', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('cached');
    await buildDigitFolder(root, 30, 3, 12);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lives in the data folder and makes an unchanged reopen identical', async () => {
    expect(cacheDir()).toBe(join(dataDir, 'cache', 'datasets'));
    const first = await openDataset(root, { size: 12, channels: 1 });
    expect(first.summary.fromCache).toBe(false);
    expect(cacheFiles()).toHaveLength(1);
    const again = await openDataset(root, { size: 12, channels: 1 });
    expect(again.summary.fromCache).toBe(true);
    expect(again.images.files).toEqual(first.images.files);
    expect(Array.from(again.images.labels)).toEqual(Array.from(first.images.labels));
    expect(Buffer.from(again.images.pixels).equals(Buffer.from(first.images.pixels))).toBe(true);
    expect(again.summary.classCounts).toEqual({ class0: 10, class1: 10, class2: 10 });
    expect(again.summary.inverted).toBe(first.summary.inverted);
  });

  it('reuses decoded pixels when only the split or binarization changes', async () => {
    const d = await openDataset(root, { size: 12, channels: 1, testSplit: 0.5, binarize: 0.5 });
    expect(d.summary.fromCache).toBe(true);
    expect(d.summary.test).toBe(15);
  });

  it('re-imports when options that change pixels change', async () => {
    const d = await openDataset(root, { size: 10, channels: 1 });
    expect(d.summary.fromCache).toBe(false);
    expect(d.images.size).toBe(10);
    expect(cacheFiles()).toHaveLength(2);
  });

  it('re-imports when a file is added, changed or removed', async () => {
    writeFileSync(join(root, 'class0', 'new.png'), await greyPng(glyph(12, 99), 12, 12));
    const added = await openDataset(root, { size: 12, channels: 1 });
    expect(added.summary.fromCache).toBe(false);
    expect(added.summary.images).toBe(31);

    const file = join(root, 'class1', 'img00001.png');
    writeFileSync(file, await greyPng(glyph(12, 0, 128, 255), 12, 12)); // different ink, new mtime
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await openDataset(root, { size: 12, channels: 1 });
    expect(changed.summary.fromCache).toBe(false);
    const i = changed.images.files.indexOf('class1/img00001.png');
    expect(Math.max(...changed.images.pixels.subarray(i * 144, (i + 1) * 144))).toBe(127); // the new grey ink (128), inverted
    expect((await openDataset(root, { size: 12, channels: 1 })).summary.fromCache).toBe(true);

    rmSync(join(root, 'class0', 'new.png'));
    const removed = await openDataset(root, { size: 12, channels: 1 });
    expect(removed.summary.fromCache).toBe(false);
    expect(removed.summary.images).toBe(30);
  });

  it('ignores a damaged cache file and rewrites it', async () => {
    for (const f of cacheFiles()) writeFileSync(join(cacheDir(), f), 'garbage');
    const d = await openDataset(root, { size: 12, channels: 1 });
    expect(d.summary.fromCache).toBe(false);
    expect(d.summary.images).toBe(30);
    expect((await openDataset(root, { size: 12, channels: 1 })).summary.fromCache).toBe(true);
  });
});

describe('progress and cancellation', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('progress');
    await buildDigitFolder(root, 1500, 5, 20);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports scanning, decoding, caching and done, throttled, with rates and time left', async () => {
    const events: ImportProgress[] = [];
    // fastPng off: sharp alone, so decoding lasts long enough for throttled updates.
    const d = await openDataset(root, { size: 16, channels: 1 }, { onProgress: (p) => events.push({ ...p }) }, { fastPng: false });
    expect(d.summary.images).toBe(1500);
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['scanning', 'decoding', 'caching', 'done']);
    const decoding = events.filter((e) => e.phase === 'decoding');
    expect(decoding.length).toBeGreaterThanOrEqual(2);
    // At most ~10 a second (plus the forced first/last of each phase).
    expect(decoding.length).toBeLessThanOrEqual(d.summary.seconds * 10 + 4);
    for (let k = 1; k < decoding.length; k++) expect(decoding[k].decoded).toBeGreaterThanOrEqual(decoding[k - 1].decoded);
    const last = decoding[decoding.length - 1];
    expect(last).toMatchObject({ decoded: 1500, total: 1500, etaSec: 0 });
    expect(last.imagesPerSec).toBeGreaterThan(0);
    expect(events[events.length - 1]).toMatchObject({ phase: 'done', decoded: 1500, total: 1500 });
  });

  it('stops on abort: rejects with AbortError, writes no cache, leaves the folder alone', async () => {
    const before = snapshotFolder(root);
    const cachesBefore = cacheFiles().length;
    const controller = new AbortController();
    let decodedAtAbort = -1;
    const promise = openDataset(root, { size: 14, channels: 1 }, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'decoding' && p.decoded > 0 && decodedAtAbort < 0) {
          decodedAtAbort = p.decoded;
          controller.abort();
        }
      },
    }, { fastPng: false });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(decodedAtAbort).toBeGreaterThan(0);
    expect(decodedAtAbort).toBeLessThan(1500);
    expect(cacheFiles()).toHaveLength(cachesBefore);
    expect(readdirSync(cacheDir()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(snapshotFolder(root)).toEqual(before);
  });

  it('rejects at once when already aborted', async () => {
    await expect(openDataset(root, { size: 14, channels: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
