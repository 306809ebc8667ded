// Requests and events of the explorer views (runs, embedding, manifold, traversal, style).
// Owned by the explorer feature; merged into the contract in api.ts.
//
// A view names its run by folder (`runDir`); the engine keeps a session per open run (the model, the
// test set's latent means) and follows a run in training: when it saves a newer checkpoint the session
// reloads and sends `explorer.runUpdated`. Images travel as uint8 HWC typed arrays, latent codes as
// Float32Array rows: never JSON number lists.

import type { PrivacyFigures } from './training.ts';
import type { FactorMetrics } from './factors.ts';

export type LatentPart = 'all' | 'style' | 'class';

/** Nonlinear layouts the engine optimises as a job (explorer.embed). */
export type EmbedMethod = 'tsne' | 'umap';

/** UMAP's epochs when not chosen: umap-js's own schedule (500 up to 2,500 points, then 400, 300, 200 above 7,500). */
export function umapDefaultEpochs(points: number): number {
  return points <= 2500 ? 500 : points <= 5000 ? 400 : points <= 7500 ? 300 : 200;
}

/** One run in the picker. */
export interface RunListing {
  runDir: string;
  /** Folder name, e.g. 20260101-120000-vae-2d. */
  name: string;
  /** 'data' = the app's data folder, 'sample' = shipped with the app. */
  source: 'data' | 'sample';
  objective?: string;
  arch?: string;
  latent?: number;
  style?: number;
  status?: string;
  /** Epochs completed by the saved model (fractional when stopped mid-epoch). */
  modelEpoch?: number;
  epochs?: number;
  dataset?: string;
  updatedAt?: string;
  /** Why the run cannot be opened (names the file and the reason). */
  error?: string;
}

export interface RunInfo {
  runDir: string;
  name: string;
  objective: string;
  arch: string;
  imageSize: number;
  channels: number;
  latent: number;
  /** ssvae: the first `style` dims are z^X, the rest z^Y; 0 otherwise. */
  style: number;
  classNames: string[];
  dimensionNames: string[];
  /** Mean KL(q(z_j|x) || N(0,1)) per dimension over the test images, nats. */
  klPerDim: number[];
  /** Epochs with a saved model snapshot. */
  snapshots: number[];
  status: string;
  modelEpoch: number;
  epochs: number;
  /** The model is still training: the session follows its checkpoints. */
  training: boolean;
  /** A model exists (false while a new run has not finished its first epoch). */
  ready: boolean;
  /** Test images encoded (≤ 20,000), of `total`. */
  count: number;
  total: number;
  capped: boolean;
  /** The run's dataset could not be opened: decode views work, encode views say this. */
  datasetError?: string;
  /** Fair VAE runs: how predictable the private attribute is from z^X, beside the plain VAE reference (after the last epoch). */
  privacy?: PrivacyFigures;
  /** Fair VAE runs: the private attribute s, whose values the decoded views can be decoded with ("Decode as"). */
  privateAttribute?: PrivateAttribute;
}

/** A fair VAE's private attribute s: 'label' or a factor column, its values' names and training frequencies p(s). */
export interface PrivateAttribute {
  name: string;
  values: string[];
  prior: number[];
}

/**
 * A fair VAE's decoder p(x | z, s) is given s: `privateValue` is the index of a value of the run's private
 * attribute (RunInfo.privateAttribute.values), or absent / null for the mixture Σ_s p(s) E[x | z, s] over the
 * training frequencies. Other models take none (a value is an error).
 */
export interface DecodeAs {
  privateValue?: number | null;
}

export interface ImageBlock {
  /** count × size × size × channels, uint8, row-major HWC. */
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
}

