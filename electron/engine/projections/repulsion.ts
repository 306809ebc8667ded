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
  // Nodes (preorder: a parent always precedes its children).
  private capacity = 0;
  private nodeCount = 0;
  private start!: Int32Array;
  private end!: Int32Array;
  private parent!: Int32Array;
  /** Children of a node are childList[childBegin .. childEnd); a leaf has childBegin === childEnd. */
  private childBegin!: Int32Array;
  private childEnd!: Int32Array;
  private comX!: Float64Array;
  private comY!: Float64Array;
  private radius!: Float64Array;
  /** Second central moments of the points of a node (sum of dx^2, dx dy, dy^2). */
  private mxx!: Float64Array;
  private mxy!: Float64Array;
  private myy!: Float64Array;
  private locX!: Float64Array;
  private locY!: Float64Array;
  private jxx!: Float64Array;
  private jxy!: Float64Array;
  private jyy!: Float64Array;
  private txxx!: Float64Array;
  private txxy!: Float64Array;
  private txyy!: Float64Array;
  private tyyy!: Float64Array;
  private childList!: Int32Array;
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
    const copyI = (a: Int32Array | undefined) => {
      const b = new Int32Array(capacity);
      if (a) b.set(a.subarray(0, Math.min(a.length, capacity)));
      return b;
    };
    const copyF = (a: Float64Array | undefined) => {
      const b = new Float64Array(capacity);
      if (a) b.set(a.subarray(0, Math.min(a.length, capacity)));
      return b;
    };
    this.start = copyI(this.start);
    this.end = copyI(this.end);
    this.parent = copyI(this.parent);
    this.childBegin = copyI(this.childBegin);
    this.childEnd = copyI(this.childEnd);
    this.childList = copyI(this.childList);
    this.comX = copyF(this.comX);
    this.comY = copyF(this.comY);
    this.radius = copyF(this.radius);
    this.mxx = copyF(this.mxx);
    this.mxy = copyF(this.mxy);
    this.myy = copyF(this.myy);
    this.txxx = copyF(this.txxx);
    this.txxy = copyF(this.txxy);
    this.txyy = copyF(this.txyy);
    this.tyyy = copyF(this.tyyy);
    this.locX = copyF(this.locX);
    this.locY = copyF(this.locY);
    this.jxx = copyF(this.jxx);
    this.jxy = copyF(this.jxy);
    this.jyy = copyF(this.jyy);
    this.capacity = capacity;
  }

  /** Sorts points by Morton code (two 16-bit radix passes) into px/py. */
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
    this.start[id] = start;
    this.end[id] = end;
    this.parent[id] = parent;
    this.childBegin[id] = 0;
    this.childEnd[id] = 0;
    this.locX[id] = 0;
    this.locY[id] = 0;
    this.jxx[id] = 0;
    this.jxy[id] = 0;
    this.jyy[id] = 0;
    this.txxx[id] = 0;
    this.txxy[id] = 0;
    this.txyy[id] = 0;
    this.tyyy[id] = 0;
    return id;
  }

  /**
   * Centres of mass, second moments and radii, bottom-up (children have larger ids than parents).
   * Leaves are exact; a parent's radius is the bound max(|c_child - c| + r_child).
   */
  private summarise(): void {
    const { px, py, start, end, childBegin, childEnd, childList, comX, comY, radius, mxx, mxy, myy } = this;
    for (let node = this.nodeCount - 1; node >= 0; node--) {
      const cb = childBegin[node];
      const ce = childEnd[node];
      const s0 = start[node];
      const s1 = end[node];
      if (cb === ce) {
        let sx = 0;
        let sy = 0;
        for (let s = s0; s < s1; s++) {
          sx += px[s];
          sy += py[s];
        }
        const cx = sx / (s1 - s0);
        const cy = sy / (s1 - s0);
        let xx = 0;
        let xy = 0;
        let yy = 0;
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
        comX[node] = cx;
        comY[node] = cy;
        mxx[node] = xx;
        mxy[node] = xy;
        myy[node] = yy;
        radius[node] = Math.sqrt(r2);
        continue;
      }
      let sx = 0;
      let sy = 0;
      for (let c = cb; c < ce; c++) {
        const child = childList[c];
        const m = end[child] - start[child];
        sx += m * comX[child];
        sy += m * comY[child];
      }
      const cx = sx / (s1 - s0);
      const cy = sy / (s1 - s0);
      let xx = 0;
      let xy = 0;
      let yy = 0;
      let r = 0;
      for (let c = cb; c < ce; c++) {
        const child = childList[c];
        const m = end[child] - start[child];
        const dx = comX[child] - cx;
        const dy = comY[child] - cy;
        xx += mxx[child] + m * dx * dx;
        xy += mxy[child] + m * dx * dy;
        yy += myy[child] + m * dy * dy;
        const reach = Math.sqrt(dx * dx + dy * dy) + radius[child];
        if (reach > r) r = reach;
      }
      comX[node] = cx;
      comY[node] = cy;
      mxx[node] = xx;
      mxy[node] = xy;
      myy[node] = yy;
      radius[node] = r;
    }
  }

  /** Builds the tree in preorder over Morton-sorted points; single-child levels are skipped. */
  private build(): void {
    this.nodeCount = 0;
    this.childListLength = 0;
    const codes = this.codes;
    if (this.childList.length < 4 * this.capacity) this.childList = new Int32Array(4 * this.capacity);
    const root = this.newNode(0, this.n, -1);
    // Stack of (node, level) to split.
    const stackNode: number[] = [root];
    const stackLevel: number[] = [0];
    const bounds = new Int32Array(5);
    while (stackNode.length > 0) {
      const node = stackNode.pop()!;
      let level = stackLevel.pop()!;
      const start = this.start[node];
      const end = this.end[node];
      if (end - start <= LEAF_SIZE) continue;
      // Find the first level at which this range splits into more than one quadrant.
      let parts = 0;
      while (level < MAX_DEPTH) {
        const shift = 2 * (MAX_DEPTH - 1 - level);
        parts = 0;
        let prev = -1;
        for (let q = 0; q < 4; q++) bounds[q] = -1;
        // Ranges are sorted, so quadrant boundaries are found by binary search on the 2-bit digit.
        let s = start;
        while (s < end) {
          const digit = (codes[s] >>> shift) & 3;
          if (digit !== prev) {
            bounds[parts++] = s;
            prev = digit;
          }
          // Jump to the end of this digit's run.
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
      const first = this.childListLength;
      for (let c = 0; c < parts; c++) {
        const child = this.newNode(bounds[c], bounds[c + 1], node);
        this.childList[this.childListLength++] = child;
      }
      this.childBegin[node] = first;
      this.childEnd[node] = this.childListLength;
      for (let c = 0; c < parts; c++) {
        stackNode.push(this.childList[first + c]);
        stackLevel.push(level + 1);
      }
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
    const { px, py, fx, fy, start, end, childBegin, childEnd, childList, comX, comY, radius, mxx, mxy, myy } = this;
    const { locX, locY, jxx, jxy, jyy, txxx, txxy, txyy, tyyy } = this;
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
      if (a === b) {
        const cb = childBegin[a];
        const ce = childEnd[a];
        if (cb === ce) {
          // Leaf with itself: all pairs exactly.
          const e = end[a];
          for (let s = start[a]; s < e; s++) {
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
          const m = e - start[a];
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
      const dx = comX[a] - comX[b];
      const dy = comY[a] - comY[b];
      const d2 = dx * dx + dy * dy;
      const ra = radius[a];
      const rb = radius[b];
      const reach = ra + rb;
      const na = end[a] - start[a];
      const nb = end[b] - start[b];
      // The Taylor series of q around r converges within sqrt(1 + |r|^2) (q's poles are at |r|^2 = -1),
      // so that, not |r|, is the scale cells must be small against: a compact early layout is cheap.
      if (reach * reach < theta2 * (1 + d2)) {
        // Far apart: one interaction through the centres of mass, to second order. With r = c_a - c_b,
        // g = q^2 r, J = q^2 I - 4 q^3 r r^T, T_klm = 24 q^4 r_k r_l r_m - 4 q^3 (d_kl r_m + d_lm r_k + d_km r_l).
        const q = 1 / (1 + d2);
        const q2 = q * q;
        const q3 = q2 * q;
        const q4x24 = 24 * q3 * q;
        const q3x4 = 4 * q3;
        const ax = mxx[a];
        const axy = mxy[a];
        const ay = myy[a];
        const bx = mxx[b];
        const bxy = mxy[b];
        const by = myy[b];
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
        const qbx = 0.5 * (Txxx * bx + 2 * Txxy * bxy + Txyy * by);
        const qby = 0.5 * (Txxy * bx + 2 * Txyy * bxy + Tyyy * by);
        const qax = 0.5 * (Txxx * ax + 2 * Txxy * axy + Txyy * ay);
        const qay = 0.5 * (Txxy * ax + 2 * Txyy * axy + Tyyy * ay);
        locX[a] += nb * gx + qbx;
        locY[a] += nb * gy + qby;
        jxx[a] += nb * hxx;
        jxy[a] += nb * hxy;
        jyy[a] += nb * hyy;
        txxx[a] += nb * Txxx;
        txxy[a] += nb * Txxy;
        txyy[a] += nb * Txyy;
        tyyy[a] += nb * Tyyy;
        locX[b] -= na * gx + qax;
        locY[b] -= na * gy + qay;
        jxx[b] += na * hxx;
        jxy[b] += na * hxy;
        jyy[b] += na * hyy;
        txxx[b] -= na * Txxx;
        txxy[b] -= na * Txxy;
        txyy[b] -= na * Txyy;
        tyyy[b] -= na * Tyyy;
        cellPairs++;
        continue;
      }
      const leafA = childBegin[a] === childEnd[a];
      const leafB = childBegin[b] === childEnd[b];
      if ((leafA && leafB) || na * nb <= DIRECT_PAIR_LIMIT) {
        const ea = end[a];
        const sb = start[b];
        const eb = end[b];
        for (let s = start[a]; s < ea; s++) {
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
        pointPairs += na * nb;
        continue;
      }
      // Split the larger cell (or the one that is not a leaf).
      if (leafB || (!leafA && ra >= rb)) {
        for (let c = childBegin[a]; c < childEnd[a]; c++) top = this.pushPair(top, childList[c], b);
      } else {
        for (let c = childBegin[b]; c < childEnd[b]; c++) top = this.pushPair(top, a, childList[c]);
      }
    }
    // Push local expansions down the tree (preorder: parents first), then evaluate at the points:
    // F(e) = F0 + J e + 1/2 T[e, e], translated to a child by J' = J + T e.
    const parent = this.parent;
    for (let node = 1; node < this.nodeCount; node++) {
      const p = parent[node];
      const ex = comX[node] - comX[p];
      const ey = comY[node] - comY[p];
      const pxxx = txxx[p];
      const pxxy = txxy[p];
      const pxyy = txyy[p];
      const pyyy = tyyy[p];
      locX[node] += locX[p] + jxx[p] * ex + jxy[p] * ey + 0.5 * (pxxx * ex * ex + 2 * pxxy * ex * ey + pxyy * ey * ey);
      locY[node] += locY[p] + jxy[p] * ex + jyy[p] * ey + 0.5 * (pxxy * ex * ex + 2 * pxyy * ex * ey + pyyy * ey * ey);
      jxx[node] += jxx[p] + pxxx * ex + pxxy * ey;
      jxy[node] += jxy[p] + pxxy * ex + pxyy * ey;
      jyy[node] += jyy[p] + pxyy * ex + pyyy * ey;
      txxx[node] += pxxx;
      txxy[node] += pxxy;
      txyy[node] += pxyy;
      tyyy[node] += pyyy;
    }
    for (let node = 0; node < this.nodeCount; node++) {
      if (childBegin[node] !== childEnd[node]) continue;
      const cx = comX[node];
      const cy = comY[node];
      const lx = locX[node];
      const ly = locY[node];
      const a = jxx[node];
      const b = jxy[node];
      const c = jyy[node];
      const t0 = 0.5 * txxx[node];
      const t1 = 0.5 * txxy[node];
      const t2 = 0.5 * txyy[node];
      const t3 = 0.5 * tyyy[node];
      for (let s = start[node]; s < end[node]; s++) {
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
