// What a view hands the Export button (its own settings, in its own words) turned into the export's
// options (contract/exports.ts). Keys the export knows pass through; the views' names are translated.
import type { ExportKind, ExportOptionsByKind } from '../../../electron/contract/exports.ts';

type Loose = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const code = (v: unknown): Float32Array | undefined => (v instanceof Float32Array ? v : undefined);

/** Engine option keys per kind: these pass through as they are. */
const KNOWN: { [K in ExportKind]: (keyof ExportOptionsByKind[K])[] } = {
  'traversal-gif': ['dims', 'frames', 'delayMs', 'range', 'pingPong', 'anchors', 'bases', 'scale', 'labels'],
  'style-gif': ['styleDim', 'frames', 'delayMs', 'range', 'pingPong', 'scale', 'labels', 'styleValues', 'direction'],
  'style-transfer-png': ['image', 'file', 'bytes', 'fileName', 'scale', 'labels'],
  'manifold-png': ['dims', 'n', 'range', 'scale', 'anchor', 'base'],
  'reconstructions-png': ['count', 'columns', 'split', 'scale'],
  'walk-gif': ['between', 'ends', 'steps', 'path', 'delayMs', 'pingPong', 'scale'],
  'walk-png': ['between', 'ends', 'steps', 'path', 'scale'],
  'embedding-csv': ['tsne'],
  bundle: ['format'],
};

/**
 * The export options for a view's settings. Understood view words: steps (frames), fps (delay),
 * grid (n), base (a Float32Array code: the view's anchor or class code), anchorIndex (an image),
 * style (the style sliders' values).
 */
export function exportOptionsFromView<K extends ExportKind>(kind: K, view: Loose = {}): Partial<ExportOptionsByKind[K]> {
  const out: Loose = {};
  for (const key of KNOWN[kind] as string[]) {
    if (view[key] === undefined || view[key] === null) continue;
    // A view's `base` may be its mode ('zero' | 'anchor'); only a code is a base for the export.
    if ((key === 'base' || key === 'bases') && !(view[key] instanceof Float32Array)) continue;
    out[key] = view[key];
  }
  const steps = num(view.steps);
  const fps = num(view.fps);
  const base = code(view.base);
  const anchorIndex = num(view.anchorIndex);
  switch (kind) {
    case 'traversal-gif':
      if (steps !== undefined && out.frames === undefined) out.frames = steps;
      if (fps !== undefined && fps > 0 && out.delayMs === undefined) out.delayMs = Math.round(1000 / fps);
      if (base && out.bases === undefined) out.bases = base;
      else if (anchorIndex !== undefined && out.anchors === undefined) out.anchors = [anchorIndex];
      break;
    case 'style-gif':
      if (steps !== undefined && out.frames === undefined) out.frames = steps;
      if (fps !== undefined && fps > 0 && out.delayMs === undefined) out.delayMs = Math.round(1000 / fps);
      if (Array.isArray(view.style) && out.styleValues === undefined) out.styleValues = view.style.map(Number);
      break;
    case 'manifold-png':
      if (num(view.grid) !== undefined && out.n === undefined) out.n = view.grid;
      if (base && out.base === undefined) out.base = base;
      else if (anchorIndex !== undefined && out.anchor === undefined) out.anchor = anchorIndex;
      break;
  }
  return out as Partial<ExportOptionsByKind[K]>;
}

export const KIND_TITLES: Record<ExportKind, string> = {
  'traversal-gif': 'Traversal GIF',
  'style-gif': 'Style sweep GIF',
  'style-transfer-png': 'Style transfer PNG',
  'manifold-png': 'Manifold PNG',
  'reconstructions-png': 'Reconstructions PNG',
  'walk-gif': 'Walk GIF',
  'walk-png': 'Walk strip PNG',
  'embedding-csv': 'Embedding table (CSV)',
  bundle: 'Model bundle',
};

export const MIME: Record<string, string> = {
  gif: 'image/gif',
  png: 'image/png',
  csv: 'text/csv',
  zip: 'application/zip',
};

export function fileFilter(fileName: string): { name: string; extensions: string[] }[] {
  const ext = fileName.includes('.') ? fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase() : '';
  const names: Record<string, string> = { gif: 'GIF image', png: 'PNG image', csv: 'CSV table', zip: 'Zip archive' };
  return ext && names[ext] ? [{ name: names[ext], extensions: [ext] }] : [];
}