export interface ExplorerRequests {
  'explorer.runs': { params: Record<string, never>; result: { runs: RunListing[] } };
  /** Opens (or reuses) the session of a run; encodes its test images. */
  'explorer.open': { params: { runDir: string }; result: RunInfo };
  'explorer.close': { params: { runDir: string }; result: { closed: boolean } };
  /** E[x|z] for `count` latent codes, rows of `z` (count × latent). The fast path behind every slider. */
  'explorer.decode': {
    params: { runDir: string; z: Float32Array; count: number; snapshot?: number } & DecodeAs;
    result: ImageBlock & { modelEpoch: number };
  };
  /**
   * A grid × grid manifold over dims[0] (columns, left to right) and dims[1] (rows, top = +range),
   * other dimensions from `base` (zeros when absent).
   */
  'explorer.manifold': {
    params: { runDir: string; dims: [number, number]; range: number; grid: number; base?: Float32Array; snapshot?: number } & DecodeAs;
    result: ImageBlock & { grid: number; modelEpoch: number };
  };
  /** For each of `dims`, `steps` images sweeping that dimension from −range to range, others from `base`. */
  'explorer.traversal': {
    params: { runDir: string; dims: number[]; steps: number; range: number; base?: Float32Array } & DecodeAs;
    result: ImageBlock & { steps: number; dims: number[]; values: Float32Array; modelEpoch: number };
  };
  /** Latent means E[z|x] of the test images (count × latent), their labels (−1 unlabelled) and dataset indices. */
  'explorer.latents': {
    params: { runDir: string };
    result: { means: Float32Array; labels: Int32Array; indices: Int32Array; latent: number; count: number; total: number; capped: boolean; modelEpoch: number };
  };
  /**
   * t-SNE (default) or UMAP of the latent means (or one part of them) in a worker. Frames arrive as
   * `explorer.embedFrame` events; when the same layout was computed before for this model, `coords` is
   * in the reply and no job runs. t-SNE reads perplexity and iterations; UMAP reads neighbours
   * (default 15), minDist (default 0.1) and, when given, iterations as its epochs.
   */
  'explorer.embed': {
    params: { runDir: string; part: LatentPart; perplexity: number; iterations: number; seed: number; method?: EmbedMethod; neighbours?: number; minDist?: number };
    result: { jobId: string | null; count: number; coords?: Float32Array };
  };
  /** Test images by position in the latents list, and optionally their reconstructions E[x|E[z|x]] (a fair VAE's with each image's own s). */
  'explorer.images': {
    params: { runDir: string; positions: Int32Array; reconstruct?: boolean };
    result: ImageBlock & { reconstructions?: Uint8Array };
  };
  /**
   * Fixed train and test images beside their reconstructions. A fair VAE's also come as counterfactuals: each
   * image's code (encoded with its own s) decoded with every value of s, value-major (values × count images).
   */
  'explorer.reconstructions': {
    params: { runDir: string; count: number };
    result: {
      size: number;
      channels: number;
      count: number;
      train: { input: Uint8Array; output: Uint8Array };
      test: { input: Uint8Array; output: Uint8Array };
      counterfactual?: { attribute: string; values: string[]; train: Uint8Array; test: Uint8Array; ownTrain: Int32Array; ownTest: Int32Array };
    };
  };
  /** Mean encoding per class (classes × latent; NaN rows for classes without test images). */
  'explorer.classMeans': {
    params: { runDir: string };
    result: { means: Float32Array; counts: Int32Array; classes: number; latent: number };
  };
  /**
   * Measures the decoded sweep of every style dimension (slant, width, height, thickness, top-heaviness),
   * for every class, and suggests a name where one measure follows the dimension closely.
   */
  'explorer.styleNames': {
    params: { runDir: string; range?: number; steps?: number };
    result: { dims: StyleDimReport[] };
  };
  /** The k nearest test images (positions in the latents list) of a listed image or of any code; distances are Euclidean or 1 − cos. */
  'explorer.neighbours': {
    params: { runDir: string; position?: number; code?: Float32Array; k: number; metric: 'euclidean' | 'cosine' };
    result: { positions: Int32Array; distances: Float32Array };
  };
  /**
   * A walk between two codes (the rows of `ends`, 2 × latent): `steps` codes from the first to the
   * second, both included, on a straight line or by slerp, decoded. The Embedding view's walk strip.
   */
  'explorer.walk': {
    params: { runDir: string; ends: Float32Array; steps: number; path: 'linear' | 'spherical' } & DecodeAs;
    result: ImageBlock & { codes: Float32Array; modelEpoch: number };
  };
  /** An exact linear layout of the latents list (PCA, or two raw dimensions), with its map: coords = (z − mean) · axes. */
  'explorer.layout': {
    params: { runDir: string; layout: ExploreLayout };
    result: { coords: Float32Array; axes: Float32Array; mean: Float32Array };
  };
  /**
   * Image files encoded with the run's preprocessing and placed on a layout: exactly on PCA and raw
   * layouts; on t-SNE and UMAP (computed before by explorer.embed with these settings) from their
   * latent neighbours, then steps with the old points fixed. With their reconstructions, k nearest test
   * images and, for semi-supervised runs, class probabilities (count × classes).
   */
  'explorer.place': {
    params: { runDir: string; files: { name: string; bytes: Uint8Array }[]; layout: ExploreLayout; k: number };
    result: {
      count: number;
      names: string[];
      means: Float32Array;
      logVars: Float32Array;
      coords: Float32Array;
      input: Uint8Array;
      reconstructions: Uint8Array;
      probabilities?: Float32Array;
      neighbours: Int32Array;
      k: number;
      size: number;
      channels: number;
      exact: boolean;
    };
  };
  /**
   * The Factors view: MIG, SAP, DCI and the dimension × factor table when the run's dataset has known
   * factors (factors.csv), else null with the reason; and each dimension's test KL at every epoch.
   */
  'explorer.factors': {
    params: { runDir: string };
    result: { metrics: FactorMetrics | null; reason?: string; epochs: number[]; klHistory: number[][]; switchOn: (number | null)[]; modelEpoch: number };
  };
  /** Per listed image (the latents list's order): file, split, KL and the dataset's known factors, for Find and Colour. */
  'explorer.pointFacts': { params: { runDir: string }; result: PointFacts };
  /** Per listed image: mean squared error per pixel (0..1 values) of its reconstruction E[x|E[z|x]]; cached per model. */
  'explorer.reconErrors': { params: { runDir: string }; result: { errors: Float32Array; modelEpoch: number } };
  /**
   * Saves the explorer's view of a run (atomic write): view.json in the run folder (for the shipped
   * sample runs, views/<name>.json in the data folder), and puts it first in the Recent views.
   */
  'explorer.saveView': { params: { view: SavedView }; result: { path: string; savedAt: string } };
  /** The run's saved view, or null. Its cached t-SNE coordinates go back into the engine's layout cache when they belong to the current model. */
  'explorer.loadView': { params: { runDir: string }; result: { view: SavedView | null } };
  /** Saved views, most recently saved first (runs that no longer exist or have no view are left out). */
  'explorer.recentViews': { params: Record<string, never>; result: { views: SavedViewListing[] } };
  /** Saves dimension names in the run's run.json (atomic write). */
  'explorer.setNames': { params: { runDir: string; names: string[] }; result: { names: string[] } };
}

