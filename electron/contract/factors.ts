// Known factors of variation of a dataset (factors.csv, or extra columns of labels.csv) and the
// disentanglement measures computed against them; merged into the dataset summary and the eval report.

/** One factor column, aligned with the dataset's images. */
export interface FactorColumn {
  name: string;
  /** numeric: values are the numbers; categorical: values index `categories`. */
  kind: 'numeric' | 'categorical';
  /** One value per image of the dataset; NaN where the image has no row or the cell is empty or bad. */
  values: Float32Array;
  categories?: string[];
}

/** A cell that is not what its column holds (e.g. text in a numeric column), or a row of the wrong length. */
export interface FactorBadCell {
  /** Line number in the file (the header is line 1). */
  row: number;
  /** Column name, or '' for a whole row. */
  column: string;
  value: string;
  reason: string;
}

export interface FactorSummary {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Images with a value. */
  present: number;
  /** Images without one (no row, empty or bad cell). */
  missing: number;
  distinct: number;
  /** Value counts for categorical factors and numeric ones with few values (at most 20). */
  counts?: Record<string, number>;
  min?: number;
  max?: number;
}

/** What the import made of the factors file. */
export interface FactorsReport {
  source: 'factors.csv' | 'labels.csv';
  /** Data rows in the file. */
  rows: number;
  /** Rows naming an image of the dataset. */
  matched: number;
  /** Rows naming no image (first few listed). */
  unmatched: number;
  unmatchedExamples: string[];
  factors: FactorSummary[];
  /** Bad cells, at most 50 listed; badCellCount counts them all. */
  badCells: FactorBadCell[];
  badCellCount: number;
}

/** Disentanglement measures of a run's latent means against the dataset's factors (disentanglement_lib's definitions). */
export interface FactorMetrics {
  /** Images with codes used (all of the dataset's images, or a sample of them). */
  images: number;
  dims: number;
  factors: {
    name: string;
    /** Discrete factors (categorical, or numeric with at most 20 values) are classified; others regressed. */
    discrete: boolean;
    /** Values (discrete) or the 20 equal-width bins used for mutual information. */
    levels: number;
    /** Entropy of the (discretised) factor, nats. */
    entropy: number;
    binary: boolean;
  }[];
  /** [dim][factor]: mutual information of the dimension's 20-bin histogram with the factor, divided by the factor's entropy. */
  normalisedMi: number[][];
  /** [dim][factor]: AUC of the dimension separating a binary factor's two values (0.5 = chance; null for non-binary factors). */
  auc: (number | null)[][];
  /** Mutual information gap: mean over factors of (largest − second largest MI) / H(factor). */
  mig: { score: number; perFactor: number[] };
  /** Separated attribute predictability: mean over factors of the gap between the two most predictive dimensions. */
  sap: { score: number; perFactor: number[]; matrix: number[][] };
  /** Disentanglement, completeness and informativeness from a per-factor predictor's importances. */
  dci: {
    disentanglement: number;
    completeness: number;
    informativeness: number;
    perFactorInformativeness: number[];
    /** [dim][factor], each factor's column sums to 1 (or 0 when nothing is predictive). */
    importance: number[][];
    predictor: string;
  };
  seconds: number;
}
