// A second thread for t-SNE, through SharedArrayBuffers and Atomics (pure TS: Node worker_threads or
// Web Workers). The helper takes half of the neighbour search (blocked kNN tiles, or half the rows of
// each stage of the approximate search), then, every iteration, the repulsion
// (the tree walk) while the t-SNE thread computes the attraction and the update: on two cores an
// iteration costs max(repulsion, attraction) instead of their sum.
//
// Protocol: the t-SNE thread writes a command code and bumps SEQ; the helper, blocked in
// Atomics.wait on SEQ, runs it and stores the sequence number in DONE. A helper that never starts or
// fails is not fatal: the t-SNE thread then does the work itself.
import { blockedTiles, paddedRows, type BlockedKnnHelper, type BlockedRows, type RowHeaps } from './knn.ts';
import { buildForest, DEFAULT_APPROX, FOREST_STAGE, runApproxStage, usesSharedForest, type ApproxKnnHelper, type ApproxKnnOptions, type ApproxShared, type RpTree } from './knn-approx.ts';
import { DualTreeRepulsion, repulsionExact } from './repulsion.ts';

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
const CMD_REPULSION = 3;
const CMD_KNN_APPROX = 4;

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
  forest: SharedArrayBuffer; // Int32 x 3 N x FOREST_TREES: the approximate search's trees (order, leaf start, leaf end)
}

/** Trees the shared forest storage holds (the approximate search's default). */
const FOREST_TREES = DEFAULT_APPROX.trees;

/** ~ (16 N + 8 N dim + 24 N k + 96 N) bytes: 27 MB for 10,000 x 50 with k = 90, 187 MB for 70,000. */
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
    forest: new SharedArrayBuffer(FOREST_TREES * 3 * n * 4),
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
  };
}

/** The approximate search's shared storage for k neighbours (k <= the buffers' k). */
function approxViews(b: HelperBuffers, k: number): ApproxShared {
  const len = b.n * k;
  return {
    rows: { n: b.n, dim: b.dim, x: new Float64Array(b.rowsX, 0, b.n * b.dim) },
    graphs: [
      { indices: new Int32Array(b.heapIndex, 0, len), distances: new Float64Array(b.heapDist, 0, len) },
      { indices: new Int32Array(b.graphIndex, 0, len), distances: new Float64Array(b.graphDist, 0, len) },
    ],
    forest: Array.from({ length: FOREST_TREES }, (_, t) => ({
      order: new Int32Array(b.forest, (3 * t) * b.n * 4, b.n),
      leafStart: new Int32Array(b.forest, (3 * t + 1) * b.n * 4, b.n),
      leafEnd: new Int32Array(b.forest, (3 * t + 2) * b.n * 4, b.n),
    })),
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
  let forest: RpTree[] | null = null;
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
        const shared = approxViews(buffers, k);
        const seed = v.scalars[2];
        // Half the trees built into shared storage by each thread; or, without room for them, the
        // whole forest (the same seed gives the same forest as the t-SNE thread's).
        if (stage === -1) forest = usesSharedForest(shared, options) ? shared.forest!.slice(0, options.trees) : buildForest(shared.rows, options, seed);
        if (stage !== FOREST_STAGE || usesSharedForest(shared, options)) runApproxStage(shared, forest, stage, k, options, [1, 2], undefined, seed);
      } else if (cmd === CMD_REPULSION) {
        if (Atomics.load(ctrl, EXACT)) v.scalars[0] = repulsionExact(v.y, buffers.n, v.rep).sumQ;
        else {
          tree ??= new DualTreeRepulsion(buffers.n, v.scalars[1]);
          v.scalars[0] = tree.compute(v.y, v.rep).sumQ;
        }
      }
    } catch {
      Atomics.store(ctrl, FAILED, 1);
    }
    Atomics.store(ctrl, DONE, seen);
    Atomics.notify(ctrl, DONE);
  }
}

/** The t-SNE thread's side of the link. */
export class HelperLink implements BlockedKnnHelper, ApproxKnnHelper {
  private readonly v: ReturnType<typeof views>;
  private alive = true;

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
  approxShared(n: number, dim: number, k: number): ApproxShared {
    if (n !== this.buffers.n || dim !== this.buffers.dim || k > this.buffers.k) throw new Error('helper buffers do not match the data');
    return approxViews(this.buffers, k);
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

  // Repulsion
  get usable(): boolean {
    return this.alive;
  }

  startRepulsion(y: Float64Array, theta: number, exact: boolean): void {
    this.v.y.set(y);
    this.v.scalars[1] = theta;
    Atomics.store(this.v.control, EXACT, exact ? 1 : 0);
    this.command(CMD_REPULSION);
  }

  /** Copies the helper's result into rep and returns Z, or null if the helper failed (compute it here). */
  finishRepulsion(rep: Float64Array): number | null {
    if (!this.finished()) return null;
    rep.set(this.v.rep);
    return this.v.scalars[0];
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
