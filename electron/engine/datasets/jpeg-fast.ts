// A fast path for JPEG photos: libjpeg-turbo (WebAssembly, npm @cwasm/jpeg-turbo) decoding with DCT
// scaling, so a 256 px photo imported at 64 px is decoded straight to 64 px (1/4 scale) instead of
// decoded whole and then resized.
// Why not sharp for these: sharp costs ~2 ms of CPU per 256 px JPEG here, mostly pipeline set-up
// and a full-size decode (its shrink-on-load halves its own factor when the shrink is an exact power
// of two, so 256 -> 64 decodes at 128 px), which caps a 2-core machine near 1,000 photos/s. Decoding
// at 1/4 scale takes ~0.4 ms in WebAssembly (PIL's `draft` does the same in C).
// Like png-fast.ts it declines (returns null) what it cannot do as sharp would — CMYK, upscaling, any
// decoder warning or error — and sharp then decodes the file and names what is wrong with it.
// Colour profiles are not applied here (sharp ignores them too unless asked).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Fit } from './types.ts';
import type { RawImage } from './png-fast.ts';

interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(pointer: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(handle: number, src: number, size: number, width: number, height: number, subsampling: number, colourspace: number): number;
  tjDecompress2(handle: number, src: number, size: number, dst: number, width: number, pitch: number, height: number, pixelFormat: number, flags: number): number;
}

const TJPF_RGB = 0;
const TJPF_GRAY = 6;
const TJCS_GRAY = 2;
/** TJCS_CMYK and TJCS_YCCK and beyond: sharp converts those with a colour profile. */
const TJCS_CMYK = 3;

let compiled: WebAssembly.Module | null = null;

/** One decoder per thread, with scratch memory that grows to the largest file seen. */
class Decoder {
  private readonly tj: TurboJpeg;
  private readonly handle: number;
  private readonly header: number;
  private input = 0;
  private inputSize = 0;
  private output = 0;
  private outputSize = 0;

