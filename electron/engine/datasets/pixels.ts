// Pixel steps after decoding and resizing, done in JS so every decoder path (sharp, the PNG fast
// path, BMP) ends in exactly the same numbers: alpha flattened onto white, grey or RGB, letterbox
// padding for 'contain', and the border statistics that decide ink polarity.
import type { RawImage } from './png-fast.ts';

/** Rec. 601 luma in integer arithmetic (weights sum to 256). */
export function luma(r: number, g: number, b: number): number {
  return (77 * r + 150 * g + 29 * b + 128) >> 8;
}

export interface BorderStats {
  /** Mean luminance of the outermost ring of pixels, 0..255. */
  mean: number;
  /** Its standard deviation: low for paper-like backgrounds. */
  std: number;
}

/**
 * Writes `raw` (already resized: size x size, or for 'contain' at most size x size with one side
 * equal) into `out` (size*size*channels bytes). Transparent pixels become white paper; the letterbox
 * of 'contain' takes the median colour of the image's own border, so it blends with the background
 * whatever the polarity.
 */
export function finishImage(raw: RawImage, size: number, channels: 1 | 3, out: Uint8Array): BorderStats {
  const { width, height, data } = raw;
  const inCh = raw.channels;
  const exact = width === size && height === size;
  const target = exact ? out : new Uint8Array(width * height * channels);
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const p = i * inCh;
    let r: number, g: number, b: number;
    if (inCh <= 2) r = g = b = data[p];
    else {
      r = data[p];
      g = data[p + 1];
      b = data[p + 2];
    }
    if (inCh === 2 || inCh === 4) {
      const a = data[p + inCh - 1];
      if (a !== 255) {
        // Onto white: c*a + 255*(1-a), rounded.
        const t = 255 - a;
        r = ((r * a + 255 * t) * 2 + 255) / 510 | 0;
        g = ((g * a + 255 * t) * 2 + 255) / 510 | 0;
        b = ((b * a + 255 * t) * 2 + 255) / 510 | 0;
      }
    }
    if (channels === 1) target[i] = inCh <= 2 ? r : luma(r, g, b);
    else {
      target[i * 3] = r;
      target[i * 3 + 1] = g;
      target[i * 3 + 2] = b;
    }
  }
  if (!exact) pad(target, width, height, size, channels, out);
  return borderStats(out, size, channels);
}

function pad(src: Uint8Array, width: number, height: number, size: number, channels: 1 | 3, out: Uint8Array): void {
  // Per-channel median of the border: the background colour, even when a stroke touches the edge.
  const histograms = Array.from({ length: channels }, () => new Uint32Array(256));
  let count = 0;
  forEachBorderPixel(width, height, (x, y) => {
    const p = (y * width + x) * channels;
    for (let c = 0; c < channels; c++) histograms[c][src[p + c]]++;
    count++;
  });
  const fill = histograms.map((h) => {
    let seen = 0;
    for (let v = 0; v < 256; v++) if ((seen += h[v]) * 2 >= count) return v;
    return 0;
  });
  if (channels === 1) out.fill(fill[0]);
  else for (let i = 0; i < size * size; i++) out.set(fill, i * 3);
  const x0 = (size - width) >> 1;
  const y0 = (size - height) >> 1;
  const rowBytes = width * channels;
  for (let y = 0; y < height; y++) out.set(src.subarray(y * rowBytes, (y + 1) * rowBytes), ((y0 + y) * size + x0) * channels);
}

function forEachBorderPixel(width: number, height: number, visit: (x: number, y: number) => void): void {
  for (let x = 0; x < width; x++) {
    visit(x, 0);
    if (height > 1) visit(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    visit(0, y);
    if (width > 1) visit(width - 1, y);
  }
}

export function borderStats(pixels: Uint8Array, size: number, channels: 1 | 3): BorderStats {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  forEachBorderPixel(size, size, (x, y) => {
    const p = (y * size + x) * channels;
    const v = channels === 1 ? pixels[p] : luma(pixels[p], pixels[p + 1], pixels[p + 2]);
    sum += v;
    sumSq += v * v;
    count++;
  });
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) };
}

export interface InversionDecision {
  invert: boolean;
  /** Share of images with a light, uniform border. */
  lightShare: number;
  reason: string;
}

/** A border this uniform is a background (paper, slide, screen), not part of a photo. */
const UNIFORM_STD = 32;
const LIGHT_MEAN = 160;
const DARK_MEAN = 95;

/**
 * Ink polarity of a whole data set (per-image choices would mix polarities): invert when most images
 * have a light, uniform background, i.e. dark ink on light paper, so that ink is high as in MNIST.
 */
export function decideInversion(means: ArrayLike<number>, stds: ArrayLike<number>): InversionDecision {
  const n = means.length;
  let light = 0;
  let dark = 0;
  for (let i = 0; i < n; i++) {
    if (stds[i] > UNIFORM_STD) continue;
    if (means[i] >= LIGHT_MEAN) light++;
    else if (means[i] <= DARK_MEAN) dark++;
  }
  const lightShare = n ? light / n : 0;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (lightShare > 0.5) {
    return { invert: true, lightShare, reason: `${pct(lightShare)} of images have a light, uniform background (dark ink on light paper), so they are inverted to make ink high as in MNIST.` };
  }
  if (n && dark / n > 0.5) {
    return { invert: false, lightShare, reason: `${pct(dark / n)} of images have a dark, uniform background (ink is already high), so they are kept as they are.` };
  }
  return { invert: false, lightShare, reason: 'Most images have no uniform background (photos or mixed), so they are kept as they are.' };
}

export function invertInPlace(pixels: Uint8Array): void {
  for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - pixels[i];
}
