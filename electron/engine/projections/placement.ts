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
const MAX_DEPTH = 40;

/**
 * A static quadtree over the fixed layout, flat in typed arrays: per node its centre of mass, squared
 * cell width, point count, children (consecutive ids; none for a leaf) and point range. Points are
 * stored in tree order so a leaf's points are contiguous.
 */
class FixedQuadtree {
  readonly cx: Float64Array;
  readonly cy: Float64Array;
  readonly width2: Float64Array;
  readonly count: Float64Array;
  readonly firstChild: Int32Array;
  readonly childCount: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly nodes: number;
  /** Tree position -> point index, and the points' coordinates in tree order. */
  readonly order: Int32Array;
  readonly px: Float64Array;
  readonly py: Float64Array;
  private stack = new Int32Array(256);

  constructor(x: Float64Array, y: Float64Array) {
    const n = x.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      if (x[i] < minX) minX = x[i];
      if (x[i] > maxX) maxX = x[i];
      if (y[i] < minY) minY = y[i];
      if (y[i] > maxY) maxY = y[i];
    }
    // Nodes are made breadth first, so each node's children get consecutive ids.
    let capacity = Math.max(16, Math.ceil((4 * n) / LEAF) + 16);
    let lo = new Int32Array(capacity);
    let hi = new Int32Array(capacity);
    let x0s = new Float64Array(capacity);
    let y0s = new Float64Array(capacity);
    let sizes = new Float64Array(capacity);
    let depth = new Int32Array(capacity);
    let firstChild = new Int32Array(capacity);
    let childCount = new Int32Array(capacity);
    const grow = (): void => {
      capacity *= 2;
      const g = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as { new (len: number): T })(capacity);
        b.set(a);
        return b;
      };
      lo = g(lo);
      hi = g(hi);
      x0s = g(x0s);
      y0s = g(y0s);
      sizes = g(sizes);
      depth = g(depth);
      firstChild = g(firstChild);
      childCount = g(childCount);
    };
    let nodes = 1;
    lo[0] = 0;
    hi[0] = n;
    x0s[0] = minX;
    y0s[0] = minY;
    sizes[0] = Math.max(maxX - minX, maxY - minY, 1e-9);
    const quadrant = new Uint8Array(n);
    const bounds = [0, 0, 0, 0, 0];
    for (let node = 0; node < nodes; node++) {
      const l = lo[node];
      const h = hi[node];
      if (h - l <= LEAF || depth[node] > MAX_DEPTH) continue;
      const half = sizes[node] / 2;
      const mx = x0s[node] + half;
      const my = y0s[node] + half;
      // Counting sort of the range by quadrant.
      const counts = [0, 0, 0, 0];
      for (let p = l; p < h; p++) {
        const i = order[p];
        const q = (x[i] >= mx ? 1 : 0) + (y[i] >= my ? 2 : 0);
        quadrant[p] = q;
        counts[q]++;
      }
      bounds[0] = l;
      for (let q = 0; q < 4; q++) bounds[q + 1] = bounds[q] + counts[q];
      const sorted = new Int32Array(h - l);
      const fill = bounds.slice(0, 4);
      for (let p = l; p < h; p++) sorted[fill[quadrant[p]]++ - l] = order[p];
      order.set(sorted, l);
      firstChild[node] = nodes;
      for (let q = 0; q < 4; q++) {
        if (bounds[q + 1] === bounds[q]) continue;
        if (nodes >= capacity) grow();
        const c = nodes++;
        lo[c] = bounds[q];
        hi[c] = bounds[q + 1];
        x0s[c] = x0s[node] + (q & 1 ? half : 0);
        y0s[c] = y0s[node] + (q & 2 ? half : 0);
        sizes[c] = half;
        depth[c] = depth[node] + 1;
        childCount[node]++;
      }
    }
    this.nodes = nodes;
    this.order = order;
    this.px = Float64Array.from(order, (i) => x[i]);
    this.py = Float64Array.from(order, (i) => y[i]);
    this.lo = lo.slice(0, nodes);
    this.hi = hi.slice(0, nodes);
    this.firstChild = firstChild.slice(0, nodes);
    this.childCount = childCount.slice(0, nodes);
    this.width2 = Float64Array.from(sizes.subarray(0, nodes), (w) => w * w);
    this.count = new Float64Array(nodes);
    this.cx = new Float64Array(nodes);
    this.cy = new Float64Array(nodes);
    for (let node = 0; node < nodes; node++) {
      let sx = 0;
      let sy = 0;
      for (let p = this.lo[node]; p < this.hi[node]; p++) {
        sx += this.px[p];
        sy += this.py[p];
      }
      const c = this.hi[node] - this.lo[node];
      this.count[node] = c;
      this.cx[node] = sx / c;
      this.cy[node] = sy / c;
    }
  }

  /**
   * Sum over the fixed points j of w_ij^2 (p - y_j) and of w_ij = 1 / (1 + |p - y_j|^2), where a
   * cell far enough (width / distance < theta) counts as its points at their centre of mass.
   * `skip` excludes one fixed point (for the normaliser of the fixed layout itself).
   */
  repulsion(qx: number, qy: number, theta: number, out: Float64Array, skip = -1): number {
    const { cx, cy, width2, count, firstChild, childCount, lo, hi, px, py, order } = this;
    const theta2 = theta * theta;
    let fx = 0;
    let fy = 0;
    let sumW = 0;
    let stack = this.stack;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const dx = qx - cx[node];
      const dy = qy - cy[node];
      const d2 = dx * dx + dy * dy;
      const kids = childCount[node];
      if (kids > 0 && width2[node] < theta2 * d2) {
        const w = 1 / (1 + d2);
        const c = count[node];
        sumW += c * w;
        fx += c * w * w * dx;
        fy += c * w * w * dy;
        continue;
      }
      if (kids === 0) {
        const e = hi[node];
        for (let p = lo[node]; p < e; p++) {
          if (order[p] === skip) continue;
          const ex = qx - px[p];
          const ey = qy - py[p];
          const w = 1 / (1 + ex * ex + ey * ey);
          sumW += w;
          fx += w * w * ex;
          fy += w * w * ey;
        }
        continue;
      }
      if (top + 4 > stack.length) {
        const bigger = new Int32Array(stack.length * 2);
        bigger.set(stack);
        stack = this.stack = bigger;
      }
      const first = firstChild[node];
      for (let c = 0; c < kids; c++) stack[top++] = first + c;
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
