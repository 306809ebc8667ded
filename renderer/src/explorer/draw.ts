// Drawing decoded images on canvases: uint8 HWC blocks into one ImageData, one putImageData per
// update (the fast path of every slider), plus the class colours the views share.
import { interpolateSinebow, quantize, schemeTableau10 } from 'd3';

/** Grey for unlabelled points. */
export const UNLABELLED = '#8a8f9c';

export function classColours(count: number): string[] {
  if (count <= 10) return schemeTableau10.slice(0, count);
  return quantize((t) => interpolateSinebow(t * 0.95), count);
}

export interface BlockLayout {
  columns: number;
  /** Pixels between images. */
  gap?: number;
  /** Value of the gap pixels (0..255). */
  gapValue?: number;
}

/** Canvas size in image pixels for `count` images laid out `columns` per row. */
export function blockSize(count: number, size: number, { columns, gap = 0 }: BlockLayout): { width: number; height: number; rows: number } {
  const rows = Math.max(1, Math.ceil(count / columns));
  const cols = Math.min(columns, Math.max(1, count));
  return { width: cols * size + (cols - 1) * gap, height: rows * size + (rows - 1) * gap, rows };
}

/**
 * Draws images [first, first + count) of a block into `canvas` (resizing it when needed).
 * Returns the time spent, ms.
 */
export function drawBlock(
  canvas: HTMLCanvasElement,
  pixels: Uint8Array,
  size: number,
  channels: number,
  layout: BlockLayout,
  first = 0,
  count = Math.floor(pixels.length / (size * size * channels)) - first,
): void {
  const gap = layout.gap ?? 0;
  const { width, height } = blockSize(count, size, layout);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  const out = image.data;
  if (gap) {
    const g = layout.gapValue ?? 40;
    for (let i = 0; i < out.length; i += 4) {
      out[i] = g;
      out[i + 1] = g;
      out[i + 2] = g + 8;
      out[i + 3] = 255;
    }
  }
  const per = size * size * channels;
  for (let k = 0; k < count; k++) {
    const ox = (k % layout.columns) * (size + gap);
    const oy = Math.floor(k / layout.columns) * (size + gap);
    const base = (first + k) * per;
    for (let y = 0; y < size; y++) {
      let src = base + y * size * channels;
      let dst = ((oy + y) * width + ox) * 4;
      for (let x = 0; x < size; x++, src += channels, dst += 4) {
        const r = pixels[src];
        out[dst] = r;
        out[dst + 1] = channels === 3 ? pixels[src + 1] : r;
        out[dst + 2] = channels === 3 ? pixels[src + 2] : r;
        out[dst + 3] = 255;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
}