/** What Find and Colour know about each listed image. */
export interface PointFacts {
  /** Source file (or `sample:mnist#12` for the bundled sample). */
  files: string[];
  /** 1 = test image, 0 = training image (listed when the dataset has no test split). */
  split: Uint8Array;
  /** KL(q(z|x) || N(0, I)) summed over dimensions, nats. */
  kl: Float32Array;
  /** Known factors of variation (factors.csv), aligned with the list; NaN where an image has none. */
  factors: { name: string; kind: 'numeric' | 'categorical'; categories?: string[]; values: Float32Array }[];
  modelEpoch: number;
}

/** What a saved view (or a "Copy link" URL) brings back. */
export interface SavedView {
  version: 1;
  runDir: string;
  /** The explorer tab shown. */
  tab: string;
  /** The Embedding view's layout ('plane' = two raw dimensions, `dims`; UMAP's neighbours, minDist, epochs). */
  embedding: {
    layout: 'tsne' | 'umap' | 'pca' | 'plane';
    part: LatentPart;
    perplexity: number;
    iterations: number;
    seed: number;
    neighbours?: number;
    minDist?: number;
    epochs?: number;
    dims?: [number, number];
  };
  /** The t-SNE layout's coordinates (count × 2) and the model epoch they were computed for; not in links. */
  coords?: Float32Array | null;
  coordsEpoch?: number | null;
  /** Positions in the latents list. */
  anchor: number | null;
  walkTarget: number | null;
  selection: number[] | null;
  neighbours: { k: number; metric: 'euclidean' | 'cosine' };
  walk: { steps: number; path: 'linear' | 'spherical' };
  /** Slider positions of the views, by name (e.g. "style.values", "manifold.dims"). */
  sliders: Record<string, number | number[]>;
  /** Dimension names when saved. */
  names: string[];
  /** Fair VAE runs: the decoded views' "Decode as" (a value of s), or null / absent for the mixture over s. */
  privateValue?: number | null;
  savedAt?: string;
}

export interface SavedViewListing {
  runDir: string;
  name: string;
  tab: string;
  savedAt: string;
}

/** A layout of the Embedding view. */
export type ExploreLayout =
  | { method: 'tsne'; part?: LatentPart; perplexity: number; iterations: number; seed: number }
  /** A UMAP layout laid out before by explorer.embed with these settings (iterations = its epochs). */
  | { method: 'umap'; part?: LatentPart; neighbours?: number; minDist?: number; iterations: number; seed: number }
  | { method: 'pca' }
  | { method: 'raw'; dims?: [number, number] };

export type StyleMeasure = 'slant' | 'width' | 'height' | 'thickness' | 'topHeaviness';

export interface StyleDimReport {
  dim: number;
  /** Pearson correlation of each measure with the dimension's value, averaged over classes. */
  correlations: Record<StyleMeasure, number>;
  /** Mean change of each measure over the sweep (units: slant dx/dy, px, px, px, fraction of height). */
  changes: Record<StyleMeasure, number>;
  /** Suggested name, or null when no measure follows the dimension (or it barely changes the image). */
  suggestion: string | null;
  measure: StyleMeasure | null;
  correlation: number;
  /** The measure with the largest |correlation|, named or not. */
  strongest: StyleMeasure;
  /** Mean absolute pixel change over the sweep, 0..1: near 0 for an unused dimension. */
  effect: number;
}

export interface EmbedFrame {
  jobId: string;
  runDir: string;
  iteration: number;
  iterations: number;
  /** count × 2, row-major, in the order of the latents list. */
  coords: Float32Array;
  done: boolean;
  kl?: number;
}

export interface ExplorerEvents {
  'explorer.embedFrame': EmbedFrame;
  /** The followed run saved a newer model (or its first one): views should fetch again. */
  'explorer.runUpdated': { runDir: string; modelEpoch: number; status: string; training: boolean };
}
