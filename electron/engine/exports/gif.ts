// Animated GIFs of image grids with gifenc (small, fast, pure JS, lets us control the palette): one
// palette shared by every frame, quantized from a sample of all frames, so colours do not flicker.
//
// Speed: tiles are mapped to the palette at their native size and the indices upscaled, which gives
// exactly the indices that mapping the upscaled frame would (nearest-neighbour copies pixels) at 1/scale²
// of the work; a ping-pong loop's way back reuses the frames already compressed.
import * as gifencModule from 'gifenc';
import type { Palette } from 'gifenc';
import { throwIfCancelled } from '../../contract/errors.ts';
import type { GridLayout } from './layout.ts';

// gifenc's CommonJS build arrives in Node's ESM as the default import; bundlers and vitest hand over
// its named exports (or an interop default that is GIFEncoder itself): take whichever has them.
type Gifenc = typeof gifencModule.default;
const candidates = [gifencModule, (gifencModule as unknown as { default?: unknown }).default] as Partial<Gifenc>[];
const gifenc = candidates.find((c) => typeof c?.quantize === 'function') as Gifenc;
const { GIFEncoder, quantize, applyPalette } = gifenc;

export interface GifOptions {
  /** Delay of every frame, ms (stored in hundredths of a second; 20 ms is the least browsers honour). */
  delayMs: number;
  /** Display order as indices into the distinct frames (e.g. a ping-pong order); default each once. */
  order?: number[];
  signal?: AbortSignal;
  /** Fraction 0..1 of the frames compressed. */
  onProgress?: (fraction: number) => void;
}

const SAMPLE_FRAMES = 16;
const SAMPLE_BACKGROUND_PIXELS = 16_384;

/** Pixels (1 or 3 channels) as a fresh RGBA buffer, as gifenc wants them (it reads the whole buffer). */
function toRgba(pixels: Uint8Array, channels: number, stride = 1): Uint8Array {
  const n = Math.floor(pixels.length / channels / stride);
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const p = i * stride * channels;
    out[i * 4] = pixels[p];
    out[i * 4 + 1] = pixels[p + (channels === 3 ? 1 : 0)];
    out[i * 4 + 2] = pixels[p + (channels === 3 ? 2 : 0)];
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** One palette for the whole GIF from the background and the tiles of up to SAMPLE_FRAMES frames spread over all. */
export function sharedPalette(layout: GridLayout, frames: Uint8Array[]): Palette {
  const bgStride = Math.max(1, Math.floor(layout.width * layout.height / SAMPLE_BACKGROUND_PIXELS));
  const parts = [toRgba(layout.background, layout.channels, bgStride)];
  const step = Math.max(1, frames.length / SAMPLE_FRAMES);
  for (let f = 0; f < frames.length; f += step) parts.push(toRgba(frames[Math.floor(f)], layout.channels));
  const sample = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    sample.set(p, o);
    o += p.length;
  }
  return quantize(sample, 256);
}

/** The frame's palette indices at output size: the background's indices with every tile's indices upscaled into place. */
function indexFrame(layout: GridLayout, tiles: Uint8Array, palette: Palette, backgroundIndex: Uint8Array, out: Uint8Array): Uint8Array {
  const { width, tileSize: s, scale } = layout;
  out.set(backgroundIndex);
  const tileIndex = applyPalette(toRgba(tiles, layout.channels), palette);
  const line = new Uint8Array(s * scale);
  layout.tiles.forEach(({ x, y }, t) => {
    const src = t * s * s;
    for (let ty = 0; ty < s; ty++) {
      let o = 0;
      for (let tx = 0; tx < s; tx++) {
        const v = tileIndex[src + ty * s + tx];
        for (let k = 0; k < scale; k++) line[o++] = v;
      }
      for (let k = 0; k < scale; k++) out.set(line, (y + ty * scale + k) * width + x);
    }
  });
  return out;
}

/**
 * Encodes a looping GIF of `frames` (each the tiles of one frame in layout order, tileSize² × channels
 * uint8 per tile) shown in `order`.
 */
export async function encodeGridGif(layout: GridLayout, frames: Uint8Array[], options: GifOptions): Promise<Uint8Array> {
  if (frames.length === 0) throw new Error('a GIF needs at least one frame');
  const order = options.order ?? frames.map((_, i) => i);
  const { width, height } = layout;
  const delay = Math.max(20, options.delayMs);
  const palette = sharedPalette(layout, frames);
  const backgroundIndex = applyPalette(toRgba(layout.background, layout.channels), palette);
  const index = new Uint8Array(width * height);

  // Each distinct frame is compressed once into its own chunk; the file is the chunks in display order.
  const chunks: (Uint8Array | undefined)[] = new Array(frames.length);
  const chunkEncoder = GIFEncoder({ auto: false, initialCapacity: width * height });
  const gif = GIFEncoder({ auto: false, initialCapacity: width * height * 2 });
  gif.writeHeader();
  const needed = new Set(order);
  let done = 0;
  for (let position = 0; position < order.length; position++) {
    const f = order[position];
    // Let the engine answer requests (a Cancel among them) between frames: a large GIF takes seconds.
    if (position > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfCancelled(options.signal);
    if (position === 0) {
      // The first frame carries the screen descriptor, the global palette and the loop-forever extension.
      gif.writeFrame(indexFrame(layout, frames[f], palette, backgroundIndex, index), width, height, { first: true, palette, delay, repeat: 0 });
      if (order.indexOf(f, 1) === -1) {
        progress();
        continue;
      }
    }
    let chunk = chunks[f];
    if (!chunk) {
      chunkEncoder.reset();
      chunkEncoder.writeFrame(indexFrame(layout, frames[f], palette, backgroundIndex, index), width, height, { delay });
      chunk = chunkEncoder.bytes();
      chunks[f] = chunk;
      progress();
    }
    if (position > 0) gif.stream.writeBytesView(chunk);
  }
  gif.finish();
  return gif.bytes();

  function progress(): void {
    done++;
    options.onProgress?.(Math.min(1, done / needed.size));
  }
}