  constructor() {
    if (!compiled) {
      const require = createRequire(import.meta.url);
      compiled = new WebAssembly.Module(readFileSync(require.resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm')));
    }
    // libjpeg reports errors through setjmp/longjmp, which this build leaves to its host: longjmp
    // throws, and the throwing instance is dropped (see decodeJpegScaled).
    const env = {
      setjmp: () => 0,
      longjmp: () => {
        throw new Error('libjpeg error');
      },
    };
    const fail = () => {
      throw new Error('libjpeg called the system');
    };
    const wasi = { environ_sizes_get: () => 0, environ_get: fail, proc_exit: fail, fd_close: fail, fd_seek: fail, fd_write: () => 0 };
    this.tj = new WebAssembly.Instance(compiled, { env, wasi_snapshot_preview1: wasi }).exports as unknown as TurboJpeg;
    this.handle = this.tj.tjInitDecompress();
    this.header = this.tj.malloc(16);
    if (!this.handle || !this.header) throw new Error('libjpeg-turbo: out of memory');
  }

  private ensure(kind: 'input' | 'output', size: number): number {
    const sizeKey = kind === 'input' ? 'inputSize' : 'outputSize';
    if (this[sizeKey] < size) {
      if (this[kind]) this.tj.free(this[kind]);
      const grown = Math.max(size, this[sizeKey] * 2, 64 * 1024);
      this[kind] = this.tj.malloc(grown);
      if (!this[kind]) throw new Error('libjpeg-turbo: out of memory');
      this[sizeKey] = grown;
    }
    return this[kind];
  }

  /** Copies the file in and reads its header: [width, height, colourspace], or null. */
  load(buf: Uint8Array): { width: number; height: number; grey: boolean } | null {
    const src = this.ensure('input', buf.length);
    new Uint8Array(this.tj.memory.buffer, src, buf.length).set(buf);
    const h = this.header;
    if (this.tj.tjDecompressHeader3(this.handle, src, buf.length, h, h + 4, h + 8, h + 12) !== 0) return null;
    const [width, height, , colourspace] = new Int32Array(this.tj.memory.buffer, h, 4);
    if (colourspace >= TJCS_CMYK || width <= 0 || height <= 0) return null;
    return { width, height, grey: colourspace === TJCS_GRAY };
  }

  /** Decodes the loaded file at `width` x `height` (an exact DCT scaling of it), or null. */
  decode(bufLength: number, width: number, height: number, grey: boolean): RawImage | null {
    const channels = grey ? 1 : 3;
    const bytes = width * height * channels;
    const dst = this.ensure('output', bytes);
    // A non-zero status also covers warnings (a truncated file decodes with grey filler): sharp decides.
    if (this.tj.tjDecompress2(this.handle, this.input, bufLength, dst, width, 0, height, grey ? TJPF_GRAY : TJPF_RGB, 0) !== 0) return null;
    return { data: new Uint8Array(this.tj.memory.buffer, dst, bytes).slice(), width, height, channels };
  }
}

let decoder: Decoder | null = null;

export interface JpegTarget {
  size: number;
  fit: Fit;
  maxPixels: number;
}

/**
 * `buf` (a JPEG file) decoded, oriented (EXIF) and resized for `target` as sharp's resize would
 * ('contain' = fit inside, one side equal to size; 'cover' = centre crop; 'fill' = stretch), or null
 * when this path declines the file.
 */
export function decodeJpegScaled(buf: Uint8Array, target: JpegTarget): RawImage | null {
  const orientation = exifOrientation(buf);
  if (orientation === null) return null;
  try {
    decoder ??= new Decoder();
    const header = decoder.load(buf);
    if (!header || header.width * header.height > target.maxPixels) return null;
    const swap = orientation >= 5;
    const width = swap ? header.height : header.width;
    const height = swap ? header.width : header.height;
    const plan = resizePlan(width, height, target.size, target.fit);
    // The smallest DCT scale n/8 that still covers the resized image; none means upscaling.
    let n = 1;
    while (n <= 8 && (Math.ceil((width * n) / 8) < plan.width || Math.ceil((height * n) / 8) < plan.height)) n++;
    if (n > 8) return null;
    const scaledW = Math.ceil((header.width * n) / 8);
    const scaledH = Math.ceil((header.height * n) / 8);
    let raw = decoder.decode(buf.length, scaledW, scaledH, header.grey);
    if (!raw) return null;
    if (orientation > 1) raw = orient(raw, orientation);
    return resizeArea(raw, plan);
  } catch {
    // An error inside libjpeg left the instance mid-call: start a fresh one, let sharp judge the file.
    decoder = null;
    return null;
  }
}

interface ResizePlan {
  /** The image resized (before any crop). */
  width: number;
  height: number;
  /** The window kept of it (cover crops; the others keep everything). */
  left: number;
  top: number;
  outWidth: number;
  outHeight: number;
}

/** Output geometry, as sharp's resize(size, size, { fit }) computes it (fit 'contain' = 'inside'). */
export function resizePlan(width: number, height: number, size: number, fit: Fit): ResizePlan {
  if (fit === 'fill') return { width: size, height: size, left: 0, top: 0, outWidth: size, outHeight: size };
  const shrink = fit === 'cover' ? Math.min(width / size, height / size) : Math.max(width / size, height / size);
  const w = Math.max(1, Math.round(width / shrink));
  const h = Math.max(1, Math.round(height / shrink));
  if (fit === 'contain') return { width: w, height: h, left: 0, top: 0, outWidth: w, outHeight: h };
  // Centre crop, rounded as sharp rounds it.
  return { width: w, height: h, left: (w - size + 1) >> 1, top: (h - size + 1) >> 1, outWidth: size, outHeight: size };
}

/**
 * Box (area-average) resampling to plan.width x plan.height, keeping the plan's window. Used when
 * the DCT scale did not land exactly on the target, so the factor left is below 2 (or the crop).
 */
export function resizeArea(raw: RawImage, plan: ResizePlan): RawImage {
  const { width: sw, height: sh, channels, data } = raw;
  if (sw === plan.width && sh === plan.height && plan.outWidth === sw && plan.outHeight === sh) return raw;
  const xs = spans(sw, plan.width, plan.left, plan.outWidth);
  const ys = spans(sh, plan.height, plan.top, plan.outHeight);
  const out = new Uint8Array(plan.outWidth * plan.outHeight * channels);
  const row = new Float64Array(plan.outWidth * channels);
  for (let oy = 0; oy < plan.outHeight; oy++) {
    row.fill(0);
    const y = ys[oy];
    for (let k = 0; k < y.index.length; k++) {
      const srcRow = y.index[k] * sw * channels;
      const wy = y.weight[k];
      for (let ox = 0; ox < plan.outWidth; ox++) {
        const x = xs[ox];
        for (let j = 0; j < x.index.length; j++) {
          const w = wy * x.weight[j];
          const p = srcRow + x.index[j] * channels;
          for (let c = 0; c < channels; c++) row[ox * channels + c] += w * data[p + c];
        }
      }
    }
    const o = oy * plan.outWidth * channels;
    for (let i = 0; i < row.length; i++) out[o + i] = Math.min(255, Math.max(0, Math.round(row[i])));
  }
  return { data: out, width: plan.outWidth, height: plan.outHeight, channels };
}

/** Which source pixels (and how much of each) make each output pixel along one axis. */
function spans(source: number, scaled: number, offset: number, count: number): { index: number[]; weight: number[] }[] {
  const step = source / scaled;
  return Array.from({ length: count }, (_, i) => {
    const from = (i + offset) * step;
    const to = Math.min(source, from + step);
    const index: number[] = [];
    const weight: number[] = [];
    for (let s = Math.floor(from); s < to; s++) {
      const cover = Math.min(to, s + 1) - Math.max(from, s);
      if (cover <= 1e-9) continue;
      index.push(s);
      weight.push(cover / (to - from));
    }
    return { index, weight };
  });
}

/** Applies EXIF orientation 2..8 (as sharp's autoOrient does). */
export function orient(raw: RawImage, orientation: number): RawImage {
  const { width: w, height: h, channels, data } = raw;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // Source coordinates of output pixel (x, y), per EXIF's definition of each orientation.
      let sx: number, sy: number;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        case 8: sx = w - 1 - y; sy = x; break;
        default: sx = x; sy = y;
      }
      const s = (sy * w + sx) * channels;
      const o = (y * ow + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = data[s + c];
    }
  }
  return { data: out, width: ow, height: oh, channels };
}

