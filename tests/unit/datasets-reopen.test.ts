// Reopening a folder imported before: its last options are kept with the cache, and a cheap scan
// (names, sizes, mtimes) says whether it changed and how, so the app can skip the import dialog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { diffManifests, lastImport, type ManifestEntry } from '../../electron/engine/datasets/last-import.ts';
import { describeChanges } from '../../renderer/src/dataset/format.ts';
import { buildDigitFolder, glyph, greyPng, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('diffManifests', () => {
  const before: ManifestEntry[] = [
    ['a/1.png', 10, 1000],
    ['a/2.png', 10, 1000],
    ['b/3.png', 20, 1000],
    ['labels.csv', 5, 1000],
  ];

  it('finds nothing between equal lists, whatever their order', () => {
    expect(diffManifests(before, [...before].reverse())).toEqual({ added: 0, removed: 0, modified: 0, examples: { added: [], removed: [], modified: [] } });
  });

  it('counts added, removed and modified (size or mtime) files and names a few of each, sorted', () => {
    const after: ManifestEntry[] = [
      ['a/1.png', 11, 1000], // size
      ['b/3.png', 20, 2000], // mtime
      ['labels.csv', 5, 1000],
      ['c/9.png', 1, 1],
      ['c/8.png', 1, 1],
    ];
    expect(diffManifests(before, after)).toEqual({
      added: 2,
      removed: 1,
      modified: 2,
      examples: { added: ['c/8.png', 'c/9.png'], removed: ['a/2.png'], modified: ['a/1.png', 'b/3.png'] },
    });
  });

  it('names at most three files per kind and counts them all', () => {
    const after = [...before, ...Array.from({ length: 50 }, (_, i): ManifestEntry => [`new/${String(i).padStart(2, '0')}.png`, 1, 1])];
    const d = diffManifests(before, after);
    expect(d.added).toBe(50);
    expect(d.examples.added).toEqual(['new/00.png', 'new/01.png', 'new/02.png']);
    expect(describeChanges(d)).toBe('50 added (new/00.png, new/01.png, new/02.png, …)');
  });

  it('is told in one line, naming only the kinds that happened', () => {
    expect(describeChanges({ added: 1, removed: 2, modified: 0, examples: { added: ['x.png'], removed: ['y.png', 'z.png'], modified: [] } })).toBe('1 added (x.png), 2 removed (y.png, z.png)');
    expect(describeChanges({ added: 0, removed: 0, modified: 0, examples: { added: [], removed: [], modified: [] } })).toMatch(/folders or skipped files changed/);
  });
});

describe('lastImport', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('reopen');
    await buildDigitFolder(root, 12, 3, 12);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('knows nothing of a folder never imported', async () => {
    expect(await lastImport(root)).toBeNull();
  });

  it('keeps the options of the last import; an unchanged folder reopens from the cache with them', async () => {
    await openDataset(root, { size: 10, channels: 1, testSplit: 0.25, seed: 3 });
    const last = await lastImport(root);
    expect(last).toMatchObject({ ref: root, unchanged: true, changes: { added: 0, removed: 0, modified: 0 } });
    expect(last!.options).toEqual({ size: 10, channels: 1, fit: 'contain', invert: 'auto', binarize: 'off', testSplit: 0.25, seed: 3 });
    const again = await openDataset(root, last!.options);
    expect(again.summary.fromCache).toBe(true);
    expect(again.summary.test).toBe(3);
  });

  it('the latest import wins', async () => {
    await openDataset(root, { size: 12, channels: 3 });
    expect((await lastImport(root))!.options).toMatchObject({ size: 12, channels: 3 });
  });

  it('says what changed: an added, a removed, a modified file, and a new labels.csv', async () => {
    const dir = join(root, 'class0');
    const [first, second] = ['img00000.png', 'img00003.png'];
    writeFileSync(join(dir, 'new.png'), await greyPng(glyph(12, 77), 12, 12));
    unlinkSync(join(dir, first));
    const old = new Date(2020, 0, 1);
    utimesSync(join(dir, second), old, old);
    writeFileSync(join(root, 'labels.csv'), 'file,label\n');
    const last = await lastImport(root);
    expect(last!.unchanged).toBe(false);
    expect(last!.changes).toEqual({ added: 2, removed: 1, modified: 1, examples: { added: ['class0/new.png', 'labels.csv'], removed: ['class0/img00000.png'], modified: ['class0/img00003.png'] } });
  });

  it('a renamed folder is a changed one even when the files are the same (layout)', async () => {
    await openDataset(root, { size: 12, channels: 1 });
    renameSync(join(root, 'class2'), join(root, 'class2-renamed'));
    const last = await lastImport(root);
    expect(last!.unchanged).toBe(false);
    expect(last!.changes.added).toBeGreaterThan(0);
    expect(last!.changes.added).toBe(last!.changes.removed);
  });
});
