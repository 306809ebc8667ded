// A second thread for t-SNE, through SharedArrayBuffers and Atomics (pure TS: Node worker_threads or
// Web Workers). The helper takes half of the neighbour search (blocked kNN tiles, or half the rows of
// each stage of the approximate search), then, every iteration, the repulsion (the tree walk) and
// the attraction of P's last rows while the t-SNE thread computes the attraction of its first rows,
// then the update: the rows are cut so that both threads finish together (attraction.ts).
//
// Protocol: the t-SNE thread writes a command code and bumps SEQ; the helper, blocked in
// Atomics.wait on SEQ, runs it and stores the sequence number in DONE. A helper that never starts or
// fails is not fatal: the t-SNE thread then does the work itself.
import { blockedTiles, paddedRows, type BlockedKnnHelper, type BlockedRows, type RowHeaps } from './knn.ts';
import { approxRowsOver, DEFAULT_APPROX, runApproxStage, type ApproxKnnHelper, type ApproxKnnOptions, type ApproxShared } from './knn-approx.ts';
import { calibrateRows, symmetriseRows, type CalibrationHelper, type CalibrationShared, type ConditionalP, type SymmetriseHelper } from './affinities.ts';
import { DualTreeRepulsion, repulsionExact } from './repulsion.ts';
import { attraction, repulsionWork, type AttractionRows, type RepulsionWork } from './attraction.ts';

const SEQ = 0;
const CMD = 1;
const DONE = 2;
const READY = 3;
const FAILED = 4;
const EXACT = 5;
const K = 6;
// The approximate search's stage and options.
const STAGE = 7;
const TREES = 8;
const LEAF = 9;
const ROUNDS = 10;
const JOIN = 11;

const CMD_EXIT = 1;
const CMD_KNN = 2;
const CMD_KNN_APPROX = 4;
// Preparation commands numbered apart from the others (see the calibration section below).
const CMD_CALIBRATE = 21;
const CMD_SYMMETRISE = 22;
/** One iteration's share: the repulsion, then the attraction of P's last rows (attraction.ts). */
const CMD_GRADIENT = 16;

// The gradient command's state (Float64 slots of HelperBuffers.gradientState).
const G_FROM = 0; // first row of the helper's share of the attraction (N: none)
const G_KL = 1; // 1: also the share's KL cross term
const G_CROSS = 2; // result: the share's KL cross term
const G_CELLS = 3; // result: the repulsion's work (RepulsionWork)
const G_POINTS = 4;
const G_REPULSION_MS = 5; // result: time spent on the repulsion, then on the share of the attraction
const G_ATTRACTION_MS = 6;

/** How long the t-SNE thread waits for one helper command before doing the work itself. */
const COMMAND_TIMEOUT_MS = 20_000;

/** Everything the two threads share; plain SharedArrayBuffers, so it can be posted to both workers. */
export interface HelperBuffers {
  n: number;
  dim: number;
  k: number;
  control: SharedArrayBuffer; // Int32 x 16
  scalars: SharedArrayBuffer; // Float64 x 3: Z of the last repulsion, theta, the approximate search's seed
  y: SharedArrayBuffer; // Float64 x 2N
  rep: SharedArrayBuffer; // Float64 x 2N
  rowsX: SharedArrayBuffer; // Float64 x padded N x dim
  norms: SharedArrayBuffer; // Float64 x padded N
  heapDist: SharedArrayBuffer; // Float64 x N k
  heapIndex: SharedArrayBuffer; // Int32 x N k
  heapSize: SharedArrayBuffer; // Int32 x N
  graphDist: SharedArrayBuffer; // Float64 x N k: the approximate search's second graph (heapDist/heapIndex hold the first)
  graphIndex: SharedArrayBuffer; // Int32 x N k
  forest: SharedArrayBuffer; // Int32 x (3 N x FOREST_TREES + N): the approximate search's trees (order, leaf start, leaf end), then its storage order
  calibration: SharedArrayBuffer; // Float64 x (2 N + PREP_SLOTS): betas, entropies, then the preparation's scalars (PREP_*)
  // The helper's share of the attraction: P's last rows (from HelperLink.shareAttraction), its gradient.
  gradientState: SharedArrayBuffer; // Float64 x 8 (G_*)
  pairRows: SharedArrayBuffer; // Int32 x N + 1: row starts, counted from the first shared row's
  pairJ: SharedArrayBuffer; // Int32 x N k (the symmetric P has at most N k pairs)
  pairP: SharedArrayBuffer; // Float64 x N k
  attraction: SharedArrayBuffer; // Float64 x 2N
}

