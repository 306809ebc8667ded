// t-SNE (van der Maaten & Hinton 2008) with sparse kNN input affinities and tree-accelerated
// repulsion (van der Maaten 2014), following scikit-learn's optimiser settings: PCA initialisation
// scaled to std 1e-4, early exaggeration 12 for 250 iterations at momentum 0.5, then momentum 0.8,
// gains (+0.2 / x0.8, min 0.01), learning rate 'auto' = max(N / exaggeration / 4, 50).
//
// Pure TS over typed arrays with no Node imports: runs in-process (tests, CLI), in a Node
// worker_thread (tsne-runner.ts) or in a Web Worker.
import { mulberry32 } from '../random.ts';
import { CancelledError } from '../../contract/errors.ts';
import { conditionalAffinities, conditionalAffinitiesShared, symmetrise, symmetriseShared, type JointP } from './affinities.ts';
import { knnAll } from './knn.ts';
import { approxOptionsFor, knnApproxInStorageOrder, knnApproxShared } from './knn-approx.ts';
import { pca } from './pca.ts';
import { DualTreeRepulsion, repulsionExact } from './repulsion.ts';
import { addSecondPart, attraction, attractionSplit, helperShare, MAX_HELPER_SHARE, repulsionWork, type RepulsionWork } from './attraction.ts';
import type { HelperLink } from './tsne-parallel.ts';

export interface TsneOptions {
  perplexity: number;
  iterations: number;
  seed: number;
  /** Accuracy of the tree repulsion: two cells interact as wholes when (r_a + r_b) < theta sqrt(1 + distance^2). Default defaultTheta(N): 0.5, 0.6 from LARGE_THETA_MIN_POINTS. */
  theta?: number;
  /** Exact O(N^2) repulsion instead of the tree (reference; only for small N). */
  exact?: boolean;
  learningRate?: number | 'auto';
  earlyExaggeration?: number;
  exaggerationIterations?: number;
  init?: 'pca' | 'random';
  /**
   * Input neighbours: 'exact' (VP tree or blocked brute force), 'approximate' (random-projection
   * forest + NN-descent, knn-approx.ts) or 'auto' (default): approximate from APPROX_MIN_POINTS on.
   */
  neighbours?: 'auto' | 'exact' | 'approximate';
  /** Minimum time between two progress frames (the first and last frames are always sent). */
  frameIntervalMs?: number;
}

/** Where the steps of one phase (early exaggeration, or the rest) spent their time, summed. */
export interface TsnePhaseTimings {
  iterations: number;
  /** Whole steps, on the t-SNE thread. */
  stepMs: number;
  /** The t-SNE thread's attraction (P's first rows). */
  attractionMs: number;
  /** The repulsion and the attraction of P's last rows: on the helper thread if there is one. */
  repulsionMs: number;
  secondAttractionMs: number;
  /** The t-SNE thread waiting for the helper. */
  waitMs: number;
  /** Sum over steps of the share of P's pairs in the second part. */
  share: number;
}

export function emptyPhaseTimings(): TsnePhaseTimings {
  return { iterations: 0, stepMs: 0, attractionMs: 0, repulsionMs: 0, secondAttractionMs: 0, waitMs: 0, share: 0 };
}

export interface TsneFrame {
  /** 0 = the initial layout (sent before the neighbour search), then 1..iterations (the first after FIRST_FRAME_ITERATIONS). */
  iteration: number;
  iterations: number;
  /** N x 2 layout, row-major. */
  coords: Float32Array;
  /** KL(P||Q) of the sparse P at this iteration (with the tree's estimate of Q's normaliser); only
   * on about one frame a second (it costs a log per pair) and always on the final frame. */
  kl?: number;
  done: boolean;
  /** On the final frame: where the iterations' time went (benchmarks print it). */
  timings?: { exaggeration: TsnePhaseTimings; optimisation: TsnePhaseTimings };
}

