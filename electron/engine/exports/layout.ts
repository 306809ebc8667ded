// Grids of decoded images at an output scale: where each tile goes, the static background with its
// labels, and frames rendered by nearest-neighbour upscaling (so 28 px digits stay crisp).
import { renderLabel } from './text.ts';

export interface GridSpec {
  rows: number;
  columns: number;
  /** Native tile side, px. */
  tileSize: number;
  channels: 1 | 3;
  /** Integer upscaling factor. */
  scale: number;
  /** Output px between tiles (and around labels). */
  gap: number;
  /** One label under each row, centred across it. */
  rowLabels?: string[];
  /** One label under each column, in a strip below the last row. */
  columnLabels?: string[];
  background?: [number, number, number];
  foreground?: [number, number, number];
}

export interface GridLayout {
  width: number;
  height: number;
  channels: 1 | 3;
  tileSize: number;
  scale: number;
  /** Output position of each tile, in the order a frame's tiles are given (row-major). */
  tiles: { x: number; y: number }[];
  /** Static pixels at output size (background and labels), `channels` per pixel. */
  background: Uint8Array;
}

export const BACKGROUND: [number, number, number] = [24, 24, 28];
export const FOREGROUND: [number, number, number] = [225, 225, 225];

/** Label font size for a tile of `tilePx` output pixels: readable at scale 1, not shouting at scale 8. */
export function labelFontPx(tilePx: number): number {
  return Math.max(10, Math.min(22, Math.round(tilePx * 0.13)));
}

export async function gridLayout(spec: GridSpec): Promise<GridLayout> {
  const { rows, columns, tileSize, channels, scale, gap } = spec;
  const bg = spec.background ?? BACKGROUND;
  const fg = spec.foreground ?? FOREGROUND;
  const tile = tileSize * scale;
  const fontPx = labelFontPx(tile);
  const strip = fontPx + 8;
  const rowLabelled = spec.rowLabels !== undefined && spec.rowLabels.length > 0;
  const colLabelled = spec.columnLabels !== undefined && spec.columnLabels.length > 0;
  const width = columns * tile + (columns + 1) * gap;
  const rowHeight = tile + (rowLabelled ? strip : 0);
  const height = rows * rowHeight + (rows + 1) * gap + (colLabelled ? strip : 0);

  const background = new Uint8Array(width * height * channels);
  const gray = Math.round((bg[0] + bg[1] + bg[2]) / 3);
  if (channels === 1) background.fill(gray);
  else for (let p = 0; p < width * height; p++) background.set(bg, p * 3);

  const tiles: GridLayout['tiles'] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) tiles.push({ x: gap + c * (tile + gap), y: gap + r * (rowHeight + gap) });
  }

  const draw = async (text: string, cx: number, top: number, maxWidth: number) => {
    const label = await renderLabel(text, fontPx, maxWidth);
    if (!label) return;
    const x0 = Math.round(cx - label.width / 2);
    const y0 = Math.round(top + (strip - label.height) / 2);
    for (let y = 0; y < label.height; y++) {
      const oy = y0 + y;
      if (oy < 0 || oy >= height) continue;
      for (let x = 0; x < label.width; x++) {
        const ox = x0 + x;
        if (ox < 0 || ox >= width) continue;
        const a = label.mask[y * label.width + x] / 255;
        if (a === 0) continue;
        const o = (oy * width + ox) * channels;
        for (let ch = 0; ch < channels; ch++) {
          const b = channels === 1 ? gray : bg[ch];
          const f = channels === 1 ? Math.round((fg[0] + fg[1] + fg[2]) / 3) : fg[ch];
          background[o + ch] = Math.round(b + (f - b) * a);
        }
      }
    }
  };
  if (rowLabelled) {
    for (let r = 0; r < rows; r++) {
      const text = spec.rowLabels![r];
      if (text) await draw(text, width / 2, gap + r * (rowHeight + gap) + tile, width - 2 * gap);
    }
  }
  if (colLabelled) {
    const top = rows * (rowHeight + gap) + gap; // below the last row and its gap
    for (let c = 0; c < columns; c++) {
      const text = spec.columnLabels![c];
      if (text) await draw(text, gap + c * (tile + gap) + tile / 2, top, tile + gap);
    }
  }
  return { width, height, channels, tileSize, scale, tiles, background };
}

/**
 * One frame at output size: the background with every tile upscaled into place. `tiles` holds the
 * frame's tiles in layout order, each tileSize² × channels uint8 values.
 */
export function renderFrame(layout: GridLayout, tiles: Uint8Array, out?: Uint8Array): Uint8Array {
  const { width, channels, tileSize: s, scale, background } = layout;
  const frame = out ?? new Uint8Array(background.length);
  frame.set(background);
  const per = s * s * channels;
  const rowBytes = s * scale * channels;
  const line = new Uint8Array(rowBytes);
  layout.tiles.forEach(({ x, y }, t) => {
    const src = t * per;
    for (let ty = 0; ty < s; ty++) {
      // Upscale one source row into `line`, then copy it into `scale` output rows.
      let o = 0;
      for (let tx = 0; tx < s; tx++) {
        const p = src + (ty * s + tx) * channels;
        for (let k = 0; k < scale; k++) for (let ch = 0; ch < channels; ch++) line[o++] = tiles[p + ch];
      }
      for (let k = 0; k < scale; k++) frame.set(line, ((y + ty * scale + k) * width + x) * channels);
    }
  });
  return frame;
}
