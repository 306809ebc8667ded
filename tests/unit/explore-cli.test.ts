// `encode` (new images through a run's encoder) and `gif --between` (a walk between two images) on
// the shipped 2-D VAE run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';

const RUN = resolve('resources/runs/mnist-vae-2d');
const CLI = resolve('bin/latent-explorer.mjs');
let dataDir: string;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm', LATENT_EXPLORER_DATA: dataDir } });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'le-explore-cli-'));
  const ds = loadSampleMnist();
  const digit = (i: number) => ds.images.pixels.subarray(i * 784, (i + 1) * 784);
  const folder = join(dataDir, 'new');
  mkdirSync(folder);
  const png = (pixels: Uint8Array, scale: number) => sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).resize(28 * scale, 28 * scale, { kernel: 'nearest' }).png().toBuffer();
  writeFileSync(join(folder, 'a.png'), await png(digit(0), 1));
  // The same digit as a scan would give it: dark ink on white paper, 3x larger.
  writeFileSync(join(folder, 'a-scan.png'), await png(digit(0).map((v) => 255 - v), 3));
  writeFileSync(join(folder, 'b.png'), await png(digit(1), 1));
  writeFileSync(join(folder, 'broken.png'), Buffer.from('not a png at all'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('encode', () => {
  it('writes file,mean_*,logvar_* per image with the run\'s preprocessing, and lists the files it skipped', () => {
    const out = join(dataDir, 'latents.csv');
    const r = cli('encode', RUN, join(dataDir, 'new'), '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.event === 'skipped')).toMatchObject({ path: 'broken.png' });
    expect(lastJson(r.stdout)).toMatchObject({ event: 'summary', images: 3, skipped: 1, latent: 2 });
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('file,mean_1,mean_2,logvar_1,logvar_2');
    const byFile = new Map(rows.slice(1).map((row) => [row.split(',')[0], row.split(',').slice(1).map(Number)]));
    expect([...byFile.keys()].sort()).toEqual(['a-scan.png', 'a.png', 'b.png']);
    for (const v of byFile.values()) expect(v.every(Number.isFinite)).toBe(true);
    // The scan (inverted, larger) is read as the original digit: nearly its code, far nearer than another digit's.
    const [a, scan, b] = ['a.png', 'a-scan.png', 'b.png'].map((f) => byFile.get(f)!);
    const dist = (u: number[], v: number[]) => Math.hypot(u[0] - v[0], u[1] - v[1]);
    expect(dist(a, scan), JSON.stringify({ a, scan, b })).toBeLessThan(dist(a, b) / 3);
  });

  it('names the problem with the input', () => {
    const missing = cli('encode', RUN, join(dataDir, 'nope'), '--out', join(dataDir, 'x.csv'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such file or folder/);
    const bad = cli('encode', RUN, join(dataDir, 'new', 'broken.png'), '--out', join(dataDir, 'y.csv'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/broken\.png: not a readable image/);
  });
});

describe('gif --between', () => {
  it('walks between two images as a GIF (there and back) or a PNG strip, by index or file name', () => {
    const gif = cli('gif', RUN, '--between', '3,17', '--steps', '5', '--path', 'linear', '--scale', '2', '--out', join(dataDir, 'walk.gif'), '--json');
    expect(gif.status, gif.stderr).toBe(0);
    expect(lastJson(gif.stdout)).toMatchObject({ event: 'done', kind: 'walk-gif', frames: 8, width: 56, height: 56 });
    expect(readFileSync(join(dataDir, 'walk.gif')).subarray(0, 6).toString()).toBe('GIF89a');
    const png = cli('gif', RUN, '--between', 'sample:mnist#3,sample:mnist#17', '--steps', '6', '--scale', '1', '--out', join(dataDir, 'walk.png'), '--json');
    expect(png.status, png.stderr).toBe(0);
    const strip = lastJson(png.stdout);
    expect(strip).toMatchObject({ event: 'done', kind: 'walk-png', frames: 1 });
    expect(strip.width).toBeGreaterThanOrEqual(6 * 28 + 5);
    expect(strip.height).toBeLessThan(2 * 28);
    const unknown = cli('gif', RUN, '--between', '3,zebra.png', '--out', join(dataDir, 'z.gif'));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no image of the run's dataset is called 'zebra\.png'/);
    const path = cli('gif', RUN, '--between', '3,17', '--path', 'curvy', '--out', join(dataDir, 'c.gif'));
    expect(path.stderr).toMatch(/--path must be linear or spherical/);
  });
});
