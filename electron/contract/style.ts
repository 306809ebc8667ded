// Requests of the style tools of semi-supervised runs: the per-dimension style report (KL, class
// leakage, pixel-measure correlations, suggested names), user-defined style directions, and style
// transfer (one image's z^X rendered in every class). Merged into the contract in api.ts.
import type { StyleMeasure } from './explorer.ts';

/** A style dimension is active (the rule, stricter than eval's active units) when its KL is above this, nats. */
export const STYLE_ACTIVE_KL = 0.1;
/** A style dimension or direction leaks when more than this share of its class sweeps change class. */
export const STYLE_LEAK_THRESHOLD = 0.05;

/** What sweeping one style vector (a dimension, or a user direction) does, measured on decoded images. */
export interface StyleSweepReport {
  /**
   * Class leakage: the share of the decoded sweeps (one per class, from the class's mean encoding,
   * ±range prior sd along the vector) in which the model's own classifier (re-encode the image, argmax
   * of the class head) gives a class other than the one it gives the sweep's unmoved start.
   */
  leakage: number;
  /** leakage > STYLE_LEAK_THRESHOLD. */
  leaks: boolean;
  /** The classes whose sweep changed class. */
  leakingClasses: number[];
  /** Finer grain: the share of all decoded sweep images judged another class than their start. */
  imageLeakage: number;
  /** Pearson correlation of each pixel measure with the sweep value, averaged over the classes. */
  correlations: Record<StyleMeasure, number>;
  /** Mean change of each measure over the sweep (slant dx/dy, px, px, px, fraction of height). */
  changes: Record<StyleMeasure, number>;
  /** The measure with the largest |correlation|. */
  strongest: StyleMeasure;
  /** Mean absolute pixel change between the sweep's ends, 0..1 (near 0: the decoder ignores it). */
  effect: number;
}

export interface StyleDimensionReport extends StyleSweepReport {
  /** 0-based latent index (below the run's style count). */
  dim: number;
  /** Mean KL(q(z_dim|x) || N(0,1)) over the images, nats. */
  kl: number;
  /** kl > STYLE_ACTIVE_KL. */
  active: boolean;
  /** The measure that follows the dimension closely (|r| ≥ 0.7 and it moves), each measure given once first; else null. */
  suggestedName: string | null;
  measure: StyleMeasure | null;
  /** Correlation of the named measure (0 when unnamed). */
  correlation: number;
}

/** A style direction the user defined: the difference of two groups' mean z^X, class part removed. */
export interface StyleDirection {
  name: string;
  /** Unit vector in z^X (the run's `style` values). A slider value t moves z^X by t·vector (t in prior sd). */
  vector: number[];
  /** |mean_A − mean_B| of the class-centred z^X, before normalising (prior sd). */
  norm: number;
  /** |mean_A − mean_B| of the raw z^X. */
  rawNorm: number;
  /** |the part of the raw difference explained by the groups' classes| / rawNorm, 0..1+. */
  classPart: number;
  /** Where the two groups' class-centred means sit along the vector (prior sd; A above B). */
  at: { a: number; b: number };
  groups: { a: StyleGroupInfo; b: StyleGroupInfo };
  /** Measured when it was defined (the model of that epoch). */
  report: StyleSweepReport;
  modelEpoch: number;
  createdAt: string;
}

export interface StyleGroupInfo {
  count: number;
  /** 'test images' (picked in the app) or 'files'. */
  source: 'test images' | 'files';
  /** Images per class (by label, or the classifier's guess for unlabelled ones). */
  classCounts: number[];
}

/** A group of images: positions in the explorer's latents list, or image files' bytes (PNG, JPEG, …). */
export type StyleGroup = { positions: Int32Array } | { files: { name: string; bytes: Uint8Array }[] };

export interface StyleTransferResult {
  /** The chosen image as the model sees it (size² × channels uint8). */
  input: Uint8Array;
  /** Its reconstruction, then its z^X rendered with each class's mean z^Y: (1 + classes) images. */
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
  /** The chosen image's z^X. */
  style: Float32Array;
  /** The class the model gives the chosen image. */
  predicted: number;
  /** For each class image: the class the model gives it when re-encoded (its leakage at a glance). */
  judged: number[];
}

export interface StyleRequests {
  /**
   * KL, class leakage and measure correlations of every style dimension, sorted by KL (largest first).
   * Cached per model. range: sweep ±range prior sd (default 2); steps per sweep (default 9).
   */
  'style.report': {
    params: { runDir: string; range?: number; steps?: number };
    result: { dims: StyleDimensionReport[]; range: number; steps: number; modelEpoch: number };
  };
  /** The run's saved style directions. */
  'style.directions': { params: { runDir: string }; result: { directions: StyleDirection[] } };
  /** Defines (or replaces, same name) a direction from two groups of images and saves it in the run. */
  'style.defineDirection': {
    params: { runDir: string; name: string; a: StyleGroup; b: StyleGroup; replace?: boolean };
    result: { direction: StyleDirection; directions: StyleDirection[] };
  };
  'style.deleteDirection': { params: { runDir: string; name: string }; result: { directions: StyleDirection[] } };
  /** Style transfer: one image (a test image by list position, or a file's bytes) in every class. */
  'style.transfer': {
    params: { runDir: string; position?: number; file?: { name: string; bytes: Uint8Array } };
    result: StyleTransferResult;
  };
}
