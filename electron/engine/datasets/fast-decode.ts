// The decoders that need no sharp (small plain PNGs, JPEGs with DCT scaling): synchronous, so they
// run on the engine's thread for small imports and in the decode pool's worker threads for large
// ones. Anything they decline goes to sharp (decode.ts), which stays the one judge of bad files.
import type { Fit } from './types.ts';
import { sniffFormat } from './sniff.ts';
import { decodeSimplePng, pngDimensions } from './png-fast.ts';
import { decodeJpegScaled } from './jpeg-fast.ts';
import { finishImage, type BorderStats } from './pixels.ts';

export interface DecodeTarget {
  size: number;
  channels: 1 | 3;
  fit: Fit;
  /** Images with more pixels than this are skipped before decoding (decompression bombs). */
  maxPixels: number;
  /** Use the JS fast path for small plain PNGs (on by default; off to compare with sharp alone). */
  fastPng?: boolean;
  /** Decode JPEGs with DCT scaling (jpeg-fast.ts; on by default; off to compare with sharp alone). */
  fastJpeg?: boolean;
}

/** `buf` decoded into `out` by a fast path, or null when none takes it (then sharp decodes it). */
export function decodeFast(buf: Uint8Array, target: DecodeTarget, out: Uint8Array): BorderStats | null {
  const { size, channels } = target;
  const format = sniffFormat(buf);
  if (format === 'png' && target.fastPng !== false) {
    const dims = pngDimensions(buf);
    if (dims && dims.width === size && dims.height === size && size * size <= target.maxPixels) {
      const raw = decodeSimplePng(buf);
      if (raw) return finishImage(raw, size, channels, out);
    }
  } else if (format === 'jpeg' && target.fastJpeg !== false) {
    const raw = decodeJpegScaled(buf, target);
    if (raw) return finishImage(raw, size, channels, out);
  }
  return null;
}
