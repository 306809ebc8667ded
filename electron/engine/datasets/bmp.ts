// BMP decoding. sharp 0.35's prebuilt libvips has no BMP loader (BMP goes through ImageMagick, which
// the prebuilt binaries leave out), and no maintained BMP package is installed, so this small decoder
// covers the uncompressed variants that image tools write: 1/4/8-bit palette, 16/24/32-bit, bit
// fields, top-down and bottom-up. RLE and embedded JPEG/PNG BMPs are skipped as unsupported.
import type { RawImage } from './png-fast.ts';

export class BmpError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'unsupported' | 'tooLarge',
    message: string,
  ) {
    super(message);
  }
}

interface Field {
  mask: number;
  shift: number;
  max: number;
}

function field(mask: number): Field {
  mask >>>= 0;
  if (mask === 0) return { mask: 0, shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { mask, shift, max: mask >>> shift };
}

function extract(value: number, f: Field): number {
  return f.max === 0 ? 0 : Math.round((((value & f.mask) >>> 0) >>> f.shift) * (255 / f.max));
}

/** Width and height from the header, for the pixel limit and the size suggestion. */
export function bmpDimensions(buf: Uint8Array): { width: number; height: number } | null {
  if (buf.length < 26) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerSize = view.getUint32(14, true);
  if (headerSize === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
  if (headerSize < 40 || buf.length < 26) return null;
  return { width: view.getInt32(18, true), height: Math.abs(view.getInt32(22, true)) };
}

export function decodeBmp(buf: Uint8Array, maxPixels: number): RawImage {
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new BmpError('corrupt', 'BMP header missing');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let height: number;
  let bitCount: number;
  let compression = 0;
  let coloursUsed = 0;
  let paletteEntrySize = 4;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    height = view.getInt16(20, true);
    bitCount = view.getUint16(24, true);
    paletteEntrySize = 3;
  } else if (headerSize >= 40 && buf.length >= 14 + 40) {
    width = view.getInt32(18, true);
    height = view.getInt32(22, true);
    bitCount = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    coloursUsed = view.getUint32(46, true);
  } else {
    throw new BmpError('corrupt', `BMP header of unknown size ${headerSize}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height === 0) throw new BmpError('corrupt', `BMP has invalid dimensions ${width}x${height}`);
  if (width * height > maxPixels) throw new BmpError('tooLarge', `${width}x${height} pixels`);
  if (compression === 1 || compression === 2) throw new BmpError('unsupported', 'RLE-compressed BMP');
  if (compression === 4 || compression === 5) throw new BmpError('unsupported', 'BMP with embedded JPEG or PNG');
  if (compression !== 0 && compression !== 3 && compression !== 6) throw new BmpError('unsupported', `BMP compression ${compression}`);
  if (![1, 4, 8, 16, 24, 32].includes(bitCount)) throw new BmpError('unsupported', `BMP with ${bitCount} bits per pixel`);

  // Colour masks: after a 40-byte header for BI_BITFIELDS, inside larger (V4/V5) headers.
  let red = field(0),
    green = field(0),
    blue = field(0),
    alpha = field(0);
  if (bitCount === 16 || bitCount === 32) {
    if (compression === 3 || compression === 6) {
      const at = 14 + 40;
      if (buf.length < at + 12) throw new BmpError('corrupt', 'BMP colour masks missing');
      red = field(view.getUint32(at, true));
      green = field(view.getUint32(at + 4, true));
      blue = field(view.getUint32(at + 8, true));
      if ((compression === 6 || headerSize >= 56) && buf.length >= at + 16) alpha = field(view.getUint32(at + 12, true));
    } else if (bitCount === 16) {
      [red, green, blue] = [field(0x7c00), field(0x03e0), field(0x001f)];
    } else {
      [red, green, blue, alpha] = [field(0x00ff0000), field(0x0000ff00), field(0x000000ff), field(0xff000000)];
    }
  }

  let palette: Uint8Array | null = null;
  if (bitCount <= 8) {
    const entries = coloursUsed || 1 << bitCount;
    const start = 14 + headerSize;
    if (start + entries * paletteEntrySize > buf.length) throw new BmpError('corrupt', 'BMP palette truncated');
    palette = new Uint8Array(entries * 3);
    for (let i = 0; i < entries; i++) {
      const p = start + i * paletteEntrySize;
      palette[i * 3] = buf[p + 2];
      palette[i * 3 + 1] = buf[p + 1];
      palette[i * 3 + 2] = buf[p];
    }
  }

  const stride = Math.floor((bitCount * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bitCount * width) / 8);
  if (pixelOffset + stride * (height - 1) + rowBytes > buf.length) throw new BmpError('corrupt', 'BMP pixel data truncated');

  const channels = alpha.max > 0 ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  let alphaSeen = false;
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bit = x * bitCount;
        const index = bitCount === 8 ? buf[row + x] : (buf[row + (bit >> 3)] >> (8 - bitCount - (bit & 7))) & ((1 << bitCount) - 1);
        if (index * 3 >= palette.length) throw new BmpError('corrupt', `BMP palette index ${index} out of range`);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      } else if (bitCount === 24) {
        const p = row + x * 3;
        out[o] = buf[p + 2];
        out[o + 1] = buf[p + 1];
        out[o + 2] = buf[p];
      } else {
        const value = bitCount === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        out[o] = extract(value, red);
        out[o + 1] = extract(value, green);
        out[o + 2] = extract(value, blue);
        if (channels === 4) {
          out[o + 3] = extract(value, alpha);
          if (out[o + 3] !== 0) alphaSeen = true;
        }
      }
    }
  }
  // Many writers leave the fourth byte of 32-bit BMPs at 0: an all-zero alpha means "no alpha".
  if (channels === 4 && !alphaSeen) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { data: out, width, height, channels };
}
