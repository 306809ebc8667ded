// Fixture image folders for the dataset tests, generated at test time in a temp dir (nothing
// committed): every layout and every bad case of issue 3, with the outcome the import must report.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { SKIP_REASONS } from '../../../electron/engine/datasets/types.ts';
import { paeth } from '../../../electron/engine/datasets/png-fast.ts';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `le-${prefix}-`));
}

/** A size x size grey glyph: dark ink (0) on light paper (255), a filled square whose position depends on `seed`. */
export function glyph(size: number, seed: number, ink = 0, paper = 255): Uint8Array {
  const px = new Uint8Array(size * size).fill(paper);
  const s = Math.max(2, Math.floor(size / 3));
  const x0 = 2 + (seed % Math.max(1, size - s - 4));
  const y0 = 2 + ((seed * 7) % Math.max(1, size - s - 4));
  for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) px[y * size + x] = ink;
  return px;
}

export function greyPng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels: 1 } }).png().toBuffer();
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/**
 * A PNG written by hand, for the layouts sharp does not produce on request (1/2/4-bit grey, a given
 * filter type on every row). `samples` are 0..(2^bitDepth - 1) per channel.
 */
export function handPng(opts: { width: number; height: number; colourType: 0 | 2 | 3 | 4 | 6; bitDepth: number; samples: Uint8Array; filter?: number; palette?: Uint8Array; trns?: Uint8Array }): Buffer {
  const { width, height, colourType, bitDepth, samples } = opts;
  const perPixel = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colourType];
  const rowBytes = Math.ceil((width * perPixel * bitDepth) / 8);
  const bpp = Math.max(1, (perPixel * bitDepth) >> 3);
  const rows: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(rowBytes);
    for (let x = 0; x < width * perPixel; x++) {
      const v = samples[y * width * perPixel + x];
      if (bitDepth === 8) row[x] = v;
      else {
        const bit = x * bitDepth;
        row[bit >> 3] |= v << (8 - bitDepth - (bit & 7));
      }
    }
    rows.push(row);
  }
  const filter = opts.filter ?? 0;
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? rows[y][i - bpp] : 0;
      const b = y > 0 ? rows[y - 1][i] : 0;
      const c = i >= bpp && y > 0 ? rows[y - 1][i - bpp] : 0;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : 0;
      raw[y * (rowBytes + 1) + 1 + i] = (rows[y][i] - pred) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(opts.palette ? [chunk('PLTE', opts.palette)] : []),
    ...(opts.trns ? [chunk('tRNS', opts.trns)] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A valid PNG header claiming 50,000 x 50,000 pixels (a decompression bomb), with a tiny body. */
export function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50_000, 0);
  ihdr.writeUInt32BE(50_000, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(new Uint8Array(1000))), chunk('IEND', new Uint8Array(0))]);
}

/** A BMP (BITMAPINFOHEADER) of RGB pixels: 24-bit, 32-bit BGRA, 8-bit or 1-bit palette (grey levels). */
export function bmp(rgb: Uint8Array, width: number, height: number, bitCount: 1 | 8 | 24 | 32, topDown = false): Buffer {
  const paletteEntries = bitCount <= 8 ? 1 << bitCount : 0;
  const stride = Math.floor((bitCount * width + 31) / 32) * 4;
  const offset = 14 + 40 + paletteEntries * 4;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bitCount, 28);
  for (let i = 0; i < paletteEntries; i++) {
    const v = Math.round((i * 255) / (paletteEntries - 1));
    buf[54 + i * 4] = buf[54 + i * 4 + 1] = buf[54 + i * 4 + 2] = v;
  }
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const [r, g, b] = [rgb[p], rgb[p + 1], rgb[p + 2]];
      if (bitCount === 24) buf.set([b, g, r], row + x * 3);
      else if (bitCount === 32) buf.set([b, g, r, 255], row + x * 4);
      else if (bitCount === 8) buf[row + x] = r; // grey palette: index = level
      else if (r > 127) buf[row + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return buf;
}

