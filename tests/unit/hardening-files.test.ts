// Files the user owns are never deleted: a folder bundle replaces only a folder holding an earlier
// bundle (marked by a file the app writes), and temporary files are cleaned on start and on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUNDLE_MARKER, checkOutputFolder, writeOutputFile, writeOutputFolder } from '../../electron/engine/exports/write.ts';
import { writeFileAtomic } from '../../electron/engine/files.ts';

let root: string;
beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'le-harden-files-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files = [{ path: 'run.json', data: new TextEncoder().encode('{}') }, { path: 'decoder/model.json', data: new Uint8Array([1]) }];

describe('folder bundles never delete what the app did not write', () => {
  it('refuses to replace a folder of the user’s files, even with overwrite, and leaves every file in place', () => {
    const dir = join(root, 'Documents');
    mkdirSync(join(dir, 'thesis'), { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'thesis', 'chapter1.tex'), 'mine too');
    expect(() => writeOutputFolder(dir, files, true)).toThrow(/holds no earlier bundle/);
    expect(() => checkOutputFolder(dir, true)).toThrow(/not replacing/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'thesis', 'chapter1.tex'), 'utf8')).toBe('mine too');
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a folder that holds an earlier bundle (its marker file), and only with overwrite', () => {
    const dir = join(root, 'bundle');
    writeOutputFolder(dir, [...files, { path: 'old.txt', data: new Uint8Array([1]) }], false);
    expect(existsSync(join(dir, BUNDLE_MARKER))).toBe(true);
    expect(() => writeOutputFolder(dir, files, false)).toThrow(/already exists/);
    writeOutputFolder(dir, files, true);
    expect(readdirSync(dir).sort()).toEqual([BUNDLE_MARKER, 'decoder', 'run.json']);
  });

  it('refuses to put a folder bundle where a file is', () => {
    const file = join(root, 'model');
    writeFileSync(file, 'a file');
    expect(() => writeOutputFolder(file, files, true)).toThrow(/is a file/);
    expect(readFileSync(file, 'utf8')).toBe('a file');
  });
});

describe('temporary files', () => {
  it('an export removes what a killed export of the same name left in the folder, and nothing else', () => {
    const dir = join(root, 'exports');
    mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, `.traversal.gif.${dead}-0a0b0c0d.tmp`), 'half a gif');
    mkdirSync(join(dir, `.model.${dead}-0a0b0c0d.tmp`));
    writeFileSync(join(dir, `.other.gif.${process.pid}-01020304.tmp`), 'a write in progress');
    writeFileSync(join(dir, '.hidden-user-file.tmp'), 'mine');
    writeOutputFile(join(dir, 'traversal.gif'), new Uint8Array([1]), false);
    writeOutputFolder(join(dir, 'model'), files, false);
    expect(readdirSync(dir).sort()).toEqual([`.hidden-user-file.tmp`, `.other.gif.${process.pid}-01020304.tmp`, 'model', 'traversal.gif']);
  });

  it('a failed atomic write leaves no temporary file', () => {
    const dir = join(root, 'failing');
    mkdirSync(join(dir, 'target', 'inside'), { recursive: true }); // renaming a file over a non-empty folder fails
    expect(() => writeFileAtomic(join(dir, 'target'), 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });
});

describe('paths', () => {
  it('an opened folder follows no symlink out of itself unless asked, and never into /proc, /sys or /dev', async () => {
    const { scanFolder } = await import('../../electron/engine/datasets/scan.ts');
    const { symlinkSync } = await import('node:fs');
    const set = join(root, 'set');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(join(set, 'cats'), { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(set, 'cats', 'a.png'), 'x');
    writeFileSync(join(elsewhere, 'b.png'), 'x');
    symlinkSync(elsewhere, join(set, 'dogs'));
    symlinkSync(join(elsewhere, 'b.png'), join(set, 'c.png'));
    symlinkSync(join(set, 'cats'), join(set, 'felines')); // inside: fine (a duplicate, skipped as such)
    symlinkSync('/proc', join(set, 'proc'));
    const scan = await scanFolder(set);
    expect(scan.images.map((i) => i.rel)).toEqual(['cats/a.png']);
    const reasons = Object.fromEntries(scan.skipped.map((s) => [s.path, s.reason]));
    expect(reasons['dogs/']).toMatch(/outside the opened folder/);
    expect(reasons['c.png']).toMatch(/outside the opened folder/);
    expect(reasons['proc/']).toMatch(/system folder/);
    const followed = await scanFolder(set, { followLinks: true });
    expect(followed.images.map((i) => i.rel)).toEqual(['c.png', 'cats/a.png', 'dogs/b.png']);
    expect(Object.fromEntries(followed.skipped.map((s) => [s.path, s.reason]))['proc/']).toMatch(/system folder/);
    await expect(scanFolder('/proc')).rejects.toThrow(/\/proc: a system folder/);
    await expect(scanFolder('/sys/kernel')).rejects.toThrow(/system folder/);
  });

  it('weight paths in model.json stay inside the model folder', async () => {
    const { loadModelFromDir } = await import('../../models/io.ts');
    const dir = join(root, 'model-escape');
    mkdirSync(dir);
    writeFileSync(join(root, 'secret.bin'), new Uint8Array(16));
    for (const p of ['../secret.bin', '/etc/hostname', 'sub/../../secret.bin']) {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: [p], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }] }));
      await expect(loadModelFromDir(dir), p).rejects.toThrow(/outside the model folder/);
    }
  });

  it('the browser host refuses an export request that names an output path (it downloads instead)', async () => {
    const { refusedFromBrowser } = await import('../../electron/host/browser-host.ts');
    expect(refusedFromBrowser({ kind: 'request', id: 1, method: 'export.start', params: { spec: { kind: 'bundle', runDir: '/r' }, out: '/home/me/.bashrc' } })).toMatch(/downloads/);
    expect(refusedFromBrowser({ kind: 'request', id: 1, method: 'export.start', params: { spec: { kind: 'bundle', runDir: '/r' } } })).toBeNull();
    expect(refusedFromBrowser({ kind: 'request', id: 1, method: 'app.info', params: {} })).toBeNull();
  });
});
