// PNG images of grids (manifold, reconstructions, GIF previews), encoded by sharp (libvips/libpng).
import sharp from 'sharp';
import type { GridLayout } from './layout.ts';
import { renderFrame } from './layout.ts';

/** Raw pixels (1 = grey, 3 = RGB) as PNG bytes. */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Uint8Array> {
  let image = sharp(pixels, { raw: { width, height, channels } });
  // Grey stays a one-channel PNG (a third of the size) rather than becoming sRGB.
  if (channels === 1) image = image.toColourspace('b-w');
  const buffer = await image.png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The grid with these tiles (layout order), upscaled to the layout's scale, as PNG bytes. */
export function encodeGridPng(layout: GridLayout, tiles: Uint8Array): Promise<Uint8Array> {
  return encodePng(renderFrame(layout, tiles), layout.width, layout.height, layout.channels);
}
