// Files uploaded from a browser into a folder of the data directory: names that would leave the
// folder are refused, others made safe; limits hold; the folder appears whole or not at all; the
// same files give the same folder; the result imports like a folder on disk; a finished upload can be
// listed and deleted, and nothing else can be deleted that way.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeRelativePath } from '../../electron/engine/uploads/paths.ts';
import { listUploads, Uploads, uploadsDir } from '../../electron/engine/uploads/store.ts';
import { recentDatasets, rememberDataset } from '../../electron/engine/workspace.ts';
import { dataRunsDir } from '../../electron/engine/explorer/runs.ts';
import { engineHarness } from './helpers/engine-harness.ts';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { glyph, greyPng, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);
/** Everything in the uploads folder, hidden staging folders included. */
const listing = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()).sort() : []);

describe('safeRelativePath', () => {
  it.each([
    ['../escape.png'],
    ['cats/../../escape.png'],
    ['/etc/passwd'],
    ['C:\\Windows\\win.ini'],
    ['\\\\server\\share\\x.png'],
    ['cats//x.png'],
    ['./x.png'],
    ['cats/..'],
    ['a\0b.png'],
    [''],
    ['..\\escape.png'],
  ])('refuses %j', (path) => {
    expect(() => safeRelativePath(path)).toThrow();
  });

  it('makes names safe on every OS, keeping ordinary ones as they are', () => {
    expect(safeRelativePath('cats/Tabby 1.png')).toEqual(['cats', 'Tabby 1.png']);
    expect(safeRelativePath('ab:c/what?.png')).toEqual(['ab_c', 'what_.png']);
    expect(safeRelativePath('CON.png')).toEqual(['_CON.png']);
    expect(safeRelativePath('dots.../x.png')).toEqual(['dots', 'x.png']);
    expect(safeRelativePath('ünïcödé/猫.png')).toEqual(['ünïcödé', '猫.png']);
  });
});