/** At 10,000 digits: 10-NN accuracy as with exact gradients (0.952), final KL within 3% of theirs. */
export const DEFAULT_THETA = 0.5;
/**
 * From this many points the default theta is LARGE_THETA: at 70,000 Fashion-MNIST points theta 0.6
 * gave the same 10-NN accuracy as 0.5 (0.8408 vs 0.8405, scikit-learn 0.843) for 13% less CPU
 * (the repulsion's late iterations ~25% cheaper); below it iterations are fast enough already.
 */
export const LARGE_THETA_MIN_POINTS = 40_000;
export const LARGE_THETA = 0.6;

/** The tree repulsion's theta when the options give none. */
export function defaultTheta(n: number): number {
  return n >= LARGE_THETA_MIN_POINTS ? LARGE_THETA : DEFAULT_THETA;
}
export const DEFAULT_FRAME_INTERVAL_MS = 100;
/** From this many points 'auto' uses approximate neighbours (same 10-NN accuracy measured, see README). */
export const APPROX_MIN_POINTS = 5000;

/** Whether a run with these options and N uses approximate neighbours. */
export function usesApproximateNeighbours(n: number, options: Pick<TsneOptions, 'neighbours'>): boolean {
  const mode = options.neighbours ?? 'auto';
  return mode === 'approximate' || (mode === 'auto' && n >= APPROX_MIN_POINTS);
}
const KL_INTERVAL_MS = 1000;
/** The first frame after the start is sent after this many iterations, whatever frameIntervalMs says. */
export const FIRST_FRAME_ITERATIONS = 10;

/** Something with an `aborted` flag: an AbortSignal, or a plain object in a worker. */
export interface StopFlag {
  readonly aborted: boolean;
}


/** Number of neighbours used for the input affinities: 3 x perplexity, at most N - 1. */
export function neighbourCount(n: number, perplexity: number): number {
  return Math.min(n - 1, Math.max(1, Math.floor(3 * perplexity)));
}

/** Throws a RangeError with a readable reason when the input or options cannot work. */
export function validateTsneInput(data: ArrayLike<number>, n: number, dim: number, options: TsneOptions): void {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`t-SNE needs at least 2 points (got ${n})`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`t-SNE needs vectors of at least 1 dimension (got ${dim})`);
  if (data.length !== n * dim) throw new RangeError(`t-SNE: data has ${data.length} values, expected ${n} x ${dim} = ${n * dim}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new RangeError(`t-SNE: value ${i % dim} of row ${Math.floor(i / dim)} is not a finite number`);
  }
  const { perplexity, iterations, seed } = options;
  if (!(perplexity > 0) || !Number.isFinite(perplexity)) throw new RangeError(`perplexity must be a positive number (got ${perplexity})`);
  if (perplexity >= neighbourCount(n, perplexity)) {
    throw new RangeError(`perplexity ${perplexity} is too large for ${n} points: it must be below ${neighbourCount(n, perplexity)} (at most (N - 1) / 3 is advisable)`);
  }
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`iterations must be a non-negative integer (got ${iterations})`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a number (got ${seed})`);
  if (options.theta !== undefined && !(options.theta >= 0)) throw new RangeError(`theta must be >= 0 (got ${options.theta})`);
  if (options.neighbours !== undefined && !['auto', 'exact', 'approximate'].includes(options.neighbours)) throw new RangeError(`neighbours must be auto, exact or approximate (got ${options.neighbours})`);
}

/**
 * The starting layout (N x 2): PCA of the input scaled to std 1e-4 on the first axis (scikit-learn's
 * init='pca'), or N(0, 1e-4^2) with init 'random' (also for 1-D or constant input). Cheap (~30 ms at
 * 10,000 x 50), so a runner can show it before the worker has even started.
 */
