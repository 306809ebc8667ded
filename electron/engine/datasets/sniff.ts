// What a file really is, from its first bytes: a file named .png may be a JPEG (fine, decode it) or
// a text file (skip it as "not an image"). File names are only used to pick candidates.

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'bmp';

/** Extensions that mark a file as meant to be an image (the contract's list: the browser's upload filters by it too). */
export { IMAGE_EXTENSIONS } from '../../contract/datasets.ts';

/** Bytes needed to recognise every format below. */
export const SNIFF_BYTES = 64;

function ascii(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...buf.subarray(start, end));
}

export function sniffFormat(buf: Uint8Array): ImageFormat | null {
  if (buf.length >= 8 && buf[0] === 0x89 && ascii(buf, 1, 4) === 'PNG' && buf[4] === 0x0d && buf[5] === 0x0a) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 6 && (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a')) return 'gif';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  if (buf.length >= 4) {
    const head = ascii(buf, 0, 4);
    // Classic TIFF and BigTIFF, both byte orders.
    if (head === 'II*\0' || head === 'MM\0*' || head === 'II+\0' || head === 'MM\0+') return 'tiff';
  }
  if (buf.length >= 14 && buf[0] === 0x42 && buf[1] === 0x4d) return 'bmp';
  if (buf.length >= 12 && ascii(buf, 4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand and the compatible brands say AVIF (AV1) or HEIC (HEVC).
    const boxSize = Math.min(buf.length, (buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]);
    const brands = [ascii(buf, 8, 12)];
    for (let p = 16; p + 4 <= boxSize; p += 4) brands.push(ascii(buf, p, p + 4));
    if (brands.some((b) => b === 'avif' || b === 'avis')) return 'avif';
    if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1'].includes(b))) return 'heic';
  }
  return null;
}
