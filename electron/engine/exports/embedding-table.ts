// The embedding table: one CSV row per image with its id, source file, label, split, every latent
// mean and, when computed, its t-SNE x,y — for use in a spreadsheet, pandas, R or the TensorBoard projector.
import { isAbsolute, join } from 'node:path';
import type { ImageSet } from '../datasets/types.ts';
import type { ExportHooks, ExportSource } from './source.ts';
import { encodeImages } from './source.ts';
import { csvText } from '../csv.ts';

export interface EmbeddingTableInput {
  /** The run's images: files, labels, class names and split are read; pixels are not. */
  images: Pick<ImageSet, 'count' | 'files' | 'labels' | 'classNames' | 'split'>;
  /** Posterior means, row-major [count, latent]. */
  means: Float32Array;
  latent: number;
  /** t-SNE coordinates, row-major [k, 2], for images `indices` (all images in order when absent). */
  tsne?: { coords: Float32Array; indices?: ArrayLike<number>; method?: string } | null;
  /** Only these images (dataset indices), in this order; all when absent. */
  rows?: ArrayLike<number> | null;
  /** The dataset's folder: relative file paths are written as absolute ones under it. */
  root?: string;
}

export interface EmbeddingTable {
  csv: string;
  columns: string[];
  rows: number;
}

/** Columns: id, file, label, split, mean_1..mean_L (numbered like the dimension names z1..zL), then the layout's x,y (tsne_x, tsne_y by default). */
export function embeddingColumns(latent: number, withTsne: boolean, layout = 'tsne'): string[] {
  return ['id', 'file', 'label', 'split', ...Array.from({ length: latent }, (_, d) => `mean_${d + 1}`), ...(withTsne ? [`${layout}_x`, `${layout}_y`] : [])];
}

export { csvField } from '../csv.ts';

/** A float32 with the digits that identify it (no 0.10000000149011612 for 0.1f). */
function float(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(7))) : '';
}

export function embeddingTableCsv(input: EmbeddingTableInput): EmbeddingTable {
  const { images, means, latent, tsne, root, rows } = input;
  const n = images.count;
  if (means.length !== n * latent) throw new Error(`embedding table: ${means.length} means for ${n} images of ${latent} dimensions`);
  // Row of each t-SNE point (or -1).
  let tsneRow: Int32Array | null = null;
  if (tsne) {
    const k = tsne.coords.length / 2;
    tsneRow = new Int32Array(n).fill(-1);
    if (tsne.indices) {
      if (tsne.indices.length !== k) throw new Error(`embedding table: ${k} t-SNE points but ${tsne.indices.length} indices`);
      for (let j = 0; j < k; j++) {
        const i = tsne.indices[j];
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`embedding table: t-SNE index ${i} is not an image (0 to ${n - 1})`);
        tsneRow[i] = j;
      }
    } else {
      if (k !== n) throw new Error(`embedding table: ${k} t-SNE points for ${n} images`);
      for (let i = 0; i < n; i++) tsneRow[i] = i;
    }
  }
  const columns = embeddingColumns(latent, tsneRow !== null, tsne?.method ?? 'tsne');
  const lines: string[] = [columns.join(',')];
  const cells = new Array<string>(columns.length);
  if (rows) for (const i of Array.from(rows)) if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`embedding table: row ${i} is not an image (0 to ${n - 1})`);
  const order = rows ? Array.from(rows) : null;
  const count = order ? order.length : n;
  for (let r = 0; r < count; r++) {
    const i = order ? order[r] : r;
    const label = images.labels[i];
    const file = images.files[i] ?? '';
    cells[0] = String(i);
    cells[1] = csvText(root && file && !isAbsolute(file) && !file.includes(':') ? join(root, file) : file);
    cells[2] = csvText(label >= 0 ? (images.classNames[label] ?? String(label)) : '');
    cells[3] = images.split[i] === 1 ? 'test' : 'train';
    for (let d = 0; d < latent; d++) cells[4 + d] = float(means[i * latent + d]);
    if (tsneRow) {
      const j = tsneRow[i];
      cells[4 + latent] = j >= 0 ? float(tsne!.coords[2 * j]) : '';
      cells[5 + latent] = j >= 0 ? float(tsne!.coords[2 * j + 1]) : '';
    }
    lines.push(cells.join(','));
  }
  return { csv: lines.join('\n') + '\n', columns, rows: count };
}

/**
 * The table of every image of the run's dataset. `means` (row-major [images, latent], e.g. from
 * encodeImages when the caller also lays them out with t-SNE) saves encoding them again; `tsne` as in
 * EmbeddingTableInput (computed by the caller, e.g. with projections/tsne-runner.ts over these means).
 */
export async function buildEmbeddingTable(
  source: ExportSource,
  options: { tsne?: EmbeddingTableInput['tsne']; rows?: EmbeddingTableInput['rows']; means?: Float32Array } = {},
  hooks: ExportHooks = {},
): Promise<EmbeddingTable & { means: Float32Array }> {
  const images = await source.images(hooks.signal);
  const means = options.means ?? (await encodeImages(source.loaded, images, null, hooks, [0, 0.95]));
  const ref = source.run.dataset.ref;
  const root = isAbsolute(ref) ? ref : undefined;
  const table = embeddingTableCsv({ images, means, latent: source.loaded.latent, tsne: options.tsne, rows: options.rows, root });
  hooks.onProgress?.(1, `Wrote ${table.rows} rows`);
  return { ...table, means };
}
