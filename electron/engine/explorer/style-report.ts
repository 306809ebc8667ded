// The style report of a semi-supervised model: for every style dimension z^X_d its KL, its class
// leakage and how the pixel measures (slant, width, height, thickness, top-heaviness) follow it, with
// the closest measure suggested as its name. Also sweeps any vector of z^X (a user's style direction).
//
// Leakage, precisely: for each class k, start from the class's mean encoding c_k (all dimensions, the
// mean of E[z|x] over the images labelled k), decode c_k + t·v for t evenly from −range to +range
// (prior sd; v = e_d for a dimension), re-encode every decoded image and take the class head's argmax.
// The sweep of class k leaks when any of its images gets a class other than its unmoved start (t = 0)
// gets. leakage = leaking sweeps / classes swept. The start's own class is the reference (not k), so a
// class whose mean image the model already misreads does not count against every dimension.
//
// Pure over a small "probe" (decode codes, classify images, encode images), so it runs on a run opened
// by the engine (LoadedRun), a bare VaeModel in an experiment script, or a hand-made model in a test.
import * as tf from '@tensorflow/tfjs';
import type { StyleMeasure } from '../../contract/explorer.ts';
import type { StyleDimensionReport, StyleSweepReport } from '../../contract/style.ts';
import { STYLE_ACTIVE_KL, STYLE_LEAK_THRESHOLD } from '../../contract/style.ts';
import type { VaeModel } from '../../../models/vae.ts';
import type { BinarizeMode } from '../../../models/pixels.ts';
import { pixelsToTensor, tensorToPixels } from '../../../models/pixels.ts';
import type { LoadedRun } from '../training/run-file.ts';
import { classMeanCodes, sweepValues } from './grids.ts';
import { MEASURE_NAMES, measureStyle, pearson } from './style-measures.ts';
import { assignSuggestedNames } from './style-names.ts';

export type { StyleDimensionReport, StyleSweepReport } from '../../contract/style.ts';

/** What the report needs of a model. Images are uint8 HWC (0..255), codes row-major [count, latent]. */
export interface StyleProbe {
  latent: number;
  /** The first `style` latent dimensions are z^X. */
  style: number;
  classes: number;
  size: number;
  channels: number;
  decode(z: Float32Array, count: number): Promise<Uint8Array>;
  /** The class head's argmax for each image (encoded as the model encodes its inputs). */
  classify(pixels: Uint8Array, count: number): Promise<Int32Array>;
  /** Posterior means and log-variances [count, latent]. */
  encode(pixels: Uint8Array, count: number): Promise<{ means: Float32Array; logVars: Float32Array }>;
}

/** Encoded images: posterior means and log-variances [count, latent] and labels (−1 = unlabelled). */
export interface StyleEncodings {
  means: Float32Array;
  logVars: Float32Array;
  labels: Int32Array;
  count: number;
}

/** Images with labels (an ImageSet or Dataset.images will do); `split` 1 = test. */
export interface LabelledImages {
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
  split?: Uint8Array;
}

