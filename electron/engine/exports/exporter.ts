// One entry for every export kind, shared by the engine's handlers and the CLI: describe what a run
// offers, preview the first frame, produce the file's bytes (or a folder's files), save them.
import { basename } from 'node:path';
import type { ExportKind, ExportOptionsByKind, ExportPreview, ExportRunInfo, ExportSpec } from '../../contract/exports.ts';
import type { RunFile } from '../training/run-file.ts';
import type { BundleFile } from './bundle.ts';
import { bundleFiles, zipBundle } from './bundle.ts';
import { buildEmbeddingTable } from './embedding-table.ts';
import { encodeGridGif } from './gif.ts';
import type { GridPlan } from './grids.ts';
import { manifoldPlan, reconstructionsPlan, styleSweepPlan, styleTransferPlan, traversalPlan, walkPlan } from './grids.ts';
import { encodeGridPng } from './png.ts';
import { resolveOptions, suggestedFileName } from './options.ts';
import type { ExportHooks, ExportSource } from './source.ts';
import { activeDimensions, lastKlPerDim } from './sweeps.ts';
import { writeOutputFile, writeOutputFolder } from './write.ts';
import { checkMemory } from '../memory.ts';

export type { ExportHooks, ExportSource } from './source.ts';

export interface ExportResult {
  kind: ExportKind;
  fileName: string;
  options: ExportOptionsByKind[ExportKind];
  /** The file's bytes (all kinds but folder bundles). */
  data?: Uint8Array;
  /** A folder bundle's files. */
  files?: BundleFile[];
  /** Image exports: size and frames in the file (frames includes the ping-pong way back). */
  width: number;
  height: number;
  frames: number;
  /** Embedding tables: data rows and columns. */
  rows?: number;
  columns?: string[];
}

type KindAndOptions = { [K in ExportKind]: { kind: K; options?: Partial<ExportOptionsByKind[K]> } }[ExportKind];

const IMAGE_KINDS = new Set<ExportKind>(['traversal-gif', 'style-gif', 'style-transfer-png', 'manifold-png', 'reconstructions-png', 'walk-gif', 'walk-png']);

export function describeRun(run: RunFile, runDir: string): ExportRunInfo {
  const kl = lastKlPerDim(run);
  const active = new Set(activeDimensions(run));
  // walk-gif / walk-png are made from the CLI (gif --between) and the Embedding view's walk strip, not the dialog.
  const kinds: ExportKind[] = ['traversal-gif', 'manifold-png', 'reconstructions-png', 'embedding-csv', 'bundle'];
  if (run.model.objective === 'ssvae' && run.model.style > 0) kinds.splice(1, 0, 'style-gif', 'style-transfer-png');
  if (run.model.latent < 2) kinds.splice(kinds.indexOf('manifold-png'), 1);
  return {
    runDir,
    objective: run.model.objective,
    latent: run.model.latent,
    style: run.model.objective === 'ssvae' ? run.model.style : 0,
    dimensions: Array.from({ length: run.model.latent }, (_, d) => ({ index: d, name: run.dimensionNames[d] ?? `z${d + 1}`, kl: kl[d], active: active.has(d) })),
    classNames: run.dataset.classNames,
    images: run.dataset.images,
    size: run.dataset.size,
    channels: run.dataset.channels,
    kinds,
  };
}

async function planFor(source: ExportSource, kind: ExportKind, options: ExportOptionsByKind[ExportKind], hooks: ExportHooks): Promise<GridPlan> {
  switch (kind) {
    case 'traversal-gif':
      return traversalPlan(source, options as ExportOptionsByKind['traversal-gif'], hooks);
    case 'style-gif':
      return styleSweepPlan(source, options as ExportOptionsByKind['style-gif'], hooks);
    case 'style-transfer-png':
      return styleTransferPlan(source, options as ExportOptionsByKind['style-transfer-png'], hooks);
    case 'manifold-png':
      return manifoldPlan(source, options as ExportOptionsByKind['manifold-png'], hooks);
    case 'reconstructions-png':
      return reconstructionsPlan(source, options as ExportOptionsByKind['reconstructions-png'], hooks);
    case 'walk-gif':
    case 'walk-png':
      return walkPlan(source, options as ExportOptionsByKind['walk-gif'], kind === 'walk-png', hooks);
    default:
      throw new Error(`${kind} is not an image export`);
  }
}

