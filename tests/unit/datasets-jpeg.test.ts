// The JPEG fast path (DCT-scaled decoding in WebAssembly) and the import's decode pool: the pictures
// they give match sharp's, what they cannot do goes to sharp, and a pooled import equals one on a
// single thread.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeBuffer } from '../../electron/engine/datasets/decode.ts';
import { decodeJpegScaled, exifOrientation, resizePlan } from '../../electron/engine/datasets/jpeg-fast.ts';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { SKIP_REASONS, type Fit } from '../../electron/engine/datasets/types.ts';
import { tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
const roots: string[] = [];
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A photo-like RGB picture: smooth gradients, a disc, mild noise. */
function photo(width: number, height: number, seed: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const cx = width * (0.3 + 0.4 * rnd());
  const cy = height * (0.3 + 0.4 * rnd());
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = Math.hypot(x - cx, y - cy) < Math.min(width, height) / 4;
      const o = (y * width + x) * 3;
      px[o] = inDisc ? 220 : (x * 255) / width;
      px[o + 1] = inDisc ? 40 : (y * 255) / height;
      px[o + 2] = Math.min(255, 100 + rnd() * 20);
    }
  }
  return px;
}

const jpeg = (px: Buffer, width: number, height: number) => sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 });

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function bothWays(buf: Buffer, size: number, channels: 1 | 3, fit: Fit) {
  const fast = new Uint8Array(size * size * channels);
  const slow = new Uint8Array(size * size * channels);
  await decodeBuffer(buf, { size, channels, fit, maxPixels: 1e8 }, fast);
  await decodeBuffer(buf, { size, channels, fit, maxPixels: 1e8, fastJpeg: false }, slow);
  return { fast, slow };
}