/** Trees the shared forest storage holds (the approximate search's default). */
const FOREST_TREES = DEFAULT_APPROX.trees;

/**
 * ~ (16 N + 8 N dim + 24 N k + 116 N) bytes: 27 MB for 10,000 x 50 with k = 90, 189 MB for 70,000;
 * plus up to 12 N k + 20 N for the attraction's share (only the pairs it holds are touched).
 */
export function createHelperBuffers(n: number, dim: number, k: number): HelperBuffers {
  const padded = paddedRows(n);
  return {
    n,
    dim,
    k,
    control: new SharedArrayBuffer(16 * 4),
    scalars: new SharedArrayBuffer(3 * 8),
    y: new SharedArrayBuffer(2 * n * 8),
    rep: new SharedArrayBuffer(2 * n * 8),
    rowsX: new SharedArrayBuffer(padded * dim * 8),
    norms: new SharedArrayBuffer(padded * 8),
    heapDist: new SharedArrayBuffer(n * k * 8),
    heapIndex: new SharedArrayBuffer(n * k * 4),
    heapSize: new SharedArrayBuffer(n * 4),
    graphDist: new SharedArrayBuffer(n * k * 8),
    graphIndex: new SharedArrayBuffer(n * k * 4),
    forest: new SharedArrayBuffer((FOREST_TREES * 3 + 1) * n * 4),
    calibration: new SharedArrayBuffer((2 * n + PREP_SLOTS) * 8),
    gradientState: new SharedArrayBuffer(8 * 8),
    pairRows: new SharedArrayBuffer((n + 1) * 4),
    pairJ: new SharedArrayBuffer(n * k * 4),
    pairP: new SharedArrayBuffer(n * k * 8),
    attraction: new SharedArrayBuffer(2 * n * 8),
  };
}

function views(b: HelperBuffers) {
  return {
    control: new Int32Array(b.control),
    scalars: new Float64Array(b.scalars),
    y: new Float64Array(b.y),
    rep: new Float64Array(b.rep),
    rows: { n: b.n, dim: b.dim, padded: paddedRows(b.n), x: new Float64Array(b.rowsX), norms: new Float64Array(b.norms) } as BlockedRows,
    heaps: { k: b.k, dist: new Float64Array(b.heapDist), index: new Int32Array(b.heapIndex), size: new Int32Array(b.heapSize) } as RowHeaps,
    gradientState: new Float64Array(b.gradientState),
    pairs: { rowStart: new Int32Array(b.pairRows), rowJ: new Int32Array(b.pairJ), values: new Float64Array(b.pairP) } as AttractionRows,
    attraction: new Float64Array(b.attraction),
  };
}

/** The approximate search's shared storage for k neighbours (k <= the buffers' k). */
function approxViews(b: HelperBuffers, k: number): ApproxShared {
  const len = b.n * k;
  return {
    rows: approxRowsOver(b.n, b.dim, b.rowsX),
    graphs: [
      { indices: new Int32Array(b.heapIndex, 0, len), distances: new Float64Array(b.heapDist, 0, len) },
      { indices: new Int32Array(b.graphIndex, 0, len), distances: new Float64Array(b.graphDist, 0, len) },
    ],
    forest: Array.from({ length: FOREST_TREES }, (_, t) => ({
      order: new Int32Array(b.forest, (3 * t) * b.n * 4, b.n),
      leafStart: new Int32Array(b.forest, (3 * t + 1) * b.n * 4, b.n),
      leafEnd: new Int32Array(b.forest, (3 * t + 2) * b.n * 4, b.n),
    })),
    storageOrder: new Int32Array(b.forest, 3 * FOREST_TREES * b.n * 4, b.n),
  };
}

function approxOptions(ctrl: Int32Array): ApproxKnnOptions {
  return { trees: Atomics.load(ctrl, TREES), leafSize: Atomics.load(ctrl, LEAF), rounds: Atomics.load(ctrl, ROUNDS), joinWidth: Atomics.load(ctrl, JOIN) };
}

