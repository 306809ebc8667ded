// Folder import: layouts, labels.csv, every format, every bad case, with exact counts and reasons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDataset } from '../../electron/engine/datasets/open.ts';
import { decodeBuffer } from '../../electron/engine/datasets/decode.ts';
import { decodeSimplePng } from '../../electron/engine/datasets/png-fast.ts';
import { decodeBmp } from '../../electron/engine/datasets/bmp.ts';
import type { Dataset } from '../../electron/engine/datasets/types.ts';
import { SKIP_REASONS } from '../../electron/engine/datasets/types.ts';
import { bmp, buildMessyFolder, glyph, greyPng, greyToRgb, handPng, snapshotFolder, tempDir, type MessyExpectation } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function pixelsOf(dataset: Dataset, file: string): Uint8Array {
  const { images } = dataset;
  const i = images.files.indexOf(file);
  expect(i, `${file} is among the imported images`).toBeGreaterThanOrEqual(0);
  const per = images.size * images.size * images.channels;
  return images.pixels.subarray(i * per, (i + 1) * per);
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('a messy, partly labelled folder', () => {
  let root: string;
  let expected: MessyExpectation;
  let before: string[];
  let dataset: Dataset;

  beforeAll(async () => {
    root = tempDir('messy');
    expected = await buildMessyFolder(root);
    before = snapshotFolder(root);
    dataset = await openDataset(root, { size: 20, channels: 1, fit: 'fill', invert: 'no' });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('uses exactly the good images, with labels from folders and labels.csv', () => {
    const { summary, images } = dataset;
    expect(summary.images).toBe(expected.images);
    expect(summary.classCounts).toEqual(expected.classCounts);
    expect(summary.unlabelled).toBe(expected.unlabelled);
    expect(images.classNames).toEqual(['birds', 'cats', 'dogs']);
    const labels = Object.fromEntries(images.files.map((f, i) => [f, images.labels[i] < 0 ? null : images.classNames[images.labels[i]]]));
    expect(labels).toEqual(expected.labels);
    expect(summary.labelsCsv).toMatchObject(expected.labelsCsv);
    expect(summary.labelsCsv?.unmatchedExamples).toEqual(['missing.png']);
    expect(summary.ignoredFiles).toBe(expected.ignoredFiles);
  });

  it('lists every bad file and folder with its reason, grouped by reason', () => {
    const { summary } = dataset;
    expect(Object.fromEntries(summary.skipped.map((s) => [s.path, s.reason]))).toEqual(expected.skipped);
    const groups: Record<string, number> = {};
    for (const reason of Object.values(expected.skipped)) groups[reason] = (groups[reason] ?? 0) + 1;
    expect(summary.skippedByReason).toEqual(groups);
    const detail = (path: string) => summary.skipped.find((s) => s.path === path)?.detail ?? '';
    expect(detail('cats/bad-trunc.png')).toMatch(/^PNG: /);
    expect(detail('empty-class/')).toBe('it holds no image files');
    expect(detail('broken-class/')).toBe('none of its 1 image files could be used');
    expect(detail('dogs/huge.png')).toMatch(/pixel limit/);
  });

  it('does not modify the folder', () => {
    expect(snapshotFolder(root)).toEqual(before);
  });

  it('decodes every format to the same glyph: PNG, JPEG, WebP, GIF, TIFF, AVIF, BMP, 16-bit, CMYK, alpha', () => {
    const seeds: Record<string, number> = { 'cats/c1.png': 1, 'cats/c2.jpg': 2, 'cats/c3.webp': 3, 'cats/deeper/c4.gif': 4, 'cats/c5.tif': 5, 'cats/c6.avif': 6, 'cats/c7.bmp': 7, 'dogs/d1.png': 8, 'dogs/d2.jpg': 9, 'dogs/d3.png': 10 };
    const lossy = new Set(['cats/c2.jpg', 'cats/c6.avif', 'dogs/d2.jpg']);
    for (const [file, seed] of Object.entries(seeds)) {
      const diff = meanAbsDiff(pixelsOf(dataset, file), glyph(20, seed));
      if (lossy.has(file)) expect(diff, file).toBeLessThan(12);
      else expect(diff, file).toBeLessThanOrEqual(1);
    }
  });
});

describe('decoding details', () => {
  const dirs: string[] = [];
  const folder = (name: string) => {
    const dir = tempDir(name);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('applies EXIF orientation', async () => {
    const root = folder('orient');
    // 20 wide x 10 high: left half light, right half dark; orientation 6 displays it rotated 90° clockwise.
    const wide = new Uint8Array(200);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) wide[y * 20 + x] = x < 10 ? 230 : 20;
    writeFileSync(join(root, 'rotated.jpg'), await sharp(wide, { raw: { width: 20, height: 10, channels: 1 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer());
    const d = await openDataset(root, { size: 20, channels: 1, fit: 'fill', invert: 'no' });
    const px = d.images.pixels;
    // Displayed: 10 wide x 20 high, light on top, dark below; stretched to 20x20 by 'fill'.
    const top = px.subarray(0, 200).reduce((a, v) => a + v, 0) / 200;
    const bottom = px.subarray(200).reduce((a, v) => a + v, 0) / 200;
    expect(top).toBeGreaterThan(200);
    expect(bottom).toBeLessThan(50);
  });

  it('skips truncated files of every format as corrupt, naming the format', async () => {
    const root = folder('truncated');
    const base = () => sharp(glyph(24, 3), { raw: { width: 24, height: 24, channels: 1 } });
    const files: Record<string, Buffer> = {
      'a.png': await base().png().toBuffer(),
      'b.jpg': await base().jpeg().toBuffer(),
      'c.webp': await base().webp().toBuffer(),
      'd.gif': await base().gif().toBuffer(),
      'e.tif': await base().tiff().toBuffer(),
      'f.avif': await base().avif().toBuffer(),
      'g.bmp': bmp(greyToRgb(glyph(24, 3)), 24, 24, 24),
    };
    for (const [name, data] of Object.entries(files)) writeFileSync(join(root, name), data.subarray(0, data.length >> 1));
    writeFileSync(join(root, 'ok.png'), files['a.png']);
    const d = await openDataset(root, { size: 24, channels: 1 });
    expect(d.images.files).toEqual(['ok.png']);
    expect(d.summary.skipped.map((s) => [s.path, s.reason, s.detail?.split(':')[0]])).toEqual(
      ['a.png', 'b.jpg', 'c.webp', 'd.gif', 'e.tif', 'f.avif', 'g.bmp'].map((f, k) => [f, SKIP_REASONS.corrupt, k === 6 ? 'BMP pixel data truncated' : ['PNG', 'JPEG', 'WEBP', 'GIF', 'TIFF', 'AVIF'][k]]),
    );
  });

  it('takes the first frame of an animated GIF', async () => {
    const root = folder('gif');
    const frames = new Uint8Array(8 * 16 * 3);
    frames.fill(255, 0, 8 * 8 * 3); // frame 1 white, frame 2 black
    writeFileSync(join(root, 'anim.gif'), await sharp(frames, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } }).gif().toBuffer());
    expect((await sharp(join(root, 'anim.gif')).metadata()).pages).toBe(2);
    const d = await openDataset(root, { size: 8, channels: 1, fit: 'fill', invert: 'no' });
    expect(d.images.pixels.every((v) => v === 255)).toBe(true);
  });

  it('fit: contain letterboxes with the border colour, cover crops, fill stretches', async () => {
    const root = folder('fit');
    // 30 wide x 10 high: black paper, a white bar in the middle third.
    const img = new Uint8Array(300);
    for (let y = 0; y < 10; y++) for (let x = 10; x < 20; x++) img[y * 30 + x] = 255;
    writeFileSync(join(root, 'wide.png'), await greyPng(img, 30, 10));
    const at = async (fit: 'contain' | 'cover' | 'fill') => (await openDataset(root, { size: 30, channels: 1, fit, invert: 'no' })).images.pixels;
    const contain = await at('contain');
    expect(contain[0]).toBe(0); // letterbox takes the black border, not white
    expect(contain[15 * 30 + 15]).toBe(255);
    expect(contain[2 * 30 + 15]).toBe(0); // above the 10-row band
    const cover = await at('cover');
    // Cover scales to 90x30 and crops the middle 30x30: the white bar (edges soften by resampling).
    expect(cover.reduce((a, v) => a + v, 0) / cover.length).toBeGreaterThan(235);
    expect(cover[15 * 30 + 15]).toBe(255);
    const fill = await at('fill');
    expect(fill[2 * 30 + 15]).toBe(255); // stretched vertically: the bar spans all rows
    expect(fill[2 * 30 + 2]).toBe(0);
  });

  it('flattens transparency onto white and converts colour to grey or keeps RGB', async () => {
    const root = folder('alpha');
    const rgba = new Uint8Array(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgba.set(i < 8 ? [255, 0, 0, 255] : [0, 0, 255, 0], i * 4);
    writeFileSync(join(root, 'a.png'), await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer());
    const grey = await openDataset(root, { size: 4, channels: 1, fit: 'fill', invert: 'no' });
    expect(Array.from(grey.images.pixels.subarray(0, 8))).toEqual(Array(8).fill(77)); // luma of pure red
    expect(Array.from(grey.images.pixels.subarray(8))).toEqual(Array(8).fill(255)); // transparent -> white
    const rgb = await openDataset(root, { size: 4, channels: 3, fit: 'fill', invert: 'no' });
    expect(Array.from(rgb.images.pixels.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(rgb.images.pixels.subarray(45, 48))).toEqual([255, 255, 255]);
  });

  it('invert auto: dark ink on light paper is inverted, light ink on dark is kept', async () => {
    const light = folder('paper');
    const dark = folder('slate');
    for (let i = 0; i < 6; i++) {
      writeFileSync(join(light, `${i}.png`), await greyPng(glyph(16, i), 16, 16));
      writeFileSync(join(dark, `${i}.png`), await greyPng(glyph(16, i, 255, 0), 16, 16));
    }
    const a = await openDataset(light, { size: 16, channels: 1, invert: 'auto' });
    expect(a.summary.inverted).toBe(true);
    expect(a.summary.invertReason).toMatch(/100% of images have a light, uniform background/);
    expect(Array.from(pixelsOf(a, '0.png'))).toEqual(Array.from(glyph(16, 0, 255, 0)));
    const b = await openDataset(dark, { size: 16, channels: 1, invert: 'auto' });
    expect(b.summary.inverted).toBe(false);
    expect(Array.from(pixelsOf(b, '0.png'))).toEqual(Array.from(glyph(16, 0, 255, 0)));
    const c = await openDataset(dark, { size: 16, channels: 1, invert: 'yes' });
    expect(Array.from(pixelsOf(c, '0.png'))).toEqual(Array.from(glyph(16, 0)));
  });

  it('skips images over the pixel limit without decoding them', async () => {
    const root = folder('limit');
    writeFileSync(join(root, 'small.png'), await greyPng(glyph(10, 0), 10, 10));
    writeFileSync(join(root, 'big.png'), await greyPng(glyph(40, 0), 40, 40));
    writeFileSync(join(root, 'big.jpg'), await sharp(glyph(40, 0), { raw: { width: 40, height: 40, channels: 1 } }).jpeg().toBuffer());
    writeFileSync(join(root, 'big.bmp'), bmp(greyToRgb(glyph(40, 0)), 40, 40, 24));
    const d = await openDataset(root, { size: 10, channels: 1 }, {}, { maxPixels: 500 });
    expect(d.images.files).toEqual(['small.png']);
    expect(d.summary.skipped.map((s) => [s.path, s.reason])).toEqual([
      ['big.bmp', SKIP_REASONS.tooLarge],
      ['big.jpg', SKIP_REASONS.tooLarge],
      ['big.png', SKIP_REASONS.tooLarge],
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('skips unreadable files (permission denied)', async () => {
    const root = folder('perm');
    writeFileSync(join(root, 'ok.png'), await greyPng(glyph(10, 0), 10, 10));
    writeFileSync(join(root, 'locked.png'), await greyPng(glyph(10, 1), 10, 10));
    chmodSync(join(root, 'locked.png'), 0);
    const d = await openDataset(root, { size: 10, channels: 1 });
    expect(d.summary.skipped).toEqual([{ path: 'locked.png', reason: SKIP_REASONS.unreadable, detail: 'permission denied' }]);
  });

  it('skips HEIC and RLE BMP as unsupported, and accepts a JPEG named .png', async () => {
    const root = folder('formats');
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(100)]);
    writeFileSync(join(root, 'phone.heic'), heic);
    const rle = bmp(greyToRgb(glyph(8, 0)), 8, 8, 8);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    writeFileSync(join(root, 'rle.bmp'), rle);
    writeFileSync(join(root, 'really-a-jpeg.png'), await sharp(glyph(8, 0), { raw: { width: 8, height: 8, channels: 1 } }).jpeg().toBuffer());
    const d = await openDataset(root, { size: 8, channels: 1 });
    expect(d.images.files).toEqual(['really-a-jpeg.png']);
    expect(d.summary.skipped.map((s) => [s.path, s.reason, s.detail])).toEqual([
      ['phone.heic', SKIP_REASONS.unsupported, 'HEIC/HEIF (HEVC) images cannot be decoded here; convert them to JPEG or PNG'],
      ['rle.bmp', SKIP_REASONS.unsupported, 'RLE-compressed BMP'],
    ]);
  });
});

describe('the PNG fast path decodes exactly like sharp', () => {
  const size = 12;
  const noise = (n: number, max: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed * 97) >>> 0) % (max + 1));
  const cases: [string, () => Promise<Buffer> | Buffer][] = [
    ['grey 8-bit', () => sharp(noise(size * size, 255, 1), { raw: { width: size, height: size, channels: 1 } }).png().toBuffer()],
    ['RGB', () => sharp(noise(size * size * 3, 255, 2), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()],
    ['RGBA', () => sharp(noise(size * size * 4, 255, 3), { raw: { width: size, height: size, channels: 4 } }).png().toBuffer()],
    ['palette', () => sharp(noise(size * size * 3, 255, 4), { raw: { width: size, height: size, channels: 3 } }).png({ palette: true, colours: 16 }).toBuffer()],
    ['palette + tRNS', () => handPng({ width: size, height: size, colourType: 3, bitDepth: 4, samples: noise(size * size, 3, 5), palette: Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 9, 200]), trns: Uint8Array.from([0, 128]) })],
    ['grey + alpha', () => handPng({ width: size, height: size, colourType: 4, bitDepth: 8, samples: noise(size * size * 2, 255, 6), filter: 4 })],
    ...[1, 2, 4].map((bitDepth): [string, () => Buffer] => [`grey ${bitDepth}-bit`, () => handPng({ width: size, height: size, colourType: 0, bitDepth, samples: noise(size * size, (1 << bitDepth) - 1, bitDepth), filter: bitDepth === 1 ? 1 : 3 })]),
    ...[0, 1, 2, 3, 4].map((filter): [string, () => Buffer] => [`RGB filter ${filter}`, () => handPng({ width: size, height: size, colourType: 2, bitDepth: 8, samples: noise(size * size * 3, 255, 10 + filter), filter })]),
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const png = await make();
      expect(decodeSimplePng(png), 'the fast path handles it').not.toBeNull();
      for (const channels of [1, 3] as const) {
        const target = { size, channels, fit: 'fill' as const, maxPixels: 1e6 };
        const fast = new Uint8Array(size * size * channels);
        const slow = new Uint8Array(size * size * channels);
        await decodeBuffer(png, { ...target, fastPng: true }, fast);
        await decodeBuffer(png, { ...target, fastPng: false }, slow);
        expect(Array.from(fast)).toEqual(Array.from(slow));
      }
    });
  }

  it('leaves damaged, interlaced and 16-bit PNGs to sharp', async () => {
    const good = await greyPng(glyph(size, 0), size, size);
    const badCrc = Buffer.from(good);
    badCrc[40] ^= 0xff;
    expect(decodeSimplePng(badCrc)).toBeNull();
    expect(decodeSimplePng(good.subarray(0, good.length - 12))).toBeNull(); // no IEND
    expect(decodeSimplePng(await sharp(glyph(size, 0), { raw: { width: size, height: size, channels: 1 } }).png({ progressive: true }).toBuffer())).toBeNull();
    expect(decodeSimplePng(await sharp(glyph(size, 0), { raw: { width: size, height: size, channels: 1 } }).toColourspace('grey16').png().toBuffer())).toBeNull();
  });
});

describe('BMP decoder', () => {
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
  it.each([24, 32] as const)('%i-bit, bottom-up and top-down', (bits) => {
    for (const topDown of [false, true]) {
      const raw = decodeBmp(bmp(rgb, 5, 3, bits, topDown), 1e6);
      expect(raw.width).toBe(5);
      expect(raw.height).toBe(3);
      const out = raw.channels === 4 ? raw.data.filter((_, i) => i % 4 !== 3) : raw.data;
      expect(Array.from(out)).toEqual(Array.from(rgb));
      if (raw.channels === 4) expect(raw.data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    }
  });
  it('8-bit and 1-bit palettes', () => {
    const grey = Uint8Array.from([0, 50, 100, 150, 200, 250, 255, 3, 9]);
    const eight = decodeBmp(bmp(greyToRgb(grey), 3, 3, 8), 1e6);
    expect(Array.from(eight.data.filter((_, i) => i % 3 === 0))).toEqual(Array.from(grey));
    const one = decodeBmp(bmp(greyToRgb(grey), 9, 1, 1), 1e6);
    expect(Array.from(one.data.filter((_, i) => i % 3 === 0))).toEqual(Array.from(grey).map((v) => (v > 127 ? 255 : 0)));
  });
  it('reports truncation as corrupt', () => {
    const file = bmp(rgb, 5, 3, 24);
    expect(() => decodeBmp(file.subarray(0, file.length - 10), 1e6)).toThrow(/truncated/);
  });
});

describe('refusals', () => {
  it('refuses a folder with no usable image in one sentence', async () => {
    const root = tempDir('nothing');
    writeFileSync(join(root, 'a.png'), 'text');
    writeFileSync(join(root, 'b.jpg'), '');
    mkdirSync(join(root, 'cats'));
    await expect(openDataset(root, { size: 8, channels: 1 })).rejects.toThrow(
      `${root} has no usable image (1 not an image (contents match no image format), 1 empty file (0 bytes)).`,
    );
    rmSync(root, { recursive: true });
  });

  it('refuses a folder without images, a missing folder and a file', async () => {
    const root = tempDir('empty');
    writeFileSync(join(root, 'notes.txt'), 'hi');
    await expect(openDataset(root, {})).rejects.toThrow(`${root} contains no image files (PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP).`);
    await expect(openDataset(join(root, 'nope'), {})).rejects.toThrow(/no such folder/);
    await expect(openDataset(join(root, 'notes.txt'), {})).rejects.toThrow(/is a file, not a folder/);
    await expect(openDataset('relative/path', {})).rejects.toThrow(/absolute folder path/);
    rmSync(root, { recursive: true });
  });

  it('refuses bad option values naming the option', async () => {
    const root = tempDir('opts');
    writeFileSync(join(root, 'a.png'), await greyPng(glyph(8, 0), 8, 8));
    await expect(openDataset(root, { size: 2 })).rejects.toThrow(/Image size must be/);
    await expect(openDataset(root, { binarize: 1.5 })).rejects.toThrow(/Binarize must be/);
    await expect(openDataset(root, { testSplit: 1 })).rejects.toThrow(/test split/);
    rmSync(root, { recursive: true });
  });
});
