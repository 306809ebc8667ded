// The virtualised thumbnail grid's arithmetic and data: where each class section and row sits, which
// rows a scroll position shows, and the rows' pixels fetched from the engine on demand (only rows near
// the viewport, one request at a time, newest wishes first, kept within a memory budget).
import type { DatasetImages, DatasetImagesQuery } from '../../../electron/contract/datasets.ts';
import { DATASET_IMAGES_MAX } from '../../../electron/contract/datasets.ts';
import { errorMessage } from '../lib/errors.ts';

export interface ThumbGroup {
  /** The class name; null for the unlabelled images. */
  label: string | null;
  name: string;
  count: number;
}

export interface Geometry {
  columns: number;
  /** Image side in native pixels, and its drawn side in CSS pixels. */
  size: number;
  cell: number;
  /** Gap between thumbnails in native pixels (drawn into the row canvas) and in CSS pixels. */
  gapNative: number;
  gap: number;
  rowHeight: number;
  headerHeight: number;
}

/** Thumbnails of `size` px drawn at 2x when small, 1:1 up to 64 px, shrunk to 64 px beyond. */
export function geometry(size: number, width: number): Geometry {
  const scale = size <= 32 ? 2 : size <= 64 ? 1 : 64 / size;
  const cell = size * scale;
  const gapNative = Math.max(1, Math.round(4 / scale));
  const gap = gapNative * scale;
  const columns = Math.max(1, Math.floor((width + gap) / (cell + gap)));
  return { columns, size, cell, gapNative, gap, rowHeight: cell + 6, headerHeight: 34 };
}

export interface Layout {
  /** Top of each group's header. */
  tops: number[];
  rows: number[];
  height: number;
}

export function layoutGroups(groups: ThumbGroup[], g: Geometry): Layout {
  const tops: number[] = [];
  const rows: number[] = [];
  let y = 0;
  for (const group of groups) {
    tops.push(y);
    const n = Math.ceil(group.count / g.columns);
    rows.push(n);
    y += g.headerHeight + n * g.rowHeight + 8;
  }
  return { tops, rows, height: y };
}

export interface VisibleHeader {
  kind: 'header';
  key: string;
  group: number;
  top: number;
}

export interface VisibleRow {
  kind: 'row';
  key: string;
  group: number;
  row: number;
  /** First image of the row within its group, and how many it holds. */
  start: number;
  count: number;
  top: number;
}

/** Headers and rows that intersect [from, to) (pixels from the top of the grid). */
export function visibleItems(groups: ThumbGroup[], layout: Layout, g: Geometry, from: number, to: number): (VisibleHeader | VisibleRow)[] {
  const items: (VisibleHeader | VisibleRow)[] = [];
  groups.forEach((group, k) => {
    const top = layout.tops[k];
    const bottom = top + g.headerHeight + layout.rows[k] * g.rowHeight;
    if (bottom < from || top >= to) return;
    if (top + g.headerHeight > from) items.push({ kind: 'header', key: `h${k}`, group: k, top });
    const body = top + g.headerHeight;
    const first = Math.max(0, Math.floor((from - body) / g.rowHeight));
    const last = Math.min(layout.rows[k] - 1, Math.floor((to - body) / g.rowHeight));
    for (let r = first; r <= last; r++) {
      const start = r * g.columns;
      items.push({ kind: 'row', key: `${g.columns}:${k}:${r}`, group: k, row: r, start, count: Math.min(g.columns, group.count - start), top: body + r * g.rowHeight });
    }
  });
  return items;
}

export interface RowPixels {
  pixels: Uint8Array;
  count: number;
  files: string[];
}

type Fetch = (query: Omit<DatasetImagesQuery, 'ref' | 'options'>) => Promise<DatasetImages>;

export class ThumbnailSource {
  private rows = new Map<string, RowPixels>();
  private bytes = 0;
  private wanted: VisibleRow[] = [];
  private busy = false;
  /** Images fetched so far (the grid shows it, and tests check that far fewer than all are fetched). */
  fetched = 0;
  error = '';

  constructor(
    private readonly groups: ThumbGroup[],
    private readonly fetch: Fetch,
    private readonly onChange: () => void,
    private readonly budgetBytes = 64 * 2 ** 20,
  ) {}

  get(key: string): RowPixels | undefined {
    return this.rows.get(key);
  }

  /**
   * The rows the grid shows now, then rows worth having soon (`ahead`, fetched after them); earlier
   * wishes not yet fetched are dropped.
   */
  want(rows: VisibleRow[], ahead: VisibleRow[] = []): void {
    const shown = new Set(rows.map((r) => r.key));
    // Visible rows first, then the rest in dataset order (so they join into long runs).
    this.wanted = [...rows, ...ahead.filter((r) => !shown.has(r.key))];
    for (const r of this.wanted) {
      // Most recently wanted last, so the budget evicts rows scrolled away from first.
      const data = this.rows.get(r.key);
      if (data) {
        this.rows.delete(r.key);
        this.rows.set(r.key, data);
      }
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const missing = this.wanted.filter((r) => !this.rows.has(r.key));
        if (!missing.length) break;
        // One request for the first run of consecutive missing rows of one group.
        const run = [missing[0]];
        for (const r of missing.slice(1)) {
          const prev = run[run.length - 1];
          const total = r.start + r.count - run[0].start;
          if (r.group !== prev.group || r.row !== prev.row + 1 || total > DATASET_IMAGES_MAX) break;
          run.push(r);
        }
        const start = run[0].start;
        const last = run[run.length - 1];
        const result = await this.fetch({ label: this.groups[run[0].group].label, start, count: last.start + last.count - start });
        this.fetched += result.count;
        const bytes = result.size * result.size * result.channels;
        for (const r of run) {
          const from = r.start - start;
          const count = Math.max(0, Math.min(r.count, result.count - from));
          const pixels = result.pixels.slice(from * bytes, (from + count) * bytes);
          this.rows.set(r.key, { pixels, count, files: result.files.slice(from, from + count) });
          this.bytes += pixels.byteLength;
        }
        this.evict();
        this.onChange();
      }
    } catch (e) {
      // Shown by the grid; the next scroll tries again.
      this.error = errorMessage(e);
      this.onChange();
    } finally {
      this.busy = false;
    }
  }

  private evict(): void {
    const keep = new Set(this.wanted.map((r) => r.key));
    for (const [key, data] of this.rows) {
      if (this.bytes <= this.budgetBytes) break;
      if (keep.has(key)) continue;
      this.rows.delete(key);
      this.bytes -= data.pixels.byteLength;
    }
  }
}

/** Draws a row of uint8 HWC thumbnails side by side, `gap` transparent pixels apart. */
export function drawRow(canvas: HTMLCanvasElement, row: RowPixels, size: number, channels: number, gap: number): void {
  const width = Math.max(1, row.count * size + (row.count - 1) * gap);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== size) canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(width, size);
  const out = image.data;
  const green = channels === 3 ? 1 : 0;
  const blue = channels === 3 ? 2 : 0;
  for (let k = 0; k < row.count; k++) {
    const ox = k * (size + gap);
    for (let y = 0; y < size; y++) {
      let src = (k * size + y) * size * channels;
      let dst = (y * width + ox) * 4;
      for (let x = 0; x < size; x++, src += channels, dst += 4) {
        out[dst] = row.pixels[src];
        out[dst + 1] = row.pixels[src + green];
        out[dst + 2] = row.pixels[src + blue];
        out[dst + 3] = 255;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
}