describe('Uploads', () => {
  it('stores the files in a folder that appears whole when the upload finishes', async () => {
    const uploads = new Uploads();
    const png = await greyPng(glyph(12, 1), 12, 12);
    const files = [
      { path: 'cats/1.png', bytes: new Uint8Array(png) },
      { path: 'dogs/a/2.png', bytes: bytes('not really a png') },
      { path: 'labels.csv', bytes: bytes('file,label\n') },
    ];
    const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
    const { uploadId } = uploads.begin('My Photos', 3, total);
    expect(listing().filter((n) => !n.startsWith('.'))).toEqual([]); // nothing visible while it runs
    expect(await uploads.receive(uploadId, files.slice(0, 2))).toEqual({ files: 2, bytes: png.length + 16 });
    await uploads.receive(uploadId, files.slice(2));
    const done = await uploads.finish(uploadId);
    expect(done).toMatchObject({ files: 3, bytes: total, reused: false });
    expect(done.path.startsWith(join(uploadsDir(), 'My Photos-'))).toBe(true);
    expect(readFileSync(join(done.path, 'dogs', 'a', '2.png'), 'utf8')).toBe('not really a png');
    expect(listing().filter((n) => n.startsWith('.'))).toEqual([]); // no staging left

    // The same files again: the same folder (its import cache still applies).
    const again = uploads.begin('My Photos', 3, total).uploadId;
    await uploads.receive(again, files);
    expect(await uploads.finish(again)).toMatchObject({ path: done.path, reused: true });
    expect(listing().filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses a path that leaves the folder, ends the upload and keeps nothing', async () => {
    const uploads = new Uploads();
    const before = listing();
    const { uploadId } = uploads.begin('evil', 2, 10);
    await uploads.receive(uploadId, [{ path: 'ok.png', bytes: bytes('12345') }]);
    await expect(uploads.receive(uploadId, [{ path: '../../outside.png', bytes: bytes('12345') }])).rejects.toThrow(/Upload refused: .*outside\.png.*not a folder or file name/);
    expect(existsSync(join(dataDir, 'outside.png'))).toBe(false);
    expect(existsSync(join(uploadsDir(), '..', 'outside.png'))).toBe(false);
    expect(listing()).toEqual(before);
    await expect(uploads.finish(uploadId)).rejects.toThrow(/No such upload/);
  });

  it('holds to its limits: files, total and per-file bytes, and what the upload announced', async () => {
    const uploads = new Uploads({ files: 3, totalBytes: 100, fileBytes: 10 });
    expect(() => uploads.begin('x', 4, 10)).toThrow(/at most 3 files/);
    expect(() => uploads.begin('x', 1, 101)).toThrow(/at most 1 MB/);
    const big = uploads.begin('x', 1, 50).uploadId;
    await expect(uploads.receive(big, [{ path: 'big.png', bytes: new Uint8Array(11) }])).rejects.toThrow(/big\.png is larger than/);
    const over = uploads.begin('x', 1, 5).uploadId;
    await expect(uploads.receive(over, [{ path: 'a.png', bytes: new Uint8Array(6) }])).rejects.toThrow(/more bytes than it announced/);
    const extra = uploads.begin('x', 1, 10).uploadId;
    await expect(uploads.receive(extra, [{ path: 'a.png', bytes: new Uint8Array(2) }, { path: 'b.png', bytes: new Uint8Array(2) }])).rejects.toThrow(/more files than it announced/);
    const twice = uploads.begin('x', 2, 10).uploadId;
    await expect(uploads.receive(twice, [{ path: 'a.png', bytes: new Uint8Array(2) }, { path: 'a.png', bytes: new Uint8Array(2) }])).rejects.toThrow(/sent twice/);
    const short = uploads.begin('x', 2, 4).uploadId;
    await uploads.receive(short, [{ path: 'a.png', bytes: new Uint8Array(2) }]);
    await expect(uploads.finish(short)).rejects.toThrow(/ended with 1 of 2 files/);
    expect(listing().filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('puts a large file together from pieces, in order', async () => {
    const uploads = new Uploads();
    const { uploadId } = uploads.begin('pieces', 1, 9);
    await uploads.receive(uploadId, [{ path: 'x.bin', bytes: bytes('abc') }]);
    await uploads.receive(uploadId, [{ path: 'x.bin', bytes: bytes('def'), append: true }]);
    await uploads.receive(uploadId, [{ path: 'x.bin', bytes: bytes('ghi'), append: true }]);
    const { path } = await uploads.finish(uploadId);
    expect(readFileSync(join(path, 'x.bin'), 'utf8')).toBe('abcdefghi');
    const orphan = uploads.begin('pieces', 1, 3).uploadId;
    await expect(uploads.receive(orphan, [{ path: 'y.bin', bytes: bytes('abc'), append: true }])).rejects.toThrow(/continued before it was begun/);
  });

  it('cancel removes what was received', async () => {
    const uploads = new Uploads();
    const before = listing();
    const { uploadId } = uploads.begin('cancelled', 2, 4);
    await uploads.receive(uploadId, [{ path: 'a.png', bytes: new Uint8Array(2) }]);
    expect(listing().length).toBe(before.length + 1);
    expect(await uploads.cancel(uploadId)).toEqual({ cancelled: true });
    expect(listing()).toEqual(before);
    expect(await uploads.cancel(uploadId)).toEqual({ cancelled: false });
  });

  it('a cancel during a write waits for it, then leaves nothing (the write cannot bring the folder back)', async () => {
    const uploads = new Uploads();
    const before = listing();
    const { uploadId } = uploads.begin('racing', 200, 200 * 1000);
    const files = Array.from({ length: 200 }, (_, i) => ({ path: `d${i % 7}/f${i}.png`, bytes: new Uint8Array(1000) }));
    const writing = uploads.receive(uploadId, files);
    const cancelled = uploads.cancel(uploadId);
    await expect(writing).rejects.toThrow(/cancelled/);
    expect(await cancelled).toEqual({ cancelled: true });
    expect(listing()).toEqual(before);
  });

  it('an uploaded folder imports like a folder on disk, with the same skipped-file reasons', async () => {
    const uploads = new Uploads();
    const files = [];
    for (let i = 0; i < 4; i++) files.push({ path: `${i % 2 ? 'odd' : 'even'}/${i}.png`, bytes: new Uint8Array(await greyPng(glyph(12, i), 12, 12)) });
    files.push({ path: 'even/broken.png', bytes: files[0].bytes.slice(0, 20) });
    files.push({ path: 'odd/empty.png', bytes: new Uint8Array(0) });
    const { uploadId } = uploads.begin('digits', files.length, files.reduce((n, f) => n + f.bytes.byteLength, 0));
    await uploads.receive(uploadId, files);
    const { path } = await uploads.finish(uploadId);
    const dataset = await openDataset(path, { size: 12, channels: 1 });
    expect(dataset.summary.images).toBe(4);
    expect(dataset.summary.classCounts).toEqual({ even: 2, odd: 2 });
    expect(dataset.summary.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['even/broken.png', 'truncated or corrupt image'],
      ['odd/empty.png', 'empty file (0 bytes)'],
    ]);
  });
});

describe('upload.list and upload.remove', () => {
  it('lists finished uploads with their size and runs, and deletes one folder and its Recent entry, nothing else', async () => {
    const { request } = engineHarness();
    const uploads = new Uploads();
    const send = async (name: string, files: { path: string; bytes: Uint8Array }[]) => {
      const { uploadId } = uploads.begin(name, files.length, files.reduce((n, f) => n + f.bytes.byteLength, 0));
      await uploads.receive(uploadId, files);
      return (await uploads.finish(uploadId)).path;
    };
    const kept = await send('kept', [{ path: 'a/1.png', bytes: bytes('12345') }]);
    const gone = await send('gone', [
      { path: 'x/1.png', bytes: bytes('abc') },
      { path: 'x/y/2.png', bytes: bytes('defg') },
    ]);
    // a run trained on the second upload (the sample run's files, its dataset pointed there)
    const runDir = join(dataRunsDir(), 'on-gone');
    mkdirSync(dataRunsDir(), { recursive: true });
    cpSync('resources/runs/mnist-vae-2d', runDir, { recursive: true });
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    run.dataset.ref = gone;
    writeFileSync(join(runDir, 'run.json'), JSON.stringify(run));
    rememberDataset(kept);
    rememberDataset(gone);

    const { uploads: listed } = await request('upload.list');
    const byPath = new Map(listed.map((u: { path: string }) => [u.path, u]));
    expect(byPath.get(gone)).toMatchObject({ name: 'gone', files: 2, bytes: 7, runs: 1 });
    expect(byPath.get(kept)).toMatchObject({ name: 'kept', files: 1, bytes: 5, runs: 0 });

    // never anything but an uploaded folder: the user's folders, the uploads folder itself, paths that climb out
    const lookalike = join(dataDir, 'mine-0123456789ab'); // named like an upload, but the user's own folder
    mkdirSync(lookalike);
    for (const path of [dataDir, uploadsDir(), join(kept, 'a'), join(uploadsDir(), '..', 'runs'), join(uploadsDir(), '..', 'mine-0123456789ab'), lookalike, runDir, '']) {
      await expect(request('upload.remove', { path })).rejects.toThrow(/not an uploaded folder|needs the path/);
    }
    expect(existsSync(runDir) && existsSync(kept) && existsSync(lookalike)).toBe(true);

    expect(await request('upload.remove', { path: gone })).toEqual({ removed: true, bytes: 7 });
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(existsSync(join(runDir, 'run.json'))).toBe(true); // the run stays
    expect(recentDatasets().map((e) => e.ref)).toEqual([kept]);
    expect((await request('upload.list')).uploads.map((u: { path: string }) => u.path)).not.toContain(gone);
    expect(await request('upload.remove', { path: gone })).toEqual({ removed: false, bytes: 0 });
  });

  it('lists an upload made before sizes were recorded by walking it once', async () => {
    const old = join(uploadsDir(), 'older-0123456789ab');
    mkdirSync(join(old, 'c'), { recursive: true });
    writeFileSync(join(old, 'c', '1.png'), 'xyz');
    writeFileSync(join(old, '2.png'), 'pq');
    expect(listUploads().find((u) => u.path === old)).toMatchObject({ name: 'older', files: 2, bytes: 5 });
  });
});
