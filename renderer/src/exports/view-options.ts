// What a view hands the Export button (its own settings, in its own words) turned into the export's
// options (contract/exports.ts). Keys the export knows pass through; the views' names are translated.
import type {
  BundleOptions,
  EmbeddingCsvOptions,
  ExportKind,
  ExportOptionsByKind,
  ReconstructionsPngOptions,
  StyleGifOptions,
  StyleTransferPngOptions,
  WalkOptions,
} from '../../../electron/contract/exports.ts';

/** What each view hands its Export button: its own settings, in its own words. */
export interface ViewExportSettings {
  /** The Traversal view: the dimensions shown, frames per sweep (steps), playback speed (fps), its base code or image. */
  'traversal-gif': { dims?: number[]; steps?: number; fps?: number; range?: number; base?: Float32Array | null; anchorIndex?: number; privateValue?: number | null };
  /** The Style view: the sliders' values (style), or a saved style direction. */
  'style-gif': { style?: number[]; direction?: NonNullable<StyleGifOptions['direction']> };
  'style-transfer-png': Partial<StyleTransferPngOptions>;
  /** The Manifold view: its two dimensions, images per side (grid), range, base code or image. */
  'manifold-png': { dims?: [number, number]; grid?: number; range?: number; base?: Float32Array | null; anchorIndex?: number; privateValue?: number | null };
  'reconstructions-png': Partial<ReconstructionsPngOptions>;
  'walk-gif': Partial<WalkOptions>;
  'walk-png': Partial<WalkOptions>;
  'embedding-csv': EmbeddingCsvOptions;
  bundle: Partial<BundleOptions>;
}

type Translate<K extends ExportKind> = (view: ViewExportSettings[K]) => Partial<ExportOptionsByKind[K]>;

const delayFor = (fps: number | undefined) => (fps !== undefined && Number.isFinite(fps) && fps > 0 ? Math.round(1000 / fps) : undefined);

/** Keeps the options that are set: a left-out option takes the export's default. */
function defined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

const FROM_VIEW: { [K in ExportKind]: Translate<K> } = {
  'traversal-gif': (v) =>
    defined({
      dims: v.dims,
      frames: v.steps,
      delayMs: delayFor(v.fps),
      range: v.range,
      bases: v.base,
      anchors: v.base || v.anchorIndex === undefined ? undefined : [v.anchorIndex],
      // a fair VAE's "Decode as" (null, the mixture, is the export's default)
      privateValue: v.privateValue,
    }),
  'style-gif': (v) => defined({ styleValues: v.style, direction: v.direction }),
  'style-transfer-png': (v) => defined({ ...v }),
  'manifold-png': (v) => defined({ dims: v.dims, n: v.grid, range: v.range, base: v.base, anchor: v.base ? undefined : v.anchorIndex, privateValue: v.privateValue }),
  'reconstructions-png': (v) => defined({ ...v }),
  'walk-gif': (v) => defined({ ...v }),
  'walk-png': (v) => defined({ ...v }),
  'embedding-csv': (v) => defined({ tsne: v.tsne, rows: v.rows }),
  bundle: (v) => defined({ ...v }),
};

/** The export options for a view's settings. */
export function exportOptionsFromView<K extends ExportKind>(kind: K, view: ViewExportSettings[K]): Partial<ExportOptionsByKind[K]> {
  return (FROM_VIEW[kind] as Translate<K>)(view);
}

type AnyExportOptions = ExportOptionsByKind[ExportKind];
type KeyOfAny<U> = U extends unknown ? keyof U : never;
type ValueOfAny<U, P extends PropertyKey> = U extends unknown ? (P extends keyof U ? U[P] : never) : never;
/** The Export dialog's working copy: every kind's options, all optional (its kind's are the ones set). */
export type ExportDraft = { [P in KeyOfAny<AnyExportOptions>]?: ValueOfAny<AnyExportOptions, P> };

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
