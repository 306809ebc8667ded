// Placing new points on an existing layout without moving the old ones.
// - PCA and raw dimensions: exact (the same linear map).
// - t-SNE (as openTSNE's transform, Poličar et al. 2019): each new point starts at the average of its
//   latent nearest neighbours' positions, weighted by its perplexity-calibrated affinities p(j|i),
//   then a few gradient steps move it under the t-SNE forces with every old point held fixed:
//   attraction to its neighbours, repulsion from all old points through a Barnes-Hut quadtree over
//   the fixed layout, normalised by the old layout's Z.
import { conditionalAffinities } from './affinities.ts';
import { nearestRows } from './neighbours.ts';
import { pca } from './pca.ts';

export interface TsnePlacementOptions {
  perplexity: number;
  /** Gradient steps after the neighbour average (default 100). */
  iterations?: number;
  /** Barnes-Hut accuracy of the repulsion (default 0.5). */
  theta?: number;
}

const LEAF = 8;

/** A static quadtree over the fixed layout: nodes with centre of mass, count and cell width. */
class FixedQuadtree {
  // Per node: centre of mass, cell width, point count, children (empty for a leaf) and point range.
  readonly cx: number[] = [];
  readonly cy: number[] = [];
  readonly width: number[] = [];
  readonly count: number[] = [];
  readonly kids: number[][] = [];
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  readonly order: Int32Array;

  constructor(
    readonly x: Float64Array,
    readonly y: Float64Array,
  ) {
    const n = x.length;
    this.order = Int32Array.from({ length: n }, (_, i) => i);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, x[i]);
      maxX = Math.max(maxX, x[i]);
      minY = Math.min(minY, y[i]);
      maxY = Math.max(maxY, y[i]);
    }
    const size = Math.max(maxX - minX, maxY - minY, 1e-9);
    this.build(0, n, minX, minY, size, 0);
  }

  private build(lo: number, hi: number, x0: number, y0: number, size: number, depth: number): number {
    const node = this.cx.length;
    let sx = 0;
    let sy = 0;
    for (let p = lo; p < hi; p++) {
      sx += this.x[this.order[p]];
      sy += this.y[this.order[p]];
    }
    const count = hi - lo;
    this.cx.push(sx / count);
    this.cy.push(sy / count);
    this.width.push(size);
    this.count.push(count);
    this.kids.push([]);
    this.lo.push(lo);
    this.hi.push(hi);
    if (count <= LEAF || depth > 40) return node;
    // Partition into the four quadrants (in place), then recurse.
    const half = size / 2;
    const mx = x0 + half;
    const my = y0 + half;
    const quadrant = (i: number) => (this.x[i] >= mx ? 1 : 0) + (this.y[i] >= my ? 2 : 0);
    const bounds = [lo];
    let start = lo;
    for (let qd = 0; qd < 4; qd++) {
      for (let p = start; p < hi; p++) {
        if (quadrant(this.order[p]) === qd) {
          const t = this.order[start];
          this.order[start] = this.order[p];
          this.order[p] = t;
          start++;
        }
      }
      bounds.push(start);
    }
    const children: [number, number, number, number][] = [];
    for (let qd = 0; qd < 4; qd++) {
      if (bounds[qd + 1] > bounds[qd]) children.push([bounds[qd], bounds[qd + 1], x0 + (qd & 1 ? half : 0), y0 + (qd & 2 ? half : 0)]);
    }
    this.kids[node] = children.map(([a, b, cx0, cy0]) => this.build(a, b, cx0, cy0, half, depth + 1));
    return node;
  }

  /**
   * Sum over the fixed points j of w_ij^2 (p - y_j) and of w_ij = 1 / (1 + |p - y_j|^2), where a
   * cell far enough (width / distance < theta) counts as its points at their centre of mass.
   * `skip` excludes one fixed point (for the normaliser of the fixed layout itself).
   */
  repulsion(px: number, py: number, theta: number, out: Float64Array, skip = -1): number {
    let fx = 0;
    let fy = 0;
    let sumW = 0;
    const stack = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const dx = px - this.cx[node];
      const dy = py - this.cy[node];
      const d2 = dx * dx + dy * dy;
      const leaf = this.kids[node].length === 0;
      if (!leaf && this.width[node] * this.width[node] < theta * theta * d2) {
        const w = 1 / (1 + d2);
        const c = this.count[node];
        sumW += c * w;
        fx += c * w * w * dx;
        fy += c * w * w * dy;
        continue;
      }
      if (leaf) {
        for (let p = this.lo[node]; p < this.hi[node]; p++) {
          const j = this.order[p];
          if (j === skip) continue;
          const ex = px - this.x[j];
          const ey = py - this.y[j];
          const w = 1 / (1 + ex * ex + ey * ey);
          sumW += w;
          fx += w * w * ex;
          fy += w * w * ey;
        }
        continue;
      }
      for (const child of this.kids[node]) stack.push(child);
    }
    out[0] = fx;
    out[1] = fy;
    return sumW;
  }
}

