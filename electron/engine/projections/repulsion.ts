// Repulsive forces of t-SNE in 2-D: for every point i, rep_i = sum_j q_ij^2 (y_i - y_j) and the
// normaliser Z = sum_{i != j} q_ij, with q_ij = 1 / (1 + |y_i - y_j|^2).
//
// Fast path: a quadtree in flat typed arrays (no per-node objects), rebuilt every iteration from
// Morton-sorted points, walked as a *dual tree* (cell-cell interactions, as in Dehnen's falcON): two
// cells whose radii satisfy (r_a + r_b) < theta * sqrt(1 + |c_a - c_b|^2) interact once through their
// centres of mass, each receiving a second-order local expansion of the force field (value, Jacobian
// and the third-derivative tensor of the potential -q/2, plus the other cell's quadrupole) that is
// pushed down the tree afterwards; Z gets the matching quadrupole correction. Errors are O(theta^3)
// rather than Barnes-Hut's O(theta^2), so far fewer interactions reach the same accuracy; per-point
// Barnes-Hut at theta = 0.5 would need ~15 ms per iteration at N = 10,000 in JS, too slow for
// 1,000 iterations in 10 s. Near cells interact exactly, pair by pair.
//
// The exact O(N^2) version is kept as the reference for tests and small inputs.

const LEAF_SIZE = 8;
const MAX_DEPTH = 16; // Morton codes of 16 bits per axis
/** Pairs of cells whose point counts multiply to at most this are summed exactly instead of being split. */
const DIRECT_PAIR_LIMIT = 16;

export interface RepulsionResult {
  /** Z = sum over ordered pairs i != j of q_ij. */
  sumQ: number;
}

/** Exact O(N^2): rep (N x 2) is overwritten. */
export function repulsionExact(y: Float64Array, n: number, rep: Float64Array): RepulsionResult {
  rep.fill(0);
  let sumQ = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    for (let j = i + 1; j < n; j++) {
      const dx = xi - y[2 * j];
      const dy = yi - y[2 * j + 1];
      const q = 1 / (1 + dx * dx + dy * dy);
      sumQ += q;
      const q2 = q * q;
      fx += q2 * dx;
      fy += q2 * dy;
      rep[2 * j] -= q2 * dx;
      rep[2 * j + 1] -= q2 * dy;
    }
    rep[2 * i] += fx;
    rep[2 * i + 1] += fy;
  }
  return { sumQ: 2 * sumQ };
}

// Node storage, interleaved so one interaction touches few cache lines:
// props (Float64, stride 8): centre of mass x, y, radius, count, second moments xx, xy, yy.
// acc (Float64, stride 12): local expansion F0 (x, y), J (xx, xy, yy), T (xxx, xxy, xyy, yyy).
// info (Int32, stride 4): first point, end point, first child (in childList), end child.
const P_CX = 0;
const P_CY = 1;
const P_R = 2;
const P_N = 3;
const P_MXX = 4;
const P_MXY = 5;
const P_MYY = 6;
const PS = 8;
const AS = 12;
const IS = 4;

/** Reusable buffers of the dual-tree method for a fixed N (allocated once per run, not per iteration). */
export class DualTreeRepulsion {
  private readonly n: number;
  private codes: Uint32Array;
  private codesTmp: Uint32Array;
  private perm: Int32Array;
  private permTmp: Int32Array;
  private readonly px: Float64Array;
  private readonly py: Float64Array;
  private readonly fx: Float64Array;
  private readonly fy: Float64Array;
  // Nodes in preorder: a parent always precedes its children.
  private capacity = 0;
  private nodeCount = 0;
  private props = new Float64Array(0);
  private acc = new Float64Array(0);
  private info = new Int32Array(0);
  private parent = new Int32Array(0);
  /** Children of node a are childList[info[4a + 2] .. info[4a + 3]); a leaf has none. */
  private childList = new Int32Array(0);
  private childListLength = 0;
  private pairStack = new Int32Array(4096);
  private readonly radixCounts = new Uint32Array(256);
  private sortedOnce = false;
  /** Cell-cell and point-point interaction counts of the last call (for benchmarks). */
  stats = { cellPairs: 0, pointPairs: 0, nodes: 0 };