export function initialLayout(data: ArrayLike<number>, n: number, dim: number, options: TsneOptions): Float64Array {
  const y = new Float64Array(2 * n);
  let scale = 0;
  if ((options.init ?? 'pca') === 'pca' && dim >= 2) {
    const { projected } = pca(data, n, dim, 2);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += projected[2 * i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (projected[2 * i] - mean) ** 2;
    const std = Math.sqrt(variance / n);
    if (std > 0) {
      scale = 1e-4 / std;
      for (let i = 0; i < 2 * n; i++) y[i] = projected[i] * scale;
    }
  }
  if (scale === 0) {
    const rand = mulberry32(options.seed);
    for (let i = 0; i < 2 * n; i += 2) {
      // Box-Muller
      const u = Math.max(rand(), 1e-300);
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u)) * 1e-4;
      y[i] = r * Math.cos(2 * Math.PI * v);
      y[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
  }
  return y;
}

/**
 * Where a run's starting layout comes from when another thread computes it (the runner's, which
 * shows it at once): called once, when prepare() needs it; must return initialLayout(data, ...).
 */
export type InitialLayoutSource = () => Float64Array;

/** One t-SNE run, stepped from outside so that callers can interleave progress and cancellation. */
export class TsneOptimizer {
  readonly n: number;
  readonly iterations: number;
  /** Current layout, N x 2, in storage order (the input's, or the one prepare() chose; coords() maps back). */
  readonly y: Float64Array;
  iteration = 0;
  P: JointP | null = null;
  /** Z of the last step (sum of unnormalised q over ordered pairs). */
  lastSumQ = 0;
  /** Storage position -> input point, once prepare() has reordered the points (null: input order). */
  private order: Int32Array | null = null;
  private readonly update: Float64Array;
  private readonly gains: Float64Array;
  private readonly grad: Float64Array;
  private readonly rep: Float64Array;
  /** The attraction of P's rows [split, N) when this thread computes it (attraction.ts). */
  private readonly secondPart: Float64Array;
  /** The last repulsion's work, which decides the next split of the attraction. */
  private work: RepulsionWork | null = null;
  /** Where the time of the steps went, per phase (for benchmarks). */
  readonly timings = { exaggeration: emptyPhaseTimings(), optimisation: emptyPhaseTimings() };
  private readonly tree: DualTreeRepulsion | null;
  private readonly learningRate: number;
  private readonly theta: number;
  private readonly exaggeration: number;
  private readonly exaggerationIterations: number;
  private pEntropyTerm = 0; // sum over ordered pairs of P log P

  /**
   * `helper`: a second thread (tsne-parallel.ts) for half the neighbour search, the calibration and
   * the repulsion; the results are the same as without it. `initial`: the starting layout from
   * elsewhere, taken in prepare() (y is all zeros until then); by default it is computed here, at once.
   */
  constructor(
    private readonly data: ArrayLike<number>,
    n: number,
    private readonly dim: number,
    readonly options: TsneOptions,
    private readonly helper: HelperLink | null = null,
    private initial: InitialLayoutSource | null = null,
  ) {
    validateTsneInput(data, n, dim, options);
    this.n = n;
    this.iterations = options.iterations;
    this.y = new Float64Array(2 * n);
    this.update = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.grad = new Float64Array(2 * n);
    this.rep = new Float64Array(2 * n);
    this.secondPart = new Float64Array(2 * n);
    this.exaggeration = options.earlyExaggeration ?? 12;
    this.exaggerationIterations = Math.min(options.exaggerationIterations ?? 250, options.iterations);
    const lr = options.learningRate ?? 'auto';
    this.learningRate = lr === 'auto' ? Math.max(n / this.exaggeration / 4, 50) : lr;
    this.theta = options.theta ?? defaultTheta(n);
    this.tree = options.exact ? null : new DualTreeRepulsion(n, this.theta);
    if (!initial) this.y.set(initialLayout(this.data, n, dim, options));
  }

  /** The kNN search and perplexity calibration (the slow part before the first iteration). */
  prepare(signal?: StopFlag): void {
    const { n } = this;
    const { perplexity, seed } = this.options;
    const k = neighbourCount(n, perplexity);
    // A helper still starting gets a moment: it halves the neighbour search.
    const helper = this.helper?.ready(1000) ? this.helper : undefined;
    // The approximate search leaves its result in its own storage order (neighbours close together
    // in memory); the points are kept in that order from now on (coords() maps back).
    const knn = !usesApproximateNeighbours(n, this.options)
      ? knnAll(this.data, n, this.dim, k, seed, signal, 'auto', helper)
      : helper
        ? knnApproxShared(this.data, n, this.dim, k, seed, signal, helper, approxOptionsFor(n))
        : knnApproxInStorageOrder(this.data, n, this.dim, k, seed, signal, approxOptionsFor(n));
    if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
    const cond = helper?.usable ? conditionalAffinitiesShared(knn, perplexity, helper) : conditionalAffinities(knn, perplexity);
    const P = helper?.usable ? symmetriseShared(cond, helper) : symmetrise(cond);
    let h = 0;
    for (let t = 0; t < P.values.length; t++) {
      const p = P.values[t];
      if (p > 0) h += 2 * p * Math.log(p);
    }
    this.pEntropyTerm = h;
    this.P = P;
    if (this.initial) {
      this.y.set(this.initial());
      this.initial = null;
    }
    if (knn.storageOrder) this.storeInOrder(knn.storageOrder);
    this.helper?.shareAttraction(P, attractionSplit(P, n, MAX_HELPER_SHARE));
  }

  /**
   * Stores the points in `order` from now on (coords() maps back), so that the attraction's reads
   * and writes of a point's neighbours stay close in memory: at 70,000 points y and the gradient no
   * longer fit in a core's cache.
   */
  private storeInOrder(order: Int32Array): void {
    const { n, y } = this;
    const old = Float64Array.from(y);
    for (let p = 0; p < n; p++) {
      y[2 * p] = old[2 * order[p]];
      y[2 * p + 1] = old[2 * order[p] + 1];
    }
    this.order = order;
  }

  /** One gradient-descent iteration. Returns KL(P||Q) at the positions before the step if asked. */
  step(withKl = false): number | undefined {
    const P = this.P;
    if (!P) throw new Error('t-SNE: prepare() must run before step()');
    const { n, y, grad, rep, update, gains } = this;
    const it = this.iteration;
    const exaggerating = it < this.exaggerationIterations;
    const exaggeration = exaggerating ? this.exaggeration : 1;
    const momentum = exaggerating ? 0.5 : 0.8;
    if (it === this.exaggerationIterations && it > 0) {
      // scikit-learn restarts the optimiser state between the two phases.
      update.fill(0);
      gains.fill(1);
    }
    // The helper thread, if any, computes the repulsion and the attraction of P's last rows while
    // this thread computes the attraction of the first rows; without it this thread does all three,
    // with the same split and sums (attraction.ts), hence the same layout. Where to cut follows the
    // previous repulsion's work, a count that does not depend on the threads either.
    const t0 = now();
    const split = attractionSplit(P, n, helperShare(P.rowStart[n], n, this.work));
    const helper = this.helper?.usable && this.helper.ready(0) ? this.helper : null;
    if (helper) helper.startGradient(y, this.theta, this.options.exact ?? false, split, withKl);
    grad.fill(0);
    let crossTerm = attraction(P, y, 0, split, grad, withKl); // sum over ordered pairs of P log(1 + d^2), for the KL
    const t1 = now();
    const shared = helper ? helper.finishGradient(rep) : null;
    const t2 = now();
    const phase = exaggerating ? this.timings.exaggeration : this.timings.optimisation;
    let sumQ: number;
    let part: Float64Array;
    if (shared) {
      sumQ = shared.sumQ;
      part = shared.part;
      crossTerm += shared.cross;
      this.work = shared.work;
      phase.repulsionMs += shared.repulsionMs;
      phase.secondAttractionMs += shared.attractionMs;
      phase.waitMs += t2 - t1;
    } else {
      sumQ = this.tree ? this.tree.compute(y, rep).sumQ : repulsionExact(y, n, rep).sumQ;
      this.work = repulsionWork(this.tree, n);
      const t3 = now();
      part = this.secondPart;
      part.fill(0, 2 * split);
      crossTerm += attraction(P, y, split, n, part, withKl);
      phase.repulsionMs += t3 - t2;
      phase.secondAttractionMs += now() - t3;
    }
    phase.iterations++;
    phase.attractionMs += t1 - t0;
    phase.share += (P.rowStart[n] - P.rowStart[split]) / Math.max(1, P.rowStart[n]);
    addSecondPart(grad, part, split);
    this.lastSumQ = sumQ;
    const invZ = 1 / Math.max(sumQ, 1e-300);
    const lr = this.learningRate;
    for (let c = 0; c < 2 * n; c++) {
      const g = 4 * (exaggeration * grad[c] - rep[c] * invZ);
      const u = update[c];
      let gain = gains[c];
      gain = u * g < 0 ? gain + 0.2 : gain * 0.8;
      if (gain < 0.01) gain = 0.01;
      gains[c] = gain;
      const nu = momentum * u - lr * gain * g;
      update[c] = nu;
      y[c] += nu;
    }
    this.iteration++;
    phase.stepMs += now() - t0;
    return withKl ? this.pEntropyTerm + crossTerm + Math.log(sumQ) : undefined;
  }

  /** The layout (N x 2) in the input's point order. */
  coords(): Float32Array {
    const { order, y } = this;
    if (!order) return Float32Array.from(y);
    const out = new Float32Array(2 * this.n);
    for (let p = 0; p < this.n; p++) {
      out[2 * order[p]] = y[2 * p];
      out[2 * order[p] + 1] = y[2 * p + 1];
    }
    return out;
  }
}

/**
 * Runs t-SNE in the calling thread. onFrame receives the initial layout at once (unless `initial`
 * gives it from elsewhere), then a frame after
 * FIRST_FRAME_ITERATIONS iterations and at most every frameIntervalMs after that, then the final layout (done: true). Throws a CancelledError when signal aborts.
 */
export function tsne(
  data: ArrayLike<number>,
  n: number,
  dim: number,
  options: TsneOptions,
  onFrame?: (frame: TsneFrame) => void,
  signal?: StopFlag,
  helper?: HelperLink,
  initial?: InitialLayoutSource,
): Float32Array {
  const interval = options.frameIntervalMs ?? DEFAULT_FRAME_INTERVAL_MS;
  const opt = new TsneOptimizer(data, n, dim, options, helper ?? null, initial ?? null);
  const total = opt.iterations;
  // With `initial`, whoever computes the starting layout shows it.
  if (!initial) onFrame?.({ iteration: 0, iterations: total, coords: opt.coords(), done: false });
  if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
  opt.prepare(signal);
  let last = now();
  let lastKl = -Infinity;
  let kl: number | undefined;
  for (let it = 1; it <= total; it++) {
    if (signal?.aborted) throw new CancelledError('t-SNE cancelled');
    const isLast = it === total;
    const t = now();
    // The first optimised layout goes out after a few iterations, not a whole interval later.
    const due = onFrame !== undefined && (isLast || it === FIRST_FRAME_ITERATIONS || t - last >= interval);
    // The KL costs a log per pair: at most once a second (and at the end), not with every frame.
    const withKl = due && (isLast || t - lastKl >= KL_INTERVAL_MS);
    kl = opt.step(withKl);
    if (withKl) lastKl = t;
    if (due && !isLast) {
      onFrame({ iteration: it, iterations: total, coords: opt.coords(), kl, done: false });
      last = now();
    }
  }
  const coords = opt.coords();
  onFrame?.({ iteration: total, iterations: total, coords, kl, done: true, timings: opt.timings });
  return coords;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