/**
 * Positions (M x 2) of new points on a fixed t-SNE layout of `n` reference points. `reference` and
 * `points` are the vectors the layout was computed from (row-major, `dim` columns).
 */
export function placeOnTsne(
  reference: ArrayLike<number>,
  layout: ArrayLike<number>,
  n: number,
  points: ArrayLike<number>,
  m: number,
  dim: number,
  options: TsnePlacementOptions,
): Float32Array {
  const k = Math.max(1, Math.min(n - 1, Math.floor(3 * options.perplexity)));
  const perplexity = Math.min(options.perplexity, Math.max(1, k / 3));
  const knn = nearestRows(reference, n, points, m, dim, k);
  const cond = conditionalAffinities(knn, perplexity);
  const y = new Float64Array(2 * m);
  // Start: the affinity-weighted mean of the neighbours' positions.
  for (let i = 0; i < m; i++) {
    let sx = 0;
    let sy = 0;
    for (let t = 0; t < knn.k; t++) {
      const j = knn.indices[i * knn.k + t];
      const p = cond.values[i * knn.k + t];
      sx += p * layout[2 * j];
      sy += p * layout[2 * j + 1];
    }
    y[2 * i] = sx;
    y[2 * i + 1] = sy;
  }
  const iterations = options.iterations ?? 100;
  if (iterations === 0 || n < 2) return Float32Array.from(y);
  const theta = options.theta ?? 0.5;
  const fx = new Float64Array(n);
  const fy = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    fx[j] = layout[2 * j];
    fy[j] = layout[2 * j + 1];
  }
  const tree = new FixedQuadtree(fx, fy);
  // Z of the fixed layout (sum of w over ordered pairs), from the same tree, on a sample of rows.
  const force = new Float64Array(2);
  const sample = Math.min(n, 2000);
  let z = 0;
  for (let s = 0; s < sample; s++) {
    const j = Math.floor((s * n) / sample);
    z += tree.repulsion(fx[j], fy[j], theta, force, j);
  }
  z *= n / sample;
  // Same optimiser as t-SNE's second phase: learning rate max(N / 48, 50), momentum 0.8, gains.
  const lr = Math.max(n / 48, 50);
  const update = new Float64Array(2 * m);
  const gains = new Float64Array(2 * m).fill(1);
  for (let it = 0; it < iterations; it++) {
    const momentum = it < 20 ? 0.5 : 0.8;
    for (let i = 0; i < m; i++) {
      const px = y[2 * i];
      const py = y[2 * i + 1];
      let ax = 0;
      let ay = 0;
      for (let t = 0; t < knn.k; t++) {
        const j = knn.indices[i * knn.k + t];
        const dx = px - fx[j];
        const dy = py - fy[j];
        const w = cond.values[i * knn.k + t] / (1 + dx * dx + dy * dy);
        ax += w * dx;
        ay += w * dy;
      }
      tree.repulsion(px, py, theta, force);
      // p_ij ~ p(j|i) / N for a point that would have joined the N reference points.
      for (let c = 0; c < 2; c++) {
        const g = 4 * ((c === 0 ? ax : ay) / n - force[c] / z);
        const u = update[2 * i + c];
        let gain = gains[2 * i + c];
        gain = u * g < 0 ? gain + 0.2 : gain * 0.8;
        if (gain < 0.01) gain = 0.01;
        gains[2 * i + c] = gain;
        const nu = momentum * u - lr * gain * g;
        update[2 * i + c] = nu;
        y[2 * i + c] += nu;
      }
    }
  }
  return Float32Array.from(y);
}

/** A linear 2-D layout (PCA, or two raw dimensions): coords = (x - mean) . axes. Places new points exactly. */
export interface LinearLayout {
  dim: number;
  mean: Float64Array;
  /** 2 x dim, row-major. */
  axes: Float64Array;
}

export function applyLinearLayout(layout: LinearLayout, data: ArrayLike<number>, n: number): Float32Array {
  const { dim, mean, axes } = layout;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < dim; c++) {
      const v = data[i * dim + c] - mean[c];
      a += v * axes[c];
      b += v * axes[dim + c];
    }
    out[2 * i] = a;
    out[2 * i + 1] = b;
  }
  return out;
}

/** The first two principal axes of the data. */
export function pcaLayout(data: ArrayLike<number>, n: number, dim: number): LinearLayout {
  if (dim < 2) throw new RangeError('PCA layout needs codes of at least 2 dimensions');
  const result = pca(data, n, dim, 2);
  return { dim, mean: result.mean, axes: result.components };
}

/** Raw dimensions dx and dy as the two axes (no centring: the view shows the code's own values). */
export function rawLayout(dim: number, dx: number, dy: number): LinearLayout {
  if (!(dx >= 0 && dx < dim && dy >= 0 && dy < dim && Number.isInteger(dx) && Number.isInteger(dy))) throw new RangeError(`raw layout: dimensions must be 1 to ${dim} (got ${dx + 1} and ${dy + 1})`);
  const axes = new Float64Array(2 * dim);
  axes[dx] = 1;
  axes[dim + dy] = 1;
  return { dim, mean: new Float64Array(dim), axes };
}
