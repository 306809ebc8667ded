// Requests and events of the exports (GIFs, PNGs, CSV tables, model bundles).
// Owned by the exports feature; merged into the contract in api.ts.
//
// Flow in the UI: `export.describe` (what the dialog can offer) → `export.preview` (first frame as a PNG)
// → `host.saveFile` (Electron: native save dialog → a path; browser host: `{ download: true }`) →
// `export.start` with that path, or without one to get the bytes back in `export.done` for a download.
// Progress comes as `job.progress` (kind 'export'); failure as `job.failed`; cancel with `job.cancel`.

export type ExportKind = 'traversal-gif' | 'style-gif' | 'style-transfer-png' | 'manifold-png' | 'reconstructions-png' | 'walk-gif' | 'walk-png' | 'embedding-csv' | 'bundle';

/** Latent dimensions are 0-based indices here (dimension 0 is the one run.json names "z1"); the CLI counts from 1 like the names. */
export interface TraversalGifOptions {
  /** Dimensions to sweep; 'active' = every dimension whose test KL is above ACTIVE_KL_NATS. One row per dimension. */
  dims: number[] | 'active';
  /** Frames of one sweep from -range to +range. */
  frames: number;
  /** Delay between frames, ms (GIF stores hundredths of a second). */
  delayMs: number;
  /** Sweep each dimension from -range to +range (absolute values of z_d; the prior's std is 1). */
  range: number;
  /** Sweep back again (without repeating the ends): a seamless loop of 2·frames − 2 frames. */
  pingPong: boolean;
  /** Base codes: empty = the zero vector (the prior mean); else the posterior means of these images, one column each. */
  anchors: number[];
  /** Base codes given directly (e.g. the view's anchor code), row-major [columns, latent]; overrides `anchors`. */
  bases?: Float32Array | null;
  /** Nearest-neighbour upscaling factor (28 px digits stay crisp). */
  scale: number;
  /** Dimension names under each row (default: when there is more than one row). */
  labels: boolean;
  /** Fair VAE runs: decode with this value of s (an index), or null for the mixture over s (explorer.ts DecodeAs). */
  privateValue?: number | null;
}

export interface StyleGifOptions {
  /** The style dimension (0-based, below the run's `style` count) swept for every class. */
  styleDim: number;
  frames: number;
  delayMs: number;
  range: number;
  pingPong: boolean;
  scale: number;
  /** Class names under each column. */
  labels: boolean;
  /** Values of the style dimensions that are not swept (the view's sliders); default all 0. */
  styleValues?: number[] | null;
  /**
   * Sweep a user-defined style direction instead of `styleDim`: z^X moves by t·vector, t from −range to
   * range (a saved direction of the run, contract/style.ts; the CLI looks it up by name).
   */
  direction?: { name: string; vector: number[] } | null;
}

/** Style transfer (the M2 "analogies" figure): one image, then its z^X rendered with every class's mean z^Y. */
export interface StyleTransferPngOptions {
  /** The image: an index into the run's dataset (0-based), … */
  image: number | null;
  /** … or an image file on disk (Electron, CLI), … */
  file: string | null;
  /** … or an image file's bytes (the browser host) with its name. */
  bytes?: Uint8Array | null;
  fileName?: string | null;
  scale: number;
  /** "input" and the class names under the columns. */
  labels: boolean;
}

export interface ManifoldPngOptions {
  /** The two dimensions spanning the grid: [horizontal, vertical]. */
  dims: [number, number];
  /** Images per side. */
  n: number;
  /** The grid spans -range..+range in both dimensions. */
  range: number;
  scale: number;
  /** The other dimensions: null = 0, else the posterior mean of this image. */
  anchor: number | null;
  /** The other dimensions given directly (e.g. the view's base code, `latent` values); overrides `anchor`. */
  base?: Float32Array | null;
  /** Fair VAE runs: decode with this value of s, or null for the mixture over s. */
  privateValue?: number | null;
}

/** A walk between two images' codes: decoded as an animation (walk-gif) or as a strip (walk-png). */
export interface WalkOptions {
  /** The two images (0-based indices into the run's dataset) whose posterior means are the ends, … */
  between: [number, number];
  /** … or the two ends given directly, row-major [2, latent]; overrides `between`. */
  ends?: Float32Array | null;
  /** Codes from the first end to the second, both included. */
  steps: number;
  /** 'linear' (a straight line) or 'spherical' (slerp: the codes keep a typical norm). */
  path: 'linear' | 'spherical';
  /** GIF only: delay between frames (ms), and whether it walks back again. */
  delayMs: number;
  pingPong: boolean;
  scale: number;
  /** Fair VAE runs: decode with this value of s, or null for the mixture over s. */
  privateValue?: number | null;
}

export interface ReconstructionsPngOptions {
  /** How many images (taken in order from the split). */
  count: number;
  /** Pairs per row: each pair is the input above its reconstruction. */
  columns: number;
  split: 'train' | 'test';
  scale: number;
}

export interface EmbeddingCsvOptions {
  /**
   * t-SNE coordinates when computed (e.g. by the Embedding view): coords is row-major [k, 2] for the images
   * `indices` (all images in order when indices is absent). Rows without coordinates get empty cells.
   */
  tsne?: { coords: Float32Array; indices?: Int32Array | number[]; method?: EmbeddingLayoutName } | null;
  /** Only these images (dataset indices, e.g. the Embedding's selection); every image when absent. */
  rows?: Int32Array | number[] | null;
}

/** The layout whose x,y the embedding table carries; it names the columns (tsne_x, umap_x, pca_x, raw_x). */
export type EmbeddingLayoutName = 'tsne' | 'umap' | 'pca' | 'raw';

