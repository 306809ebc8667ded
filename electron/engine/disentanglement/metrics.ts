// MIG, SAP and DCI of a run's latent means against known factors, as disentanglement_lib defines
// them (Locatello et al. 2019, disentanglement_lib/evaluation/metrics/{mig,sap_score,dci}.py), plus
// the dimension × factor table behind the Factors heat map: normalised MI and, for binary factors, AUC.
//
// Factors with at most 20 distinct values (categorical, binary, small integers) are discrete: they
// are classified, and their values are their levels for MI. Other numeric factors are continuous:
// they are cut into 20 equal-width bins for MI and regressed by SAP and DCI.
import type { FactorColumn, FactorMetrics } from '../../contract/factors.ts';
import { auc, entropy, equalWidthBins, MIG_BINS, mutualInformation } from './information.ts';
import { svmAccuracy } from './svm.ts';
import { BOOSTING_DEFAULTS, binFeatures, fitBoosted, predictBoosted } from './boosted-trees.ts';

/** Most distinct values a numeric factor may have to count as discrete. */
export const DISCRETE_MAX_LEVELS = 20;
/** Rows the DCI predictor trains on and is scored on, at most (a deterministic even sample). */
export const DCI_MAX_TRAIN = 5000;
export const DCI_MAX_TEST = 5000;

export const DCI_PREDICTOR = `gradient-boosted regression trees (${BOOSTING_DEFAULTS.trees} trees of depth ${BOOSTING_DEFAULTS.depth}, learning rate ${BOOSTING_DEFAULTS.learningRate}, splits on ${BOOSTING_DEFAULTS.bins} equal-width bins, squared loss; discrete factors one-vs-rest on 0/1 indicators, informativeness = test accuracy; continuous factors regressed, informativeness = test R²; at most ${DCI_MAX_TRAIN} training and ${DCI_MAX_TEST} test images)`;

interface PreparedFactor {
  name: string;
  discrete: boolean;
  binary: boolean;
  /** Rows (image indices) with a value. */
  rows: Int32Array;
  /** Level 0..levels-1 per row of `rows` (discrete value or MI bin). */
  codes: Int32Array;
  levels: number;
  /** The raw value per row of `rows` (for regression). */
  values: Float64Array;
  entropy: number;
}

/** A factor's rows with a value and its levels; null for a factor with fewer than two levels. */
export function prepareFactor(factor: FactorColumn, count: number): PreparedFactor | null {
  const rowList: number[] = [];
  for (let i = 0; i < count; i++) if (Number.isFinite(factor.values[i])) rowList.push(i);
  const rows = Int32Array.from(rowList);
  const values = Float64Array.from(rowList, (i) => factor.values[i]);
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length < 2) return null;
  const discrete = factor.kind === 'categorical' || distinct.length <= DISCRETE_MAX_LEVELS;
  let codes: Int32Array;
  let levels: number;
  if (discrete) {
    const index = new Map(distinct.map((v, k) => [v, k]));
    codes = Int32Array.from(values, (v) => index.get(v)!);
    levels = distinct.length;
  } else ({ codes, levels } = equalWidthBins(values, MIG_BINS));
  return { name: factor.name, discrete, binary: discrete && levels === 2, rows, codes, levels, values, entropy: entropy(codes, levels) };
}

/** `k` rows of `rows` spread evenly over it (deterministic). */
function evenSample(rows: Int32Array, k: number): Int32Array {
  if (rows.length <= k) return rows;
  return Int32Array.from({ length: k }, (_, i) => rows[Math.floor((i * rows.length) / k)]);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** 1 − entropy of the normalised vector p with logarithm base `base` (0 for an all-zero vector). */
function oneMinusEntropy(p: number[], base: number): number {
  // scipy.stats.entropy(p + 1e-11, base) as disentanglement_lib calls it
  const q = p.map((v) => v + 1e-11);
  const total = q.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const v of q) h -= (v / total) * Math.log(v / total);
  return base > 1 ? 1 - h / Math.log(base) : 1;
}