/** The helper thread's loop: blocks between commands, returns on exit. */
export function serveHelper(buffers: HelperBuffers): void {
  const v = views(buffers);
  const ctrl = v.control;
  let tree: DualTreeRepulsion | null = null;
  // Buffers are new for every run (SEQ starts at 0): a command posted before this thread started,
  // such as an exit from a t-SNE thread that stopped waiting for it, is seen at once.
  let seen = 0;
  Atomics.store(ctrl, READY, 1);
  Atomics.notify(ctrl, READY);
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    seen = Atomics.load(ctrl, SEQ);
    const cmd = Atomics.load(ctrl, CMD);
    if (cmd === CMD_EXIT) return;
    try {
      if (cmd === CMD_KNN) {
        const k = Atomics.load(ctrl, K);
        blockedTiles(v.rows, { ...v.heaps, k }, [1, 2]);
      } else if (cmd === CMD_KNN_APPROX) {
        const k = Atomics.load(ctrl, K);
        const stage = Atomics.load(ctrl, STAGE);
        const options = approxOptions(ctrl);
        runApproxStage(approxViews(buffers, k), stage, k, options, [1, 2], undefined, v.scalars[2]);
      } else if (cmd === CMD_CALIBRATE) {
        serveCalibration(buffers);
      } else if (cmd === CMD_SYMMETRISE) {
        serveSymmetrise(buffers);
      } else if (cmd === CMD_GRADIENT) {
        const start = performance.now();
        const exact = Atomics.load(ctrl, EXACT) === 1;
        if (exact) v.scalars[0] = repulsionExact(v.y, buffers.n, v.rep).sumQ;
        else {
          tree ??= new DualTreeRepulsion(buffers.n, v.scalars[1]);
          v.scalars[0] = tree.compute(v.y, v.rep).sumQ;
        }
        const g = v.gradientState;
        const work = repulsionWork(exact ? null : tree, buffers.n);
        g[G_CELLS] = work.cellPairs;
        g[G_POINTS] = work.pointPairs;
        const middle = performance.now();
        const from = g[G_FROM];
        v.attraction.fill(0, 2 * from);
        g[G_CROSS] = attraction(v.pairs, v.y, from, buffers.n, v.attraction, g[G_KL] === 1);
        g[G_REPULSION_MS] = middle - start;
        g[G_ATTRACTION_MS] = performance.now() - middle;
      }
    } catch {
      Atomics.store(ctrl, FAILED, 1);
    }
    Atomics.store(ctrl, DONE, seen);
    Atomics.notify(ctrl, DONE);
  }
}

/** What the helper's gradient command gives back (HelperLink.finishGradient). */
export interface HelperGradient {
  /** Z of the repulsion (rep is copied out). */
  sumQ: number;
  /** The attraction of the helper's rows, non-zero from their first row on; valid until the next command. */
  part: Float64Array;
  /** Those rows' share of the KL cross term (0 unless asked). */
  cross: number;
  work: RepulsionWork;
  repulsionMs: number;
  attractionMs: number;
}

/** The t-SNE thread's side of the link. */
export class HelperLink implements BlockedKnnHelper, ApproxKnnHelper, CalibrationHelper, SymmetriseHelper {
  private readonly v: ReturnType<typeof views>;
  private alive = true;
  /** First row of P the helper holds (shareAttraction), -1 before. */
  private sharedFrom = -1;

  constructor(readonly buffers: HelperBuffers) {
    this.v = views(buffers);
  }

  /** Waits up to timeoutMs for the helper to start; false if it has not (or has failed). */
  ready(timeoutMs: number): boolean {
    if (!this.alive) return false;
    const ctrl = this.v.control;
    if (Atomics.load(ctrl, READY) !== 1) Atomics.wait(ctrl, READY, 0, timeoutMs);
    return Atomics.load(ctrl, READY) === 1 && Atomics.load(ctrl, FAILED) === 0;
  }

  private command(code: number): void {
    const ctrl = this.v.control;
    Atomics.store(ctrl, CMD, code);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
  }