/** Produces the export in memory. Progress 0..1 through hooks; cancel with hooks.signal. */
export async function produceExport(source: ExportSource, spec: KindAndOptions, hooks: ExportHooks = {}): Promise<ExportResult> {
  const { kind } = spec;
  const options = resolveOptions(kind, spec.options as never, source.run, source.runDir);
  const fileName = suggestedFileName(kind, options, source.run, source.runDir);
  const result: ExportResult = { kind, fileName, options, width: 0, height: 0, frames: 0 };
  if (IMAGE_KINDS.has(kind)) {
    hooks.onProgress?.(0, 'Preparing');
    const plan = await planFor(source, kind, options, hooks);
    // Every frame is rendered before encoding: RGBA tiles, the indexed frame and the encoder's buffers.
    checkMemory(`This ${kind} export (${plan.frames} frames of ${plan.layout.width}×${plan.layout.height} px)`, 64 * 2 ** 20 + plan.frames * plan.layout.width * plan.layout.height * 10, 'use fewer steps, a smaller scale or fewer rows');
    const all = Array.from({ length: plan.frames }, (_, i) => i);
    const gif = kind.endsWith('-gif');
    const tiles = await plan.tiles(all, hooks, [0, gif ? 0.4 : 0.8]);
    if (gif) {
      result.data = await encodeGridGif(plan.layout, tiles, {
        delayMs: plan.delayMs,
        order: plan.order,
        signal: hooks.signal,
        onProgress: (f) => hooks.onProgress?.(0.4 + 0.6 * f, `Encoding the GIF`),
      });
      result.frames = plan.order.length;
    } else {
      hooks.onProgress?.(0.85, 'Encoding the PNG');
      result.data = await encodeGridPng(plan.layout, tiles[0]);
      result.frames = 1;
    }
    result.width = plan.layout.width;
    result.height = plan.layout.height;
  } else if (kind === 'embedding-csv') {
    const o = options as ExportOptionsByKind['embedding-csv'];
    const table = await buildEmbeddingTable(source, { tsne: o.tsne, rows: o.rows }, hooks);
    result.data = new TextEncoder().encode(table.csv);
    result.rows = table.rows;
    result.columns = table.columns;
    result.frames = table.rows;
  } else {
    const o = options as ExportOptionsByKind['bundle'];
    const files = bundleFiles(source.runDir, source.run);
    checkMemory('This bundle', 3 * files.reduce((a, f) => a + f.data.length, 0));
    if (o.format === 'zip') result.data = zipBundle(files, fileName.replace(/\.zip$/, ''));
    else result.files = files;
    result.frames = files.length;
  }
  hooks.onProgress?.(1, 'Done');
  // Options as used, without the (possibly large) t-SNE arrays.
  if (kind === 'embedding-csv') result.options = { tsne: null };
  return result;
}

const LAYOUT_NAMES: Record<string, string> = { tsne: 't-SNE', umap: 'UMAP', pca: 'PCA', raw: 'raw-dimension' };

/** Writes a produced export to `out` (a file, or a folder for folder bundles); returns the full path. */
export function saveExport(result: ExportResult, out: string, force: boolean): string {
  if (result.files) return writeOutputFolder(out, result.files, force);
  return writeOutputFile(out, result.data!, force);
}

/** The first frame of an image export as PNG, the first lines of a table, or a bundle's file list. */
export async function previewExport(source: ExportSource, spec: ExportSpec, hooks: ExportHooks = {}): Promise<ExportPreview> {
  const { kind } = spec;
  const options = resolveOptions(kind, spec.options as never, source.run, source.runDir);
  const fileName = suggestedFileName(kind, options, source.run, source.runDir);
  if (IMAGE_KINDS.has(kind)) {
    const plan = await planFor(source, kind, options, hooks);
    const [tiles] = await plan.tiles([0], hooks);
    const png = await encodeGridPng(plan.layout, tiles);
    return { png, width: plan.layout.width, height: plan.layout.height, frames: plan.order.length, fileName, options: options as unknown as Record<string, unknown> };
  }
  if (kind === 'embedding-csv') {
    const latent = source.run.model.latent;
    const head = ['id', 'file', 'label', 'split', ...Array.from({ length: Math.min(latent, 4) }, (_, d) => `mean_${d + 1}`), ...(latent > 4 ? ['…'] : [])];
    const o = options as ExportOptionsByKind['embedding-csv'];
    const layout = o.tsne?.method ?? 'tsne';
    if (o.tsne) head.push(`${layout}_x`, `${layout}_y`);
    const rows = o.rows ? o.rows.length : source.run.dataset.images;
    const what = o.rows ? `the ${rows} selected images` : `one per image of ${source.run.dataset.ref}`;
    const text = `${head.join(',')}\n${rows} rows, ${what}; ${latent} latent means${o.tsne ? ` and ${LAYOUT_NAMES[layout] ?? layout} x,y` : ''}.`;
    return { text, width: 0, height: 0, frames: rows, fileName, options: { tsne: Boolean(o.tsne), ...(o.rows ? { rows } : {}) } };
  }
  const files = bundleFiles(source.runDir, source.run);
  const folder = basename(fileName, '.zip');
  const text = files.map((f) => `${folder}/${f.path}  (${formatBytes(f.data.length)})`).join('\n');
  return { text, width: 0, height: 0, frames: files.length, fileName, options: options as unknown as Record<string, unknown> };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}