describe('JPEG fast path', () => {
  it('decodes a 256 px photo straight to 64 px (1/4 DCT scale), close to sharp', async () => {
    const buf = await jpeg(photo(256, 256, 1), 256, 256).toBuffer();
    const raw = decodeJpegScaled(buf, { size: 64, fit: 'contain', maxPixels: 1e8 });
    expect(raw).toMatchObject({ width: 64, height: 64, channels: 3 });
    const { fast, slow } = await bothWays(buf, 64, 3, 'contain');
    expect(meanAbsDiff(fast, slow)).toBeLessThan(2);
  });

  it.each(['contain', 'cover', 'fill'] as const)('matches sharp for a 300x200 photo with fit %s (size 48, grey and RGB)', async (fit) => {
    const buf = await jpeg(photo(300, 200, 2), 300, 200).toBuffer();
    expect(decodeJpegScaled(buf, { size: 48, fit, maxPixels: 1e8 })).not.toBeNull();
    for (const channels of [1, 3] as const) {
      const { fast, slow } = await bothWays(buf, 48, channels, fit);
      expect(meanAbsDiff(fast, slow), `${fit}, ${channels} channel(s)`).toBeLessThan(3);
    }
  });

  it('geometry follows sharp: inside keeps the aspect, cover crops the centre', () => {
    expect(resizePlan(300, 200, 48, 'contain')).toMatchObject({ width: 48, height: 32, outWidth: 48, outHeight: 32 });
    expect(resizePlan(300, 200, 48, 'cover')).toMatchObject({ width: 72, height: 48, left: 12, top: 0, outWidth: 48, outHeight: 48 });
    expect(resizePlan(300, 200, 48, 'fill')).toMatchObject({ width: 48, height: 48 });
  });

  it('applies EXIF orientation as sharp does', async () => {
    const px = photo(240, 160, 3);
    for (const orientation of [3, 6, 8]) {
      const buf = await jpeg(px, 240, 160).withMetadata({ orientation }).toBuffer();
      expect(exifOrientation(buf)).toBe(orientation);
      const raw = decodeJpegScaled(buf, { size: 40, fit: 'contain', maxPixels: 1e8 });
      expect(raw, `orientation ${orientation}`).toMatchObject(orientation === 3 ? { width: 40, height: 27 } : { width: 27, height: 40 });
      const { fast, slow } = await bothWays(buf, 40, 3, 'contain');
      expect(meanAbsDiff(fast, slow), `orientation ${orientation}`).toBeLessThan(3);
    }
    expect(exifOrientation(await jpeg(px, 240, 160).toBuffer())).toBe(1);
  });

  it('declines what only sharp does right: truncated files, CMYK, upscaling, too many pixels', async () => {
    const good = await jpeg(photo(128, 128, 4), 128, 128).toBuffer();
    const target = { size: 32, fit: 'contain' as const, maxPixels: 1e8 };
    expect(decodeJpegScaled(good, target)).not.toBeNull();
    expect(decodeJpegScaled(good.subarray(0, good.length >> 1), target)).toBeNull();
    const cmyk = await sharp(photo(128, 128, 5), { raw: { width: 128, height: 128, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
    expect(decodeJpegScaled(cmyk, target)).toBeNull();
    expect(decodeJpegScaled(good, { ...target, size: 200 })).toBeNull();
    expect(decodeJpegScaled(good, { ...target, maxPixels: 100 })).toBeNull();
    // …and the decoder still works after a failure inside libjpeg.
    expect(decodeJpegScaled(good, target)).not.toBeNull();
  });
});

describe('import through the decode pool', () => {
  it('gives the same images, labels and skip reasons as an import on one thread', async () => {
    const root = tempDir('pool');
    roots.push(root);
    for (const c of ['cats', 'dogs']) mkdirSync(join(root, c));
    for (let i = 0; i < 40; i++) {
      const cls = i % 2 ? 'dogs' : 'cats';
      const px = photo(160, 120, 10 + i);
      // JPEGs (the workers' fast path), PNGs of another size (sent back to sharp), one CMYK JPEG.
      const file = i % 5 === 0 ? sharp(px, { raw: { width: 160, height: 120, channels: 3 } }).png() : i === 7 ? sharp(px, { raw: { width: 160, height: 120, channels: 3 } }).toColourspace('cmyk').jpeg() : jpeg(px, 160, 120);
      writeFileSync(join(root, cls, `${i}.${i % 5 === 0 ? 'png' : 'jpg'}`), await file.toBuffer());
    }
    const good = await jpeg(photo(160, 120, 99), 160, 120).toBuffer();
    writeFileSync(join(root, 'cats', 'truncated.jpg'), good.subarray(0, 300));
    writeFileSync(join(root, 'dogs', 'empty.jpg'), '');

    const options = { size: 32, channels: 3 as const };
    // The pool falls back to one thread with a warning when its workers fail: that must not happen.
    const warn = vi.spyOn(console, 'warn');
    const pooled = await openDataset(root, options, {}, { noCache: true, threads: 2, poolMinFiles: 1 });
    const single = await openDataset(root, options, {}, { noCache: true, threads: 0 });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(pooled.summary.images).toBe(40);
    expect(pooled.images.files).toEqual(single.images.files);
    expect([...pooled.images.labels]).toEqual([...single.images.labels]);
    expect(Buffer.compare(Buffer.from(pooled.images.pixels), Buffer.from(single.images.pixels))).toBe(0);
    // The same files skipped for the same reasons. The detail is libvips's own wording, which for the truncated
    // file was "Input buffer has corrupt header" in one run and "VipsJpeg: premature end of JPEG image" in
    // another (CI, 6 December): each must name the decoder's complaint, not match word for word.
    const reasons = (r: typeof pooled) => r.summary.skipped.map((s) => ({ path: s.path, reason: s.reason }));
    expect(reasons(pooled)).toEqual(reasons(single));
    for (const s of [...pooled.summary.skipped, ...single.summary.skipped].filter((s) => s.path.endsWith('truncated.jpg'))) expect(s.detail).toMatch(/^JPEG: \S/);
    expect(pooled.summary.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['cats/truncated.jpg', SKIP_REASONS.corrupt],
      ['dogs/empty.jpg', SKIP_REASONS.empty],
    ]);
  });

  it('stops when cancelled', async () => {
    const root = tempDir('pool-cancel');
    roots.push(root);
    const buf = await jpeg(photo(256, 256, 7), 256, 256).toBuffer();
    for (let i = 0; i < 600; i++) writeFileSync(join(root, `${i}.jpg`), buf);
    const controller = new AbortController();
    const started = performance.now();
    const opening = openDataset(root, { size: 64, channels: 3 }, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'decoding' && p.decoded > 0) controller.abort();
      },
    }, { threads: 2, poolMinFiles: 1 });
    await expect(opening).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