  /** Waits for the last command; false (and the link is dropped) if the helper failed or timed out. */
  private finished(): boolean {
    const ctrl = this.v.control;
    const target = Atomics.load(ctrl, SEQ);
    const deadline = Date.now() + COMMAND_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done === target) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.alive = false;
        return false;
      }
      Atomics.wait(ctrl, DONE, done, left);
    }
    if (Atomics.load(ctrl, FAILED) !== 0) {
      this.alive = false;
      return false;
    }
    return true;
  }

  // Blocked kNN (BlockedKnnHelper)
  blockedRows(n: number, dim: number): BlockedRows {
    if (n !== this.buffers.n || dim !== this.buffers.dim) throw new Error('helper buffers do not match the data');
    return this.v.rows;
  }

  startBlockedTiles(k: number): void {
    if (k > this.buffers.k) throw new Error('helper buffers sized for fewer neighbours');
    Atomics.store(this.v.control, K, k);
    this.command(CMD_KNN);
  }

  finishBlockedTiles(): RowHeaps | null {
    if (!this.finished()) return null;
    return { ...this.v.heaps, k: Atomics.load(this.v.control, K) };
  }

  // Approximate kNN (ApproxKnnHelper)
  approxShared(n: number, dim: number, k: number, trees: number): ApproxShared | null {
    if (n !== this.buffers.n || dim !== this.buffers.dim || k > this.buffers.k) throw new Error('helper buffers do not match the data');
    return trees <= FOREST_TREES ? approxViews(this.buffers, k) : null;
  }

  startApproxStage(stage: number, k: number, options: ApproxKnnOptions, seed: number): void {
    const ctrl = this.v.control;
    Atomics.store(ctrl, K, k);
    Atomics.store(ctrl, STAGE, stage);
    Atomics.store(ctrl, TREES, options.trees);
    Atomics.store(ctrl, LEAF, options.leafSize);
    Atomics.store(ctrl, ROUNDS, options.rounds);
    Atomics.store(ctrl, JOIN, options.joinWidth);
    this.v.scalars[2] = seed;
    this.command(CMD_KNN_APPROX);
  }

  finishApproxStage(): boolean {
    return this.finished();
  }

  // Perplexity calibration (CalibrationHelper)
  calibrationShared(n: number, k: number, distances: Float64Array): CalibrationShared | null {
    const b = this.buffers;
    if (n !== b.n || k > b.k) return null;
    // The distances stay where the approximate search left them, in one graph buffer (else they are
    // copied into the first); the values go into the other.
    const inGraph = distances.buffer === b.graphDist ? 1 : 0;
    const len = n * k;
    const source = new Float64Array(inGraph ? b.graphDist : b.heapDist, 0, len);
    if (distances.buffer !== source.buffer) source.set(distances.subarray(0, len));
    const c = new Float64Array(b.calibration);
    c[2 * n + PREP_DISTANCES_IN_GRAPH] = inGraph;
    return { distances: source, values: new Float64Array(inGraph ? b.heapDist : b.graphDist, 0, len), betas: c.subarray(0, n), entropies: c.subarray(n, 2 * n) };
  }

  startCalibration(k: number, perplexity: number): void {
    const c = new Float64Array(this.buffers.calibration);
    c[2 * this.buffers.n + PREP_PERPLEXITY] = perplexity;
    c[2 * this.buffers.n + PREP_K] = k;
    this.command(CMD_CALIBRATE);
  }

  finishCalibration(): boolean {
    return this.finished();
  }

  // Symmetrising P (SymmetriseHelper)
  symmetriseShared(cond: ConditionalP): { cols: Int32Array; vals: Float64Array; counts: Int32Array } | null {
    const b = this.buffers;
    const { k, indices, values } = cond;
    const n = indices.length / k;
    if (n !== b.n || k > b.k || indices.byteOffset !== 0 || values.byteOffset !== 0) return null;
    // The helper reads P_cond where the search and the calibration left it; the pairs go into the
    // other graph buffers, the row counts where the first tree was (no longer needed).
    const indicesIn = indices.buffer === b.heapIndex ? 0 : indices.buffer === b.graphIndex ? 1 : -1;
    const valuesIn = values.buffer === b.heapDist ? 0 : values.buffer === b.graphDist ? 1 : -1;
    if (indicesIn < 0 || valuesIn < 0) return null;
    const c = new Float64Array(b.calibration);
    c[2 * n + PREP_K] = k;
    c[2 * n + PREP_INDICES_IN_GRAPH] = indicesIn;
    c[2 * n + PREP_VALUES_IN_GRAPH] = valuesIn;
    return symmetriseViews(b, k, indicesIn, valuesIn);
  }

  startSymmetrise(from: number): void {
    new Float64Array(this.buffers.calibration)[2 * this.buffers.n + PREP_FROM_ROW] = from;
    this.command(CMD_SYMMETRISE);
  }

  finishSymmetrise(): number | null {
    if (!this.finished()) return null;
    return new Float64Array(this.buffers.calibration)[2 * this.buffers.n + PREP_PAIRS];
  }

  /** False once the helper failed or timed out (the t-SNE thread then works alone). */
  get usable(): boolean {
    return this.alive;
  }

  // Repulsion and a share of the attraction (attraction.ts)
  /** Copies P's rows [from, N) for the helper (once, after P is known; later shares may start later). */
  shareAttraction(P: AttractionRows, from: number): void {
    const n = this.buffers.n;
    const base = P.rowStart[from];
    const { rowStart, rowJ, values } = this.v.pairs;
    // Cannot happen (the symmetric P has at most N k pairs), but would only cost the helper.
    if (P.rowStart[n] - base > rowJ.length) {
      this.alive = false;
      return;
    }
    for (let i = from; i <= n; i++) rowStart[i] = P.rowStart[i] - base;
    rowJ.set(P.rowJ.subarray(base, P.rowStart[n]));
    values.set(P.values.subarray(base, P.rowStart[n]));
    this.sharedFrom = from;
  }

  /** Starts the repulsion and the attraction of rows [from, N) (from >= the first row shareAttraction copied). */
  startGradient(y: Float64Array, theta: number, exact: boolean, from: number, withKl: boolean): void {
    if (this.sharedFrom < 0 || from < this.sharedFrom) throw new Error('helper holds fewer rows of P');
    const g = this.v.gradientState;
    g[G_FROM] = from;
    g[G_KL] = withKl ? 1 : 0;
    this.v.y.set(y);
    this.v.scalars[1] = theta;
    Atomics.store(this.v.control, EXACT, exact ? 1 : 0);
    this.command(CMD_GRADIENT);
  }

  /**
   * Copies the repulsion into rep; returns Z, the share's gradient (valid from its first row on,
   * until the next command) and KL cross term, the repulsion's work and the helper's times, or null
   * if the helper failed (compute them here).
   */
  finishGradient(rep: Float64Array): HelperGradient | null {
    if (!this.finished()) return null;
    rep.set(this.v.rep);
    const g = this.v.gradientState;
    return {
      sumQ: this.v.scalars[0],
      part: this.v.attraction,
      cross: g[G_CROSS],
      work: { cellPairs: g[G_CELLS], pointPairs: g[G_POINTS] },
      repulsionMs: g[G_REPULSION_MS],
      attractionMs: g[G_ATTRACTION_MS],
    };
  }

  close(): void {
    this.command(CMD_EXIT);
    this.alive = false;
  }

  /** For the runner when the helper worker dies: wakes a waiting t-SNE thread, which then works alone. */
  static markFailed(buffers: HelperBuffers): void {
    const ctrl = new Int32Array(buffers.control);
    Atomics.store(ctrl, FAILED, 1);
    Atomics.store(ctrl, DONE, Atomics.load(ctrl, SEQ));
    Atomics.notify(ctrl, DONE);
    Atomics.notify(ctrl, READY);
  }
}

