// One image file to `size x size x channels` uint8 pixels, or a SkipError with the reason.
// sharp (libvips) decodes PNG, JPEG, WebP, GIF (first frame), TIFF and AVIF, applies EXIF
// orientation, converts 16-bit and CMYK to 8-bit sRGB, and resizes; BMP has its own decoder (bmp.ts),
// and small plain PNGs and most JPEGs take a faster path first (fast-decode.ts). All paths end in
// finishImage().
import { open, readFile } from 'node:fs/promises';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { SKIP_REASONS } from './types.ts';
import { sniffFormat, SNIFF_BYTES, type ImageFormat } from './sniff.ts';
import type { RawImage } from './png-fast.ts';
import { BmpError, decodeBmp } from './bmp.ts';
import { decodeFast, type DecodeTarget } from './fast-decode.ts';
import { finishImage, type BorderStats } from './pixels.ts';

export type { DecodeTarget } from './fast-decode.ts';

// libvips' operation cache only helps when the same image is processed repeatedly; an import touches
// each file once, so the cache would just hold memory.
sharp.cache(false);

/** 100 megapixels: far above any training image, far below what would exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
/** A pathological file must not stall the import: one image gets this long. */
const DECODE_TIMEOUT_SECONDS = 60;
/** Larger files are not read into memory: sharp streams them from disk. */
export const READ_WHOLE_LIMIT = 32 * 1024 * 1024;

export class SkipError extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'SkipError';
  }
}

export function readErrorToSkip(error: unknown): SkipError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ELOOP') return new SkipError(SKIP_REASONS.symlinkLoop);
  const detail =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'the file disappeared during the import'
        : code === 'EIO'
          ? 'input/output error'
          : code === 'EISDIR'
            ? 'is a folder'
            : (error as Error)?.message ?? String(error);
  return new SkipError(SKIP_REASONS.unreadable, detail);
}

function sharpErrorToSkip(error: unknown, format: ImageFormat): SkipError {
  const message = (error as Error)?.message ?? String(error);
  // libvips stacks messages; the last meaningful line names the problem (drop seek noise, codes).
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l && !/^\(\d+\.\d+\)$/.test(l) && !/^source: bad seek/.test(l));
  // sharp prefixes "Input buffer has corrupt header: " when libvips fails while reading the header rather
  // than the pixels, and which of the two a truncated file fails in varies from run to run (a test saw the
  // decode pool and one thread disagree); the rest of the message is the same, and names the problem.
  const decoderMessage = (lines.pop() ?? message).replace(/:$/, '').replace(/^Input (buffer|file) has corrupt header: /, '');
  if (/pixel limit/i.test(message)) return new SkipError(SKIP_REASONS.tooLarge, decoderMessage);
  if (/Input file is missing|ENOENT|EACCES|permission denied/i.test(message)) return new SkipError(SKIP_REASONS.unreadable, decoderMessage);
  // The first bytes said `format`, so "unsupported format" from libvips means a damaged header.
  return new SkipError(SKIP_REASONS.corrupt, `${format.toUpperCase()}: ${decoderMessage}`);
}

/** Reads the file and decodes it into `out`. Throws SkipError for every kind of bad file. */
export async function decodeFile(path: string, fileSize: number, target: DecodeTarget, out: Uint8Array): Promise<BorderStats> {
  if (fileSize > READ_WHOLE_LIMIT) {
    let head: Uint8Array;
    try {
      const handle = await open(path, 'r');
      try {
        head = new Uint8Array(SNIFF_BYTES);
        const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
        head = head.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw readErrorToSkip(error);
    }
    const format = sniffFormat(head);
    if (format !== 'bmp') return decodeInput(path, head, target, out);
  }
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    throw readErrorToSkip(error);
  }
  return decodeInput(buf, buf, target, out);
}

/** Decodes an in-memory file (as read) into `out`. */
export function decodeBuffer(buf: Uint8Array, target: DecodeTarget, out: Uint8Array): Promise<BorderStats> {
  return decodeInput(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), buf, target, out);
}

async function decodeInput(input: Buffer | string, head: Uint8Array, target: DecodeTarget, out: Uint8Array): Promise<BorderStats> {
  if (head.length === 0) throw new SkipError(SKIP_REASONS.empty);
  const format = sniffFormat(head);
  if (!format) throw new SkipError(SKIP_REASONS.notImage);
  if (format === 'heic') {
    throw new SkipError(SKIP_REASONS.unsupported, 'HEIC/HEIF (HEVC) images cannot be decoded here; convert them to JPEG or PNG');
  }
  const { size, channels } = target;

  if (typeof input !== 'string') {
    const fast = decodeFast(input, target, out);
    if (fast) return fast;
  }

  let pipeline: Sharp;
  if (format === 'bmp') {
    let raw: RawImage;
    try {
      raw = decodeBmp(input as Buffer, target.maxPixels);
    } catch (error) {
      if (!(error instanceof BmpError)) throw error;
      throw new SkipError(SKIP_REASONS[error.kind], error.message);
    }
    if (raw.width === size && raw.height === size) return finishImage(raw, size, channels, out);
    pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else {
    pipeline = sharp(input, { failOn: 'error', limitInputPixels: target.maxPixels, autoOrient: true, sequentialRead: true });
  }
  let resized: { data: Buffer; info: OutputInfo };
  try {
    resized = await pipeline
      .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
      .resize(size, size, { fit: target.fit === 'contain' ? 'inside' : target.fit })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw sharpErrorToSkip(error, format);
  }
  const { data, info } = resized;
  return finishImage({ data, width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 }, size, channels, out);
}

/** The original image (orientation applied, alpha kept) scaled to fit `maxSide`, as PNG bytes. */
export async function thumbnailPng(buf: Buffer, maxSide: number): Promise<{ png: Buffer; width: number; height: number }> {
  const format = sniffFormat(buf);
  let pipeline: Sharp;
  let width: number;
  let height: number;
  if (format === 'bmp') {
    const raw = decodeBmp(buf, DEFAULT_MAX_PIXELS);
    pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
    ({ width, height } = raw);
  } else {
    pipeline = sharp(buf, { failOn: 'error', limitInputPixels: DEFAULT_MAX_PIXELS, autoOrient: true });
    const meta = await pipeline.metadata();
    const swap = (meta.orientation ?? 1) >= 5;
    width = (swap ? meta.height : meta.width) ?? 0;
    height = (swap ? meta.width : meta.height) ?? 0;
  }
  const png = await pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  return { png, width, height };
}