export function greyToRgb(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  grey.forEach((v, i) => rgb.set([v, v, v], i * 3));
  return rgb;
}

/** Paths, sizes, mtimes and content hashes of everything under `dir` (to prove it was not modified). */
export function snapshotFolder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: Buffer, rel: string) => {
    for (const raw of readdirSync(d, { encoding: 'buffer' })) {
      const abs = Buffer.concat([d, Buffer.from('/'), raw]);
      const path = `${rel}${raw.toString('hex')}`;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out.push(`${path} link`);
      else if (st.isDirectory()) {
        out.push(`${path}/ ${st.mtimeMs}`);
        walk(abs, `${path}/`);
      } else if (st.isFile()) out.push(`${path} ${st.size} ${st.mtimeMs} ${createHash('sha1').update(readFileSync(abs)).digest('hex')}`);
      else out.push(`${path} special ${st.mtimeMs}`);
    }
  };
  walk(Buffer.from(dir), '');
  return out.sort();
}

export function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface MessyExpectation {
  images: number;
  classCounts: Record<string, number>;
  unlabelled: number;
  /** path -> reason, every skipped entry. */
  skipped: Record<string, string>;
  ignoredFiles: number;
  /** path -> class name or null (unlabelled), for every used image. */
  labels: Record<string, string | null>;
  labelsCsv: { rows: number; applied: number; unmatched: number; invalid: number };
}

/**
 * A folder with class subfolders (one nested deeper), an unlabelled folder, top-level images,
 * labels.csv relabelling some images, every format, and every bad case. Images are 20x20 dark ink on
 * light paper unless noted. Returns the exact outcome the import must report.
 */