// The preparation's scalars, after the betas and entropies in HelperBuffers.calibration.
const PREP_PERPLEXITY = 0;
const PREP_K = 1;
const PREP_DISTANCES_IN_GRAPH = 2;
const PREP_INDICES_IN_GRAPH = 3;
const PREP_VALUES_IN_GRAPH = 4;
const PREP_FROM_ROW = 5;
const PREP_PAIRS = 6;
const PREP_SLOTS = 7;

/** The helper's share of the perplexity calibration (rows i % 2 === 1), as the t-SNE thread set it up. */
function serveCalibration(b: HelperBuffers): void {
  const c = new Float64Array(b.calibration);
  const n = b.n;
  const perplexity = c[2 * n + PREP_PERPLEXITY];
  const k = c[2 * n + PREP_K];
  const inGraph = c[2 * n + PREP_DISTANCES_IN_GRAPH] === 1;
  const len = n * k;
  const distances = new Float64Array(inGraph ? b.graphDist : b.heapDist, 0, len);
  const values = new Float64Array(inGraph ? b.heapDist : b.graphDist, 0, len);
  calibrateRows(distances, k, n, perplexity, values, c.subarray(0, n), c.subarray(n, 2 * n), [1, 2]);
}

/** Where symmetrising reads P_cond and writes its pairs and row counts (see HelperLink.symmetriseShared). */
function symmetriseViews(b: HelperBuffers, k: number, indicesIn: number, valuesIn: number) {
  const len = b.n * k;
  return {
    indices: new Int32Array(indicesIn ? b.graphIndex : b.heapIndex, 0, len),
    values: new Float64Array(valuesIn ? b.graphDist : b.heapDist, 0, len),
    cols: new Int32Array(indicesIn ? b.heapIndex : b.graphIndex, 0, len),
    vals: new Float64Array(valuesIn ? b.heapDist : b.graphDist, 0, len),
    counts: new Int32Array(b.forest, 0, b.n),
  };
}

/** The helper's share of symmetrising P (the last rows, written backwards from the end). */
function serveSymmetrise(b: HelperBuffers): void {
  const c = new Float64Array(b.calibration);
  const n = b.n;
  const k = c[2 * n + PREP_K];
  const v = symmetriseViews(b, k, c[2 * n + PREP_INDICES_IN_GRAPH], c[2 * n + PREP_VALUES_IN_GRAPH]);
  c[2 * n + PREP_PAIRS] = symmetriseRows(v.indices, v.values, k, c[2 * n + PREP_FROM_ROW], n, v.cols, v.vals, v.counts, true);
}