/**
 * The EXIF orientation (1 when there is none), or null when the markers before the image data cannot
 * be walked (sharp then decides).
 */
export function exifOrientation(buf: Uint8Array): number | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return null;
    const marker = buf[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // Start of frame or of scan: no EXIF after this point.
    if ((marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xda) return 1;
    const length = (buf[p + 2] << 8) | buf[p + 3];
    if (length < 2 || p + 2 + length > buf.length) return null;
    if (marker === 0xe1 && length >= 16 && String.fromCharCode(...buf.subarray(p + 4, p + 8)) === 'Exif') {
      const o = tiffOrientation(buf.subarray(p + 10, p + 2 + length));
      if (o !== 1) return o;
    }
    p += 2 + length;
  }
  return null;
}

function tiffOrientation(t: Uint8Array): number | null {
  if (t.length < 8) return 1;
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const u16 = (q: number) => (little ? t[q] | (t[q + 1] << 8) : (t[q] << 8) | t[q + 1]);
  const u32 = (q: number) => (little ? (t[q] | (t[q + 1] << 8) | (t[q + 2] << 16)) + t[q + 3] * 2 ** 24 : t[q] * 2 ** 24 + ((t[q + 1] << 16) | (t[q + 2] << 8) | t[q + 3]));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (u16(e) === 0x0112) {
      const value = u16(e + 8);
      // Out-of-range values are ignored by sharp as by every viewer; declining keeps them sharp's.
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return 1;
}