export interface MetricsInput {
  /** Latent means, [count × dims] row-major. */
  codes: Float32Array;
  count: number;
  dims: number;
  factors: FactorColumn[];
  /** 0 = train, 1 = test per image; SAP and DCI fit on train and score on test (on train when there is no test image). */
  split: Uint8Array;
}

export function computeFactorMetrics({ codes, count, dims, factors, split }: MetricsInput): FactorMetrics {
  const started = performance.now();
  const prepared = factors.map((f) => prepareFactor(f, count)).filter((f): f is PreparedFactor => f !== null);
  const column = (j: number, rows: Int32Array) => Float64Array.from(rows, (i) => codes[i * dims + j]);

  // MIG and the table: every dimension's 20-bin histogram over all images, against each factor.
  const codeBins = Array.from({ length: dims }, (_, j) => equalWidthBins(column(j, Int32Array.from({ length: count }, (_, i) => i)), MIG_BINS));
  const normalisedMi = Array.from({ length: dims }, () => new Array<number>(prepared.length).fill(0));
  const aucTable = Array.from({ length: dims }, () => new Array<number | null>(prepared.length).fill(null));
  const migPerFactor: number[] = [];
  prepared.forEach((f, k) => {
    const mis: number[] = [];
    for (let j = 0; j < dims; j++) {
      const { codes: all, levels } = codeBins[j];
      const sub = Int32Array.from(f.rows, (i) => all[i]);
      const mi = mutualInformation(sub, levels, f.codes, f.levels);
      mis.push(mi);
      normalisedMi[j][k] = f.entropy > 0 ? mi / f.entropy : 0;
      if (f.binary) aucTable[j][k] = auc(column(j, f.rows), f.codes);
    }
    const sorted = [...mis].sort((a, b) => b - a);
    migPerFactor.push(f.entropy > 0 ? (sorted[0] - (sorted[1] ?? 0)) / f.entropy : 0);
  });

  // SAP: per dimension and factor, R² (continuous) or a one-feature linear SVM's test accuracy (discrete).
  const sapMatrix = Array.from({ length: dims }, () => new Array<number>(prepared.length).fill(0));
  const sapPerFactor: number[] = [];
  prepared.forEach((f, k) => {
    const trainIdx: number[] = [];
    const testIdx: number[] = [];
    f.rows.forEach((i, r) => (split[i] === 1 ? testIdx : trainIdx).push(r));
    const train = trainIdx.length ? trainIdx : testIdx;
    const test = testIdx.length ? testIdx : trainIdx;
    for (let j = 0; j < dims; j++) {
      const x = Float64Array.from(train, (r) => codes[f.rows[r] * dims + j]);
      if (!f.discrete) {
        const y = Float64Array.from(train, (r) => f.values[r]);
        sapMatrix[j][k] = squaredCorrelation(x, y);
      } else {
        const xt = Float64Array.from(test, (r) => codes[f.rows[r] * dims + j]);
        if (variance(x) <= 1e-12) continue;
        sapMatrix[j][k] = svmAccuracy(x, Int32Array.from(train, (r) => f.codes[r]), xt, Int32Array.from(test, (r) => f.codes[r]), f.levels);
      }
    }
    const sorted = sapMatrix.map((row) => row[k]).sort((a, b) => b - a);
    sapPerFactor.push(sorted[0] - (sorted[1] ?? 0));
  });

  // DCI: boosted trees per factor; importances [dim][factor].
  const importance = Array.from({ length: dims }, () => new Array<number>(prepared.length).fill(0));
  const informativeness: number[] = [];
  prepared.forEach((f, k) => {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    f.rows.forEach((i, r) => (split[i] === 1 ? testRows : trainRows).push(r));
    const trainR = evenSample(Int32Array.from(trainRows.length ? trainRows : testRows), DCI_MAX_TRAIN);
    const testR = evenSample(Int32Array.from(testRows.length ? testRows : trainRows), DCI_MAX_TEST);
    const trainImages = Int32Array.from(trainR, (r) => f.rows[r]);
    const testImages = Int32Array.from(testR, (r) => f.rows[r]);
    const binnedTrain = binFeatures(codes, count, dims, trainImages, trainImages, BOOSTING_DEFAULTS.bins);
    const binnedTest = binFeatures(codes, count, dims, testImages, trainImages, BOOSTING_DEFAULTS.bins);
    const gains = new Float64Array(dims);
    if (f.discrete) {
      const targets = f.binary ? [1] : Array.from({ length: f.levels }, (_, c) => c);
      const scores = targets.map((c) => {
        const model = fitBoosted(binnedTrain, Float64Array.from(trainR, (r) => (f.codes[r] === c ? 1 : 0)));
        model.gains.forEach((g, j) => (gains[j] += g));
        return predictBoosted(model, binnedTest);
      });
      let correct = 0;
      testR.forEach((r, t) => {
        let predicted: number;
        if (f.binary) predicted = scores[0][t] > 0.5 ? 1 : 0;
        else {
          predicted = 0;
          for (let c = 1; c < scores.length; c++) if (scores[c][t] > scores[predicted][t]) predicted = c;
        }
        if (predicted === f.codes[r]) correct++;
      });
      informativeness.push(testR.length ? correct / testR.length : 0);
    } else {
      const model = fitBoosted(binnedTrain, Float64Array.from(trainR, (r) => f.values[r]));
      model.gains.forEach((g, j) => (gains[j] += g));
      const predicted = predictBoosted(model, binnedTest);
      const truth = Float64Array.from(testR, (r) => f.values[r]);
      informativeness.push(Math.max(0, rSquared(truth, predicted)));
    }
    const total = gains.reduce((a, b) => a + b, 0);
    for (let j = 0; j < dims; j++) importance[j][k] = total > 0 ? gains[j] / total : 0;
  });
  const factorsN = prepared.length;
  let grand = 0;
  for (const row of importance) for (const v of row) grand += v;
  const weights = grand > 0 ? importance : importance.map((row) => row.map(() => 1));
  const weightTotal = weights.flat().reduce((a, b) => a + b, 0) || 1;
  let disentanglement = 0;
  for (let j = 0; j < dims; j++) disentanglement += oneMinusEntropy(importance[j], factorsN) * (weights[j].reduce((a, b) => a + b, 0) / weightTotal);
  let completeness = 0;
  for (let k = 0; k < factorsN; k++) {
    const col = importance.map((row) => row[k]);
    completeness += oneMinusEntropy(col, dims) * (weights.reduce((a, row) => a + row[k], 0) / weightTotal);
  }

  return {
    images: count,
    dims,
    factors: prepared.map((f) => ({ name: f.name, discrete: f.discrete, levels: f.levels, entropy: f.entropy, binary: f.binary })),
    normalisedMi,
    auc: aucTable,
    mig: { score: mean(migPerFactor), perFactor: migPerFactor },
    sap: { score: mean(sapPerFactor), perFactor: sapPerFactor, matrix: sapMatrix },
    dci: { disentanglement, completeness, informativeness: mean(informativeness), perFactorInformativeness: informativeness, importance, predictor: DCI_PREDICTOR },
    seconds: (performance.now() - started) / 1000,
  };
}

function variance(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v / x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return x.length > 1 ? s / (x.length - 1) : 0;
}

/** cov(x, y)² / (var x · var y), 0 when x is constant (disentanglement_lib's continuous SAP score). */
function squaredCorrelation(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  if (sxx / (n - 1) <= 1e-12 || syy <= 0) return 0;
  return (sxy * sxy) / (sxx * syy);
}

function rSquared(truth: Float64Array, predicted: Float64Array): number {
  let m = 0;
  for (const v of truth) m += v / truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i] - predicted[i]) ** 2;
    ssTot += (truth[i] - m) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : 0;
}