export interface StyleReportOptions {
  /** Sweep ±range prior sd (default 2). */
  range?: number;
  /** Images per sweep, odd so t = 0 is among them (default 9). */
  steps?: number;
  /** Which images of `data` (images only) to encode: default the test split, else all. */
  indices?: ArrayLike<number>;
  /** Binarisation when `model` is a bare VaeModel (default: grey values). */
  binarize?: BinarizeMode;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_RANGE = 2;
const DEFAULT_STEPS = 9;
const ENCODE_CHUNK = 500;

/** A probe over a run the engine opened (binarisation as in its views). */
export function probeOfLoadedRun(loaded: LoadedRun): StyleProbe {
  const { model, dataset } = loaded.run;
  return {
    latent: model.latent,
    style: model.objective === 'ssvae' ? model.style : 0,
    classes: model.numClasses,
    size: dataset.size,
    channels: dataset.channels,
    decode: (z, count) => loaded.decode(z, count),
    // The sweeps' images are judged as the user sees them, grey, not binarised as training inputs are:
    // a stroke the binarisation would erase is still part of the digit on screen.
    classify: (pixels, count) => probeOfModel(loaded.model, 'off').classify(pixels, count),
    encode: (pixels, count) => loaded.encode(pixels, count),
  };
}

/** A probe over a bare model (experiments, tests): images binarised as `binarize` says before encoding. */
export function probeOfModel(model: VaeModel, binarize: BinarizeMode = 'off'): StyleProbe {
  const c = model.config;
  const toTensor = (pixels: Uint8Array, count: number) =>
    pixelsToTensor(pixels, Array.from({ length: count }, (_, i) => i), c.imageSize, c.channels, binarize);
  return {
    latent: c.latent,
    style: c.objective === 'ssvae' ? c.style : 0,
    classes: c.numClasses,
    size: c.imageSize,
    channels: c.channels,
    async decode(z, count) {
      const images = tf.tidy(() => model.decode(tf.tensor2d(z, [count, c.latent])));
      try {
        return await tensorToPixels(images);
      } finally {
        images.dispose();
      }
    },
    async classify(pixels, count) {
      const p = tf.tidy(() => model.classify(toTensor(pixels, count)));
      try {
        return argMaxRows((await p.data()) as Float32Array, count);
      } finally {
        p.dispose();
      }
    },
    async encode(pixels, count) {
      const x = toTensor(pixels, count);
      try {
        return await model.encodeValues(x);
      } finally {
        x.dispose();
      }
    },
  };
}

function isProbe(m: unknown): m is StyleProbe {
  return typeof (m as StyleProbe).classify === 'function' && typeof (m as StyleProbe).style === 'number';
}

function isLoadedRun(m: unknown): m is LoadedRun {
  return typeof (m as LoadedRun).dir === 'string' && (m as LoadedRun).run !== undefined;
}

function toProbe(model: StyleProbe | LoadedRun | VaeModel, binarize?: BinarizeMode): StyleProbe {
  if (isProbe(model)) return model;
  if (isLoadedRun(model)) return probeOfLoadedRun(model);
  return probeOfModel(model, binarize);
}

export function argMaxRows(p: ArrayLike<number>, count: number): Int32Array {
  const k = p.length / count;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** Encodes the chosen images (default: the test split, else all) in chunks. */
export async function encodeForReport(probe: StyleProbe, data: LabelledImages, indices?: ArrayLike<number>, signal?: AbortSignal): Promise<StyleEncodings> {
  let idx: ArrayLike<number> | undefined = indices;
  if (!idx) {
    const test: number[] = [];
    if (data.split) for (let i = 0; i < data.count; i++) if (data.split[i] === 1) test.push(i);
    idx = test.length ? test : Array.from({ length: data.count }, (_, i) => i);
  }
  const per = probe.size * probe.size * probe.channels;
  const L = probe.latent;
  const count = idx.length;
  const means = new Float32Array(count * L);
  const logVars = new Float32Array(count * L);
  for (let start = 0; start < count; start += ENCODE_CHUNK) {
    signal?.throwIfAborted();
    const n = Math.min(ENCODE_CHUNK, count - start);
    const chunk = new Uint8Array(n * per);
    for (let k = 0; k < n; k++) chunk.set(data.pixels.subarray(idx[start + k] * per, (idx[start + k] + 1) * per), k * per);
    const r = await probe.encode(chunk, n);
    means.set(r.means, start * L);
    logVars.set(r.logVars, start * L);
    await turn();
  }
  return { means, logVars, labels: Int32Array.from(idx, (i) => data.labels[i]), count };
}

/** Mean KL(q(z_j|x) || N(0,1)) per dimension over the encodings, nats. */
export function klPerDimension(enc: StyleEncodings, latent: number): number[] {
  const kl = new Float64Array(latent);
  for (let i = 0; i < enc.count; i++) {
    for (let j = 0; j < latent; j++) {
      const mu = enc.means[i * latent + j];
      const lv = enc.logVars[i * latent + j];
      kl[j] += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
    }
  }
  return Array.from(kl, (v) => v / Math.max(1, enc.count));
}

/** The start codes of the sweeps: each class's mean encoding (classes without labelled images left out). */
export function classStartCodes(enc: StyleEncodings, latent: number, classes: number): { codes: Float32Array; classes: number[] } {
  const { means } = classMeanCodes(enc.means, enc.labels, latent, classes);
  const present: number[] = [];
  for (let k = 0; k < classes; k++) if (!Number.isNaN(means[k * latent])) present.push(k);
  if (!present.length) throw new Error('no labelled images: the sweeps start from each class\'s mean encoding, and no class has one');
  const codes = new Float32Array(present.length * latent);
  present.forEach((k, r) => codes.set(means.subarray(k * latent, (k + 1) * latent), r * latent));
  return { codes, classes: present };
}

/**
 * Sweeps the codes starts[k] + t·vector (t from −range to range, `steps` values) for every start,
 * and measures class leakage and the pixel measures on the decoded images. `vector` has `latent` values.
 */
export async function sweepStyleVector(
  probe: StyleProbe,
  starts: { codes: Float32Array; classes: number[] },
  vector: ArrayLike<number>,
  opts: { range?: number; steps?: number } = {},
): Promise<StyleSweepReport> {
  const range = opts.range ?? DEFAULT_RANGE;
  const steps = opts.steps ?? DEFAULT_STEPS;
  if (!(range > 0) || !Number.isInteger(steps) || steps < 3) throw new Error('a sweep needs range > 0 and at least 3 steps');
  const L = probe.latent;
  const K = starts.classes.length;
  const values = sweepValues(range, steps);
  // The unmoved start is the reference: t = 0 is a step when steps is odd; else it is decoded too.
  const middle = steps % 2 === 1 ? (steps - 1) / 2 : -1;
  const perSweep = steps + (middle < 0 ? 1 : 0);
  const z = new Float32Array(K * perSweep * L);
  for (let k = 0; k < K; k++) {
    const start = starts.codes.subarray(k * L, (k + 1) * L);
    for (let s = 0; s < perSweep; s++) {
      const row = (k * perSweep + s) * L;
      z.set(start, row);
      const t = s < steps ? values[s] : 0;
      for (let j = 0; j < L; j++) z[row + j] += t * vector[j];
    }
  }
  const count = K * perSweep;
  const images = await probe.decode(z, count);
  const judged = await probe.classify(images, count);
  const per = probe.size * probe.size * probe.channels;

  const zero = (): Record<StyleMeasure, number> => ({ slant: 0, width: 0, height: 0, thickness: 0, topHeaviness: 0 });
  const correlations = zero();
  const changes = zero();
  const leakingClasses: number[] = [];
  let movedImages = 0;
  let effect = 0;
  for (let k = 0; k < K; k++) {
    const ref = judged[k * perSweep + (middle >= 0 ? middle : steps)];
    let leaked = false;
    const series: Record<StyleMeasure, number[]> = { slant: [], width: [], height: [], thickness: [], topHeaviness: [] };
    for (let s = 0; s < steps; s++) {
      if (judged[k * perSweep + s] !== ref) {
        leaked = true;
        movedImages++;
      }
      const m = measureStyle(images, probe.size, (k * perSweep + s) * per, probe.channels);
      for (const name of MEASURE_NAMES) series[name].push(m[name]);
    }
    if (leaked) leakingClasses.push(starts.classes[k]);
    for (const name of MEASURE_NAMES) {
      correlations[name] += pearson(values, series[name]) / K;
      changes[name] += (Math.max(...series[name]) - Math.min(...series[name])) / K;
    }
    const first = k * perSweep * per;
    const last = (k * perSweep + steps - 1) * per;
    let diff = 0;
    for (let p = 0; p < per; p++) diff += Math.abs(images[first + p] - images[last + p]);
    effect += diff / per / 255 / K;
  }
  let strongest: StyleMeasure = 'slant';
  for (const name of MEASURE_NAMES) if (Math.abs(correlations[name]) > Math.abs(correlations[strongest])) strongest = name;
  const leakage = leakingClasses.length / K;
  return {
    leakage,
    leaks: leakage > STYLE_LEAK_THRESHOLD,
    leakingClasses,
    imageLeakage: movedImages / (K * steps),
    correlations,
    changes,
    strongest,
    effect,
  };
}

/**
 * The report of every style dimension, sorted by KL (largest first):
 * `[{ dim, kl, active, leakage, leaks, leakingClasses, imageLeakage, correlations, changes, strongest,
 * effect, suggestedName, measure, correlation }]`.
 *
 * model: a LoadedRun, a bare VaeModel (options.binarize) or any StyleProbe.
 * data: encodings (means, log-variances, labels) when the caller has them, or labelled images to encode
 * (default: their test split).
 */
export async function styleDimensionReport(
  model: StyleProbe | LoadedRun | VaeModel,
  data: StyleEncodings | LabelledImages,
  opts: StyleReportOptions = {},
): Promise<StyleDimensionReport[]> {
  const probe = toProbe(model, opts.binarize);
  if (probe.style < 1) throw new Error('only a semi-supervised model has style dimensions (style = 0 here)');
  const enc = 'means' in data ? data : await encodeForReport(probe, data, opts.indices, opts.signal);
  const L = probe.latent;
  const kl = klPerDimension(enc, L);
  const starts = classStartCodes(enc, L, probe.classes);
  const reports: (StyleDimensionReport & { suggestion: string | null })[] = [];
  for (let d = 0; d < probe.style; d++) {
    opts.signal?.throwIfAborted();
    const vector = new Float32Array(L);
    vector[d] = 1;
    const sweep = await sweepStyleVector(probe, starts, vector, opts);
    reports.push({ dim: d, kl: kl[d], active: kl[d] > STYLE_ACTIVE_KL, ...sweep, suggestedName: null, suggestion: null, measure: null, correlation: 0 });
    opts.onProgress?.(d + 1, probe.style);
    await turn();
  }
  // Inactive dimensions do not compete for names: a dead dimension's sweep changes next to nothing.
  assignSuggestedNames(reports.filter((r) => r.active));
  return reports
    .map(({ suggestion, ...r }) => ({ ...r, suggestedName: suggestion }))
    .sort((a, b) => b.kl - a.kl || a.dim - b.dim);
}

/** Lets the event loop run (an engine answers other requests, a Cancel among them). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