export async function buildMessyFolder(root: string): Promise<MessyExpectation> {
  const w = (rel: string, data: Uint8Array | string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  };
  const g = (seed: number) => glyph(20, seed);
  const rawGrey = (seed: number) => sharp(g(seed), { raw: { width: 20, height: 20, channels: 1 } });
  const goodPng = await greyPng(g(1), 20, 20);

  // cats: every format sharp decodes, a nested folder, BMP, plus two bad files and a text file.
  w('cats/c1.png', goodPng);
  w('cats/c2.jpg', await rawGrey(2).jpeg({ quality: 95 }).toBuffer());
  w('cats/c3.webp', await rawGrey(3).webp({ lossless: true }).toBuffer());
  w('cats/deeper/c4.gif', await rawGrey(4).gif().toBuffer());
  w('cats/c5.tif', await rawGrey(5).tiff({ compression: 'lzw' }).toBuffer());
  w('cats/c6.avif', await rawGrey(6).avif({ quality: 90 }).toBuffer());
  w('cats/c7.bmp', bmp(greyToRgb(g(7)), 20, 20, 24));
  w('cats/bad-zero.png', '');
  w('cats/bad-trunc.png', goodPng.subarray(0, goodPng.length >> 1));
  w('cats/notes.txt', 'not an image, ignored');
  // dogs: 16-bit, CMYK, alpha, EXIF-rotated; a text file named .jpg; a decompression bomb.
  w('dogs/d1.png', await rawGrey(8).toColourspace('grey16').png().toBuffer());
  w('dogs/d2.jpg', await sharp(greyToRgb(g(9)), { raw: { width: 20, height: 20, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer());
  const rgba = new Uint8Array(20 * 20 * 4);
  g(10).forEach((v, i) => rgba.set(v === 0 ? [0, 0, 0, 255] : [0, 0, 0, 0], i * 4)); // ink opaque, paper transparent
  w('dogs/d3.png', await sharp(rgba, { raw: { width: 20, height: 20, channels: 4 } }).png().toBuffer());
  w('dogs/d4.jpg', await rawGrey(11).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  w('dogs/fake.jpg', 'this is a text file that only looks like a JPEG by its name');
  w('dogs/huge.png', bombPng());
  // A class folder with nothing in it, and one where nothing is usable.
  mkdirSync(join(root, 'empty-class'), { recursive: true });
  w('broken-class/bad.png', Buffer.concat([goodPng.subarray(0, 40), Buffer.alloc(60, 7)]));
  // Unlabelled images: a folder named 'unlabeled' and the top level.
  w('unlabeled/u1.png', await greyPng(g(12), 20, 20));
  w('unlabeled/u2.png', await greyPng(g(13), 20, 20));
  w('top1.png', await greyPng(g(14), 20, 20));
  w('top2.png', await greyPng(g(15), 20, 20));
  // Hidden files and plain non-images: ignored silently (the hidden ones not even counted).
  w('.hidden.png', goodPng);
  w('.DS_Store', 'mac metadata');
  w('README.md', '# my images');
  // Links: back to the root (a loop), to themselves (ELOOP), and to nothing.
  symlinkSync('.', join(root, 'loop'));
  symlinkSync('selfloop.png', join(root, 'selfloop.png'));
  symlinkSync('missing-target.png', join(root, 'dangling.png'));
  // A name that is not valid UTF-8.
  writeFileSync(Buffer.concat([Buffer.from(`${root}/name-`), Buffer.from([0xff, 0xfe]), Buffer.from('.png')]), goodPng);
  // labels.csv: labels a top-level image, moves a dog to cats, names a missing file, has one bad line.
  w('labels.csv', 'file,label\ntop1.png,birds\ndogs/d1.png,cats\nmissing.png,cats\njust-one-column\n');

  const skipped: Record<string, string> = {
    'broken-class/': SKIP_REASONS.emptyClass,
    'broken-class/bad.png': SKIP_REASONS.corrupt,
    'cats/bad-trunc.png': SKIP_REASONS.corrupt,
    'cats/bad-zero.png': SKIP_REASONS.empty,
    'dangling.png': SKIP_REASONS.brokenLink,
    'dogs/fake.jpg': SKIP_REASONS.notImage,
    'dogs/huge.png': SKIP_REASONS.tooLarge,
    'empty-class/': SKIP_REASONS.emptyClass,
    'loop/': SKIP_REASONS.symlinkLoop,
    'name-\uFFFD\uFFFD.png': SKIP_REASONS.badName,
    'selfloop.png': SKIP_REASONS.symlinkLoop,
  };
  if (hasMkfifo()) {
    execFileSync('mkfifo', [join(root, 'fifo.png')]);
    skipped['fifo.png'] = SKIP_REASONS.unreadable;
  }
  const labels: Record<string, string | null> = {
    'cats/c1.png': 'cats',
    'cats/c2.jpg': 'cats',
    'cats/c3.webp': 'cats',
    'cats/c5.tif': 'cats',
    'cats/c6.avif': 'cats',
    'cats/c7.bmp': 'cats',
    'cats/deeper/c4.gif': 'cats',
    'dogs/d1.png': 'cats',
    'dogs/d2.jpg': 'dogs',
    'dogs/d3.png': 'dogs',
    'dogs/d4.jpg': 'dogs',
    'top1.png': 'birds',
    'top2.png': null,
    'unlabeled/u1.png': null,
    'unlabeled/u2.png': null,
  };
  return {
    images: 15,
    classCounts: { birds: 1, cats: 8, dogs: 3 },
    unlabelled: 3,
    skipped,
    ignoredFiles: 2,
    labels,
    labelsCsv: { rows: 3, applied: 2, unmatched: 1, invalid: 1 },
  };
}

/** `n` small PNGs in `classes` class folders (for progress, cancellation and cache tests). */
export async function buildDigitFolder(root: string, n: number, classes = 3, size = 16): Promise<void> {
  for (let c = 0; c < classes; c++) mkdirSync(join(root, `class${c}`), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(root, `class${i % classes}`, `img${String(i).padStart(5, '0')}.png`), await greyPng(glyph(size, i), size, size));
}

export function fileSize(path: string): number {
  return statSync(path).size;
}
