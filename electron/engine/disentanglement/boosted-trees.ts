// Gradient-boosted regression trees, the predictor behind DCI. disentanglement_lib uses sklearn's
// GradientBoostingClassifier (100 trees of depth 3, learning rate 0.1) and its impurity-based
// feature_importances_. This is the same scheme with two changes that make it fast enough to run
// on every evaluation: splits are searched on 32 equal-width bins per feature (as sklearn's
// HistGradientBoosting does) and the loss is squared error (classes are fitted one-vs-rest as 0/1
// indicators). A feature's importance is the total squared-error reduction of its splits,
// normalised to sum to 1 over the features — sklearn's definition.

export interface BoostingOptions {
  trees?: number;
  depth?: number;
  learningRate?: number;
  bins?: number;
  minLeaf?: number;
}

export const BOOSTING_DEFAULTS: Required<BoostingOptions> = { trees: 100, depth: 3, learningRate: 0.1, bins: 32, minLeaf: 5 };

/** Features binned to 0..bins-1 with edges from the training rows (test rows clipped into range). */
export interface BinnedFeatures {
  /** [n * d] bin indices, row-major. */
  bins: Uint8Array;
  n: number;
  d: number;
}

export function binFeatures(x: Float32Array, n: number, d: number, rows: Int32Array, reference: Int32Array, bins: number): BinnedFeatures {
  const out = new Uint8Array(rows.length * d);
  for (let j = 0; j < d; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of reference) {
      const v = x[i * d + j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const width = (hi - lo) / bins;
    for (let r = 0; r < rows.length; r++) {
      const v = x[rows[r] * d + j];
      out[r * d + j] = width > 0 ? Math.max(0, Math.min(bins - 1, Math.floor((v - lo) / width))) : 0;
    }
  }
  return { bins: out, n: rows.length, d };
}

interface Node {
  feature: number;
  /** rows with bin <= threshold go left */
  threshold: number;
  left: number;
  right: number;
  value: number;
}

export interface BoostedModel {
  base: number;
  trees: Node[][];
  learningRate: number;
  /** Unnormalised squared-error reduction per feature. */
  gains: Float64Array;
}

/** Fits boosted trees to y on the binned training rows. */
export function fitBoosted(train: BinnedFeatures, y: Float64Array, opts: BoostingOptions = {}): BoostedModel {
  const { trees, depth, learningRate, bins, minLeaf } = { ...BOOSTING_DEFAULTS, ...opts };
  const { n, d } = train;
  const X = train.bins;
  let base = 0;
  for (const v of y) base += v / n;
  const pred = new Float64Array(n).fill(base);
  const residual = new Float64Array(n);
  const gains = new Float64Array(d);
  const model: BoostedModel = { base, trees: [], learningRate, gains };
  const rows = new Int32Array(n);
  const scratch = new Int32Array(n);
  // Histograms of a node's rows: count and residual sum per (feature, bin). A node's larger child
  // gets its histogram as the parent's minus the smaller child's, halving the passes over rows.
  const histogram = (start: number, end: number): [Float64Array, Float64Array] => {
    const count = new Float64Array(d * bins);
    const sums = new Float64Array(d * bins);
    for (let r = start; r < end; r++) {
      const i = rows[r];
      const ri = residual[i];
      const o = i * d;
      for (let j = 0, h = 0; j < d; j++, h += bins) {
        const k = h + X[o + j];
        count[k]++;
        sums[k] += ri;
      }
    }
    return [count, sums];
  };

  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < n; i++) {
      residual[i] = y[i] - pred[i];
      rows[i] = i;
    }
    const nodes: Node[] = [];
    // grow depth-first over row ranges [start, end) of `rows`
    const grow = (start: number, end: number, level: number, hist: [Float64Array, Float64Array] | null): number => {
      const id = nodes.length;
      let sum = 0;
      for (let r = start; r < end; r++) sum += residual[rows[r]];
      const count = end - start;
      nodes.push({ feature: -1, threshold: 0, left: -1, right: -1, value: count ? sum / count : 0 });
      if (level >= depth || count < 2 * minLeaf) return id;
      const [histCount, histSum] = hist ?? histogram(start, end);
      const parentScore = (sum * sum) / count;
      let bestGain = 1e-12;
      let bestFeature = -1;
      let bestThreshold = 0;
      for (let j = 0; j < d; j++) {
        let cl = 0;
        let sl = 0;
        for (let b = 0; b < bins - 1; b++) {
          cl += histCount[j * bins + b];
          sl += histSum[j * bins + b];
          const cr = count - cl;
          if (cl < minLeaf) continue;
          if (cr < minLeaf) break;
          const sr = sum - sl;
          const gain = (sl * sl) / cl + (sr * sr) / cr - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = j;
            bestThreshold = b;
          }
        }
      }
      if (bestFeature < 0) return id;
      gains[bestFeature] += bestGain;
      // partition rows[start, end) stably around the threshold
      let l = start;
      let s = 0;
      for (let r = start; r < end; r++) {
        const i = rows[r];
        if (X[i * d + bestFeature] <= bestThreshold) rows[l++] = i;
        else scratch[s++] = i;
      }
      for (let k = 0; k < s; k++) rows[l + k] = scratch[k];
      nodes[id].feature = bestFeature;
      nodes[id].threshold = bestThreshold;
      let leftHist: [Float64Array, Float64Array] | null = null;
      let rightHist: [Float64Array, Float64Array] | null = null;
      if (level + 1 < depth) {
        const leftSmaller = l - start <= end - l;
        const small = leftSmaller ? histogram(start, l) : histogram(l, end);
        const large: [Float64Array, Float64Array] = [histCount.map((v, k) => v - small[0][k]), histSum.map((v, k) => v - small[1][k])];
        [leftHist, rightHist] = leftSmaller ? [small, large] : [large, small];
      }
      nodes[id].left = grow(start, l, level + 1, leftHist);
      nodes[id].right = grow(l, end, level + 1, rightHist);
      return id;
    };
    grow(0, n, 0, null);
    model.trees.push(nodes);
    for (let i = 0; i < n; i++) pred[i] += learningRate * leafValue(nodes, X, i * d);
  }
  return model;
}

function leafValue(nodes: Node[], X: Uint8Array, offset: number): number {
  let k = 0;
  while (nodes[k].feature >= 0) k = X[offset + nodes[k].feature] <= nodes[k].threshold ? nodes[k].left : nodes[k].right;
  return nodes[k].value;
}

export function predictBoosted(model: BoostedModel, features: BinnedFeatures): Float64Array {
  const out = new Float64Array(features.n).fill(model.base);
  for (const nodes of model.trees) for (let i = 0; i < features.n; i++) out[i] += model.learningRate * leafValue(nodes, features.bins, i * features.d);
  return out;
}
