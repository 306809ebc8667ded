// Requests and events of the Compare page: runs side by side, each evaluated on its test split. The
// same table as `latent-explorer compare` (engine/disentanglement/compare.ts computes both).
// Merged into the contract in api.ts.

/** One run evaluated on its test split. */
export interface CompareRow {
  runDir: string;
  name: string;
  objective: string;
  /** β of β-VAE; for β-TCVAE the weight of the total correlation term. */
  beta: number;
  latent: number;
  seed: number;
  /** Epochs in the run's history. */
  epochs: number;
  dataset: string;
  /** Test −ELBO, nats per image. */
  negElbo: number;
  /** Test −IWAE bound with `iwaeSamples` samples (absent when not asked for). */
  negIwae?: number;
  iwaeSamples?: number;
  activeUnits: number;
  /** Total correlation of the test latent means under a Gaussian fit, nats. */
  totalCorrelation: number;
  /** Semi-supervised runs: class accuracy on the labelled test images. */
  accuracy?: number;
  /** Where the dataset has factors (factors.csv). */
  mig?: number;
  sap?: number;
  dciDisentanglement?: number;
  dciCompleteness?: number;
  dciInformativeness?: number;
  /**
   * Fair VAE runs: how predictable the private attribute is from z^X (probe AUC on the test split; 0.5 = chance),
   * and the same for the plain VAE trained beside it.
   */
  privateAuc?: number;
  privateReferenceAuc?: number;
  /** Fair VAE runs: the private attribute's name. */
  privateAttribute?: string;
  /** Per dimension, the first epoch its test KL exceeded 0.1 nats (null: never). */
  switchOn: (number | null)[];
  /** KL per dimension at each epoch (from the run's history). */
  klHistory: number[][];
}

/** Runs whose settings differ only by the seed, and how well their active dimensions match. */
export interface SeedGroup {
  /** The settings the runs share, in words. */
  settings: string;
  runs: string[];
  /** Mean agreement over the pairs of runs (matched |Spearman ρ|, 1 = the same axes up to order and sign). */
  agreement: number;
  pairs: { a: string; b: string; agreement: number }[];
}

/** The numeric columns of the table (sortable, and the axes the scatter plot can use). */
export const COMPARE_COLUMNS = [
  'negElbo',
  'negIwae',
  'activeUnits',
  'totalCorrelation',
  'accuracy',
  'mig',
  'sap',
  'dciDisentanglement',
  'dciCompleteness',
  'dciInformativeness',
  'privateAuc',
  'privateReferenceAuc',
  'beta',
  'latent',
] as const;
export type CompareColumn = (typeof COMPARE_COLUMNS)[number];

export interface CompareRequests {
  /**
   * Evaluates runs on their test split. A job (progress, cancel) that sends each row as `compare.row`
   * and ends with `compare.done`; runs evaluated before (same checkpoint, same IWAE samples) are not
   * evaluated again, and when all were, the reply carries the table and no job runs.
   */
  'compare.start': {
    params: { runDirs: string[]; iwae?: number };
    result: { jobId: string | null; rows?: CompareRow[]; seedGroups?: SeedGroup[]; skipped?: SkippedRun[] };
  };
}

/** A run left out of the comparison, with the reason (names the file). */
export interface SkippedRun {
  runDir: string;
  message: string;
}

export interface CompareEvents {
  'compare.row': { jobId: string; row: CompareRow };
  'compare.skipped': { jobId: string } & SkippedRun;
  'compare.done': { jobId: string; rows: CompareRow[]; seedGroups: SeedGroup[]; skipped: SkippedRun[] };
}