  constructor(n: number, readonly theta = 0.5) {
    this.n = n;
    this.codes = new Uint32Array(n);
    this.codesTmp = new Uint32Array(n);
    this.perm = new Int32Array(n);
    this.permTmp = new Int32Array(n);
    this.px = new Float64Array(n);
    this.py = new Float64Array(n);
    this.fx = new Float64Array(n);
    this.fy = new Float64Array(n);
    this.grow(Math.max(64, Math.ceil((4 * n) / LEAF_SIZE)));
  }

  private grow(capacity: number): void {
    const props = new Float64Array(capacity * PS);
    props.set(this.props);
    const acc = new Float64Array(capacity * AS);
    acc.set(this.acc);
    const info = new Int32Array(capacity * IS);
    info.set(this.info);
    const parent = new Int32Array(capacity);
    parent.set(this.parent);
    const childList = new Int32Array(capacity);
    childList.set(this.childList);
    this.props = props;
    this.acc = acc;
    this.info = info;
    this.parent = parent;
    this.childList = childList;
    this.capacity = capacity;
  }

  /** Sorts points by Morton code into px/py (perm: sorted position -> point). */
  private sortPoints(y: Float64Array): void {
    const n = this.n;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const a = y[2 * i];
      const b = y[2 * i + 1];
      if (a < minX) minX = a;
      if (a > maxX) maxX = a;
      if (b < minY) minY = b;
      if (b > maxY) maxY = b;
    }
    const side = Math.max(maxX - minX, maxY - minY, 1e-300);
    const scale = 65535.999 / side;
    // Codes in the previous call's sorted order: points move little between iterations, so that
    // order is nearly sorted and an insertion sort finishes in ~O(N); it gives up (radix sort
    // instead) after 8N moves. Both sort by (code, point index).
    const codes = this.codes;
    const perm = this.perm;
    if (this.sortedOnce) {
      for (let s = 0; s < n; s++) {
        const i = perm[s];
        const qx = ((y[2 * i] - minX) * scale) >>> 0;
        const qy = ((y[2 * i + 1] - minY) * scale) >>> 0;
        codes[s] = (interleave(qx) | (interleave(qy) << 1)) >>> 0;
      }
      let budget = 8 * n;
      let s = 1;
      for (; s < n && budget > 0; s++) {
        const code = codes[s];
        const p = perm[s];
        let t = s - 1;
        // (code, index) order: the same as the radix sort from scratch, whatever the history, so the
        // tree and its float sums do not depend on earlier iterations (or on which thread ran them).
        while (t >= 0 && (codes[t] > code || (codes[t] === code && perm[t] > p))) {
          codes[t + 1] = codes[t];
          perm[t + 1] = perm[t];
          t--;
        }
        budget -= s - 1 - t;
        codes[t + 1] = code;
        perm[t + 1] = p;
      }
      if (s >= n && budget >= 0) {
        for (let u = 0; u < n; u++) {
          const i = perm[u];
          this.px[u] = y[2 * i];
          this.py[u] = y[2 * i + 1];
        }
        return;
      }
    }
    this.sortedOnce = true;
    for (let i = 0; i < n; i++) {
      const qx = ((y[2 * i] - minX) * scale) >>> 0;
      const qy = ((y[2 * i + 1] - minY) * scale) >>> 0;
      codes[i] = (interleave(qx) | (interleave(qy) << 1)) >>> 0;
      perm[i] = i;
    }
    // LSD radix sort, four passes of 8 bits (small count table: cheap for small N too).
    const counts = this.radixCounts;
    for (let shift = 0; shift < 32; shift += 8) {
      counts.fill(0);
      const src = this.codes;
      const srcPerm = this.perm;
      const dst = this.codesTmp;
      const dstPerm = this.permTmp;
      for (let i = 0; i < n; i++) counts[(src[i] >>> shift) & 0xff]++;
      let sum = 0;
      for (let b = 0; b < 256; b++) {
        const c = counts[b];
        counts[b] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const code = src[i];
        const at = counts[(code >>> shift) & 0xff]++;
        dst[at] = code;
        dstPerm[at] = srcPerm[i];
      }
      this.codes = dst;
      this.codesTmp = src;
      this.perm = dstPerm;
      this.permTmp = srcPerm;
    }
    for (let s = 0; s < n; s++) {
      const i = this.perm[s];
      this.px[s] = y[2 * i];
      this.py[s] = y[2 * i + 1];
    }
  }

  private newNode(start: number, end: number, parent: number): number {
    if (this.nodeCount >= this.capacity) this.grow(this.capacity * 2);
    const id = this.nodeCount++;
    const o = id * IS;
    this.info[o] = start;
    this.info[o + 1] = end;
    this.info[o + 2] = 0;
    this.info[o + 3] = 0;
    this.parent[id] = parent;
    this.acc.fill(0, id * AS, id * AS + AS);
    return id;
  }

  /** Builds the tree in preorder over Morton-sorted points; single-child levels are skipped. */
  private build(): void {
    this.nodeCount = 0;
    this.childListLength = 0;
    const codes = this.codes;
    const root = this.newNode(0, this.n, -1);
    const stackNode: number[] = [root];
    const stackLevel: number[] = [0];
    const bounds = new Int32Array(5);
    while (stackNode.length > 0) {
      const node = stackNode.pop()!;
      let level = stackLevel.pop()!;
      const start = this.info[node * IS];
      const end = this.info[node * IS + 1];
      if (end - start <= LEAF_SIZE) continue;
      // The first level at which this range splits into more than one quadrant.
      let parts = 0;
      while (level < MAX_DEPTH) {
        const shift = 2 * (MAX_DEPTH - 1 - level);
        parts = 0;
        let prev = -1;
        // Ranges are sorted, so each quadrant's run ends where a binary search says.
        let s = start;
        while (s < end) {
          const digit = (codes[s] >>> shift) & 3;
          if (digit !== prev) {
            bounds[parts++] = s;
            prev = digit;
          }
          let lo = s;
          let hi = end - 1;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (((codes[mid] >>> shift) & 3) === digit) lo = mid;
            else hi = mid - 1;
          }
          s = lo + 1;
        }
        bounds[parts] = end;
        if (parts > 1) break;
        level++;
      }
      if (parts <= 1) continue; // all points share a 16-bit cell: stays a (fat) leaf
      if (this.childListLength + parts > this.childList.length) {
        const bigger = new Int32Array(this.childList.length * 2 + parts);
        bigger.set(this.childList);
        this.childList = bigger;
      }
      const first = this.childListLength;
      for (let c = 0; c < parts; c++) {
        const child = this.newNode(bounds[c], bounds[c + 1], node);
        this.childList[this.childListLength++] = child;
      }
      this.info[node * IS + 2] = first;
      this.info[node * IS + 3] = this.childListLength;
      for (let c = 0; c < parts; c++) {
        stackNode.push(this.childList[first + c]);
        stackLevel.push(level + 1);
      }
    }
  }

  /**
   * Centres of mass, second moments and radii, bottom-up (children have larger ids than parents).
   * Leaves are exact; a parent's radius is the bound max(|c_child - c| + r_child).
   */
  private summarise(): void {
    const { px, py, props, info, childList } = this;
    for (let node = this.nodeCount - 1; node >= 0; node--) {
      const io = node * IS;
      const s0 = info[io];
      const s1 = info[io + 1];
      const cb = info[io + 2];
      const ce = info[io + 3];
      const po = node * PS;
      const count = s1 - s0;
      let cx = 0;
      let cy = 0;
      let xx = 0;
      let xy = 0;
      let yy = 0;
      let r = 0;
      if (cb === ce) {
        for (let s = s0; s < s1; s++) {
          cx += px[s];
          cy += py[s];
        }
        cx /= count;
        cy /= count;
        let r2 = 0;
        for (let s = s0; s < s1; s++) {
          const dx = px[s] - cx;
          const dy = py[s] - cy;
          xx += dx * dx;
          xy += dx * dy;
          yy += dy * dy;
          const d2 = dx * dx + dy * dy;
          if (d2 > r2) r2 = d2;
        }
        r = Math.sqrt(r2);
      } else {
        for (let c = cb; c < ce; c++) {
          const co = childList[c] * PS;
          cx += props[co + P_N] * props[co + P_CX];
          cy += props[co + P_N] * props[co + P_CY];
        }
        cx /= count;
        cy /= count;
        for (let c = cb; c < ce; c++) {
          const co = childList[c] * PS;
          const m = props[co + P_N];
          const dx = props[co + P_CX] - cx;
          const dy = props[co + P_CY] - cy;
          xx += props[co + P_MXX] + m * dx * dx;
          xy += props[co + P_MXY] + m * dx * dy;
          yy += props[co + P_MYY] + m * dy * dy;
          const reach = Math.sqrt(dx * dx + dy * dy) + props[co + P_R];
          if (reach > r) r = reach;
        }
      }
      props[po + P_CX] = cx;
      props[po + P_CY] = cy;
      props[po + P_R] = r;
      props[po + P_N] = count;
      props[po + P_MXX] = xx;
      props[po + P_MXY] = xy;
      props[po + P_MYY] = yy;
    }
  }

  private pushPair(top: number, a: number, b: number): number {
    if (top + 2 > this.pairStack.length) {
      const bigger = new Int32Array(this.pairStack.length * 2);
      bigger.set(this.pairStack);
      this.pairStack = bigger;
    }
    this.pairStack[top] = a;
    this.pairStack[top + 1] = b;
    return top + 2;
  }

  /** Computes rep (N x 2, original point order) for positions y (N x 2); returns Z. */
  compute(y: Float64Array, rep: Float64Array): RepulsionResult {
    const n = this.n;
    this.sortPoints(y);
    this.build();
    this.summarise();
    const { px, py, fx, fy, props, acc, info, childList } = this;
    fx.fill(0);
    fy.fill(0);
    const theta2 = this.theta * this.theta;
    let sumQ = 0;
    let cellPairs = 0;
    let pointPairs = 0;
    let top = this.pushPair(0, 0, 0);
    while (top > 0) {
      top -= 2;
      const a = this.pairStack[top];
      const b = this.pairStack[top + 1];
      const ia = a * IS;
      if (a === b) {
        const cb = info[ia + 2];
        const ce = info[ia + 3];
        if (cb === ce) {
          // Leaf with itself: all pairs exactly.
          const e = info[ia + 1];
          for (let s = info[ia]; s < e; s++) {
            const xs = px[s];
            const ys = py[s];
            let ax = 0;
            let ay = 0;
            for (let t = s + 1; t < e; t++) {
              const dx = xs - px[t];
              const dy = ys - py[t];
              const q = 1 / (1 + dx * dx + dy * dy);
              sumQ += q;
              const q2 = q * q;
              ax += q2 * dx;
              ay += q2 * dy;
              fx[t] -= q2 * dx;
              fy[t] -= q2 * dy;
            }
            fx[s] += ax;
            fy[s] += ay;
          }
          const m = e - info[ia];
          pointPairs += (m * (m - 1)) / 2;
        } else {
          for (let c = cb; c < ce; c++) {
            const ca = childList[c];
            top = this.pushPair(top, ca, ca);
            for (let d = c + 1; d < ce; d++) top = this.pushPair(top, ca, childList[d]);
          }
        }
        continue;
      }
      const ib = b * IS;
      const pa = a * PS;
      const pb = b * PS;
      const dx = props[pa + P_CX] - props[pb + P_CX];
      const dy = props[pa + P_CY] - props[pb + P_CY];
      const d2 = dx * dx + dy * dy;
      const ra = props[pa + P_R];
      const rb = props[pb + P_R];
      const reach = ra + rb;
      // The Taylor series of q around r converges within sqrt(1 + |r|^2) (q's poles are at |r|^2 = -1),
      // so that, not |r|, is the scale cells must be small against: a compact early layout is cheap.
      if (reach * reach < theta2 * (1 + d2)) {
        // Far apart: one interaction through the centres of mass, to second order. With r = c_a - c_b,
        // g = q^2 r, J = q^2 I - 4 q^3 r r^T, T_klm = 24 q^4 r_k r_l r_m - 4 q^3 (d_kl r_m + d_lm r_k + d_km r_l).
        const na = props[pa + P_N];
        const nb = props[pb + P_N];
        const q = 1 / (1 + d2);
        const q2 = q * q;
        const q3 = q2 * q;
        const q4x24 = 24 * q3 * q;
        const q3x4 = 4 * q3;
        const ax = props[pa + P_MXX];
        const axy = props[pa + P_MXY];
        const ay = props[pa + P_MYY];
        const bx = props[pb + P_MXX];
        const bxy = props[pb + P_MXY];
        const by = props[pb + P_MYY];
        // Z: n_a n_b q + (4 q^3 r^T M r - q^2 tr M) with M = n_b M_a + n_a M_b.
        const Mxx = nb * ax + na * bx;
        const Mxy = nb * axy + na * bxy;
        const Myy = nb * ay + na * by;
        sumQ += na * nb * q + q3x4 * (dx * dx * Mxx + 2 * dx * dy * Mxy + dy * dy * Myy) - q2 * (Mxx + Myy);
        const gx = q2 * dx;
        const gy = q2 * dy;
        const hxx = q2 - q3x4 * dx * dx;
        const hxy = -q3x4 * dx * dy;
        const hyy = q2 - q3x4 * dy * dy;
        const Txxx = q4x24 * dx * dx * dx - 3 * q3x4 * dx;
        const Txxy = q4x24 * dx * dx * dy - q3x4 * dy;
        const Txyy = q4x24 * dx * dy * dy - q3x4 * dx;
        const Tyyy = q4x24 * dy * dy * dy - 3 * q3x4 * dy;
        // Quadrupole of the source cell: 1/2 T : M_source (T is odd in r, so it flips sign for b).
        const oa = a * AS;
        const ob = b * AS;
        acc[oa] += nb * gx + 0.5 * (Txxx * bx + 2 * Txxy * bxy + Txyy * by);
        acc[oa + 1] += nb * gy + 0.5 * (Txxy * bx + 2 * Txyy * bxy + Tyyy * by);
        acc[oa + 2] += nb * hxx;
        acc[oa + 3] += nb * hxy;
        acc[oa + 4] += nb * hyy;
        acc[oa + 5] += nb * Txxx;
        acc[oa + 6] += nb * Txxy;
        acc[oa + 7] += nb * Txyy;
        acc[oa + 8] += nb * Tyyy;
        acc[ob] -= na * gx + 0.5 * (Txxx * ax + 2 * Txxy * axy + Txyy * ay);
        acc[ob + 1] -= na * gy + 0.5 * (Txxy * ax + 2 * Txyy * axy + Tyyy * ay);
        acc[ob + 2] += na * hxx;
        acc[ob + 3] += na * hxy;
        acc[ob + 4] += na * hyy;
        acc[ob + 5] -= na * Txxx;
        acc[ob + 6] -= na * Txxy;
        acc[ob + 7] -= na * Txyy;
        acc[ob + 8] -= na * Tyyy;
        cellPairs++;
        continue;
      }
      const leafA = info[ia + 2] === info[ia + 3];
      const leafB = info[ib + 2] === info[ib + 3];
      const sa = info[ia];
      const ea = info[ia + 1];
      const sb = info[ib];
      const eb = info[ib + 1];
      if ((leafA && leafB) || (ea - sa) * (eb - sb) <= DIRECT_PAIR_LIMIT) {
        for (let s = sa; s < ea; s++) {
          const xs = px[s];
          const ys = py[s];
          let ax = 0;
          let ay = 0;
          for (let t = sb; t < eb; t++) {
            const ex = xs - px[t];
            const ey = ys - py[t];
            const q = 1 / (1 + ex * ex + ey * ey);
            sumQ += q;
            const q2 = q * q;
            ax += q2 * ex;
            ay += q2 * ey;
            fx[t] -= q2 * ex;
            fy[t] -= q2 * ey;
          }
          fx[s] += ax;
          fy[s] += ay;
        }
        pointPairs += (ea - sa) * (eb - sb);
        continue;
      }
      // Split the larger cell (or the one that is not a leaf).
      if (leafB || (!leafA && ra >= rb)) {
        for (let c = info[ia + 2]; c < info[ia + 3]; c++) top = this.pushPair(top, childList[c], b);
      } else {
        for (let c = info[ib + 2]; c < info[ib + 3]; c++) top = this.pushPair(top, a, childList[c]);
      }
    }
    // Push local expansions down the tree (preorder: parents first), then evaluate at the points:
    // F(e) = F0 + J e + 1/2 T[e, e], translated to a child by J' = J + T e.
    const parent = this.parent;
    for (let node = 1; node < this.nodeCount; node++) {
      const p = parent[node];
      const ex = props[node * PS + P_CX] - props[p * PS + P_CX];
      const ey = props[node * PS + P_CY] - props[p * PS + P_CY];
      const o = node * AS;
      const op = p * AS;
      const pxxx = acc[op + 5];
      const pxxy = acc[op + 6];
      const pxyy = acc[op + 7];
      const pyyy = acc[op + 8];
      acc[o] += acc[op] + acc[op + 2] * ex + acc[op + 3] * ey + 0.5 * (pxxx * ex * ex + 2 * pxxy * ex * ey + pxyy * ey * ey);
      acc[o + 1] += acc[op + 1] + acc[op + 3] * ex + acc[op + 4] * ey + 0.5 * (pxxy * ex * ex + 2 * pxyy * ex * ey + pyyy * ey * ey);
      acc[o + 2] += acc[op + 2] + pxxx * ex + pxxy * ey;
      acc[o + 3] += acc[op + 3] + pxxy * ex + pxyy * ey;
      acc[o + 4] += acc[op + 4] + pxyy * ex + pyyy * ey;
      acc[o + 5] += pxxx;
      acc[o + 6] += pxxy;
      acc[o + 7] += pxyy;
      acc[o + 8] += pyyy;
    }
    for (let node = 0; node < this.nodeCount; node++) {
      const io = node * IS;
      if (info[io + 2] !== info[io + 3]) continue;
      const cx = props[node * PS + P_CX];
      const cy = props[node * PS + P_CY];
      const o = node * AS;
      const lx = acc[o];
      const ly = acc[o + 1];
      const a = acc[o + 2];
      const b = acc[o + 3];
      const c = acc[o + 4];
      const t0 = 0.5 * acc[o + 5];
      const t1 = 0.5 * acc[o + 6];
      const t2 = 0.5 * acc[o + 7];
      const t3 = 0.5 * acc[o + 8];
      const e = info[io + 1];
      for (let s = info[io]; s < e; s++) {
        const ex = px[s] - cx;
        const ey = py[s] - cy;
        fx[s] += lx + a * ex + b * ey + t0 * ex * ex + 2 * t1 * ex * ey + t2 * ey * ey;
        fy[s] += ly + b * ex + c * ey + t1 * ex * ex + 2 * t2 * ex * ey + t3 * ey * ey;
      }
    }
    const perm = this.perm;
    for (let s = 0; s < n; s++) {
      const i = perm[s];
      rep[2 * i] = fx[s];
      rep[2 * i + 1] = fy[s];
    }
    this.stats = { cellPairs, pointPairs, nodes: this.nodeCount };
    return { sumQ: 2 * sumQ };
  }
}

/** Spreads the low 16 bits of v to the even bit positions. */
function interleave(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}