export interface BundleOptions {
  /** A .zip file, or a folder (Electron / CLI only: a browser can only download a file). */
  format: 'zip' | 'folder';
}

export interface ExportOptionsByKind {
  'traversal-gif': TraversalGifOptions;
  'style-gif': StyleGifOptions;
  'style-transfer-png': StyleTransferPngOptions;
  'manifold-png': ManifoldPngOptions;
  'reconstructions-png': ReconstructionsPngOptions;
  'walk-gif': WalkOptions;
  'walk-png': WalkOptions;
  'embedding-csv': EmbeddingCsvOptions;
  bundle: BundleOptions;
}

/**
 * The bounds of export options, one source for the engine's checks, the CLI's flags and the dialog's
 * inputs. `min`/`max` are inclusive; `above` is exclusive.
 */
export const EXPORT_LIMITS = {
  frames: { min: 2, max: 64 },
  delayMs: { min: 20, max: 10_000 },
  range: { above: 0, max: 20 },
  scale: { min: 1, max: 16 },
  /** Images per side of a manifold grid. */
  gridSide: { min: 2, max: 40 },
  reconstructions: { min: 1, max: 1000 },
  reconstructionColumns: { min: 1, max: 100 },
  walkSteps: { min: 2, max: 64 },
  /** Columns of a traversal GIF (its base images or codes). */
  anchors: { max: 16 },
} as const;

/** Options left out of an export take these. */
export const EXPORT_DEFAULTS: { readonly [K in ExportKind]: Readonly<ExportOptionsByKind[K]> } = {
  'traversal-gif': { dims: 'active', frames: 30, delayMs: 80, range: 3, pingPong: true, anchors: [], scale: 4, labels: true },
  'style-gif': { styleDim: 0, frames: 30, delayMs: 80, range: 3, pingPong: true, scale: 4, labels: true },
  'style-transfer-png': { image: null, file: null, scale: 3, labels: true },
  'manifold-png': { dims: [0, 1], n: 15, range: 2.5, scale: 2, anchor: null },
  'reconstructions-png': { count: 32, columns: 8, split: 'test', scale: 3 },
  'walk-gif': { between: [0, 1], steps: 16, path: 'spherical', delayMs: 80, pingPong: true, scale: 4 },
  'walk-png': { between: [0, 1], steps: 10, path: 'spherical', delayMs: 80, pingPong: false, scale: 3 },
  'embedding-csv': { tsne: null },
  bundle: { format: 'zip' },
};

/** What to export from which run; options left out take their defaults. */
export type ExportSpec = {
  [K in ExportKind]: { kind: K; runDir: string; options?: Partial<ExportOptionsByKind[K]> };
}[ExportKind];

export interface ExportDimension {
  index: number;
  name: string;
  /** Test KL of this dimension after the last epoch, nats (null when the run has no test split). */
  kl: number | null;
  active: boolean;
}

/** What the export dialog may offer for a run. */
export interface ExportRunInfo {
  runDir: string;
  objective: string;
  latent: number;
  /** ssvae: the first `style` dimensions are style; 0 otherwise. */
  style: number;
  dimensions: ExportDimension[];
  classNames: string[];
  /** Image count of the run's dataset (anchors are indices into it). */
  images: number;
  size: number;
  channels: number;
  /** Kinds this run supports (style-gif needs a semi-supervised run). */
  kinds: ExportKind[];
}

export interface ExportPreview {
  /** Images: the first frame (or the whole image) as PNG, at the export's scale. */
  png?: Uint8Array;
  /** Tables and bundles: the first lines of the table, or the files of the bundle. */
  text?: string;
  /** Size of the image in the file, px (0 for tables and bundles). */
  width: number;
  height: number;
  /** Frames in the file (1 for still images, rows for tables, files for bundles). */
  frames: number;
  /** A suggested file (or folder) name. */
  fileName: string;
  /** Options after defaults, as the export will use them. */
  options: Record<string, unknown>;
}

export interface SaveFileParams {
  title?: string;
  /** The name the dialog proposes. */
  defaultName: string;
  filters?: { name: string; extensions: string[] }[];
  /** Choose a folder name to create (model bundles as folders). */
  folder?: boolean;
}

export interface ExportRequests {
  'export.describe': { params: { runDir: string }; result: ExportRunInfo };
  'export.preview': { params: ExportSpec; result: ExportPreview };
  /**
   * Starts an export job. With `out`, the engine writes that file (atomically); if it exists and
   * `overwrite` is not set, nothing starts and `exists` names it, so the UI can ask. Without `out`, the
   * bytes come back in `export.done` (the browser host's download).
   */
  'export.start': {
    params: { spec: ExportSpec; out?: string; overwrite?: boolean };
    result: { jobId: string | null; exists?: string };
  };
  /**
   * A native save dialog. The Electron shell answers it itself (showSaveDialog, which asks before
   * replacing a file); the engine answers `{ path: null, download: true }`: the browser host downloads.
   */
  'host.saveFile': {
    params: SaveFileParams;
    /** overwriteConfirmed: the dialog already asked the user about replacing an existing file. */
    result: { path: string | null; download?: boolean; overwriteConfirmed?: boolean };
  };
}

export interface ExportDone {
  jobId: string;
  kind: ExportKind;
  fileName: string;
  /** Where the file or folder was written (exports with `out`). */
  path?: string;
  /** The file's bytes (exports without `out`). */
  data?: Uint8Array;
  bytes: number;
  seconds: number;
}

export interface ExportEvents {
  'export.done': ExportDone;
}
