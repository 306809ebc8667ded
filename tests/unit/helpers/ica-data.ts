// Generated data for identifiability: sources conditionally independent given an observed segment u
// (a Gaussian per source with its own mean and spread in every segment), pushed through a random
// invertible MLP (leaky ReLU layers, full-rank weights) and a sigmoid into 4x4 "images" in [0, 1],
// as in the iVAE paper's simulations (Khemakhem et al. 2020, §6).
import { mulberry32 } from '../../../models/random.ts';

export interface IcaData {
  /** n x 16 pixel values in [0, 1] */
  x: Float32Array;
  /** n x sources */
  sources: Float32Array;
  /** segment per row */
  u: Int32Array;
  n: number;
}

export interface IcaDataOptions {
  n: number;
  sources: number;
  segments: number;
  seed: number;
  /** segment means are drawn from U(−meanRange, meanRange); 0: centered sources (absent: 2) */
  meanRange?: number;
  /** segment standard deviations are drawn from U(lo, hi) (absent: [0.2, 2]) */
  sdRange?: [number, number];
}

export function icaData(opts: IcaDataOptions): IcaData {
  const { n, sources: p, segments, seed } = opts;
  const meanRange = opts.meanRange ?? 2;
  const [sdLo, sdHi] = opts.sdRange ?? [0.2, 2];
  const D = 16;
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const means = Array.from({ length: segments * p }, () => meanRange * (2 * rand() - 1));
  const sds = Array.from({ length: segments * p }, () => sdLo + (sdHi - sdLo) * rand());
  const layer = (rows: number, cols: number) => Array.from({ length: rows * cols }, () => gauss() / Math.sqrt(cols));
  const w1 = layer(D, p);
  const w2 = layer(D, D);
  const w3 = layer(D, D);
  const leaky = (v: number) => (v > 0 ? v : 0.2 * v);
  const x = new Float32Array(n * D);
  const sources = new Float32Array(n * p);
  const u = new Int32Array(n);
  const pre = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const seg = Math.floor(rand() * segments);
    u[i] = seg;
    const z = Array.from({ length: p }, (_, j) => means[seg * p + j] + sds[seg * p + j] * gauss());
    z.forEach((v, j) => (sources[i * p + j] = v));
    const h1 = Array.from({ length: D }, (_, r) => leaky(z.reduce((a, v, j) => a + w1[r * p + j] * v, 0)));
    const h2 = Array.from({ length: D }, (_, r) => leaky(h1.reduce((a, v, j) => a + w2[r * D + j] * v, 0)));
    for (let r = 0; r < D; r++) pre[i * D + r] = h2.reduce((a, v, j) => a + w3[r * D + j] * v, 0);
  }
  // scale each pixel's pre-activation to unit spread so the sigmoid neither saturates nor stays linear
  for (let r = 0; r < D; r++) {
    let m = 0;
    let s = 0;
    for (let i = 0; i < n; i++) m += pre[i * D + r] / n;
    for (let i = 0; i < n; i++) s += (pre[i * D + r] - m) ** 2 / n;
    const sd = Math.sqrt(s) || 1;
    for (let i = 0; i < n; i++) x[i * D + r] = 1 / (1 + Math.exp(-(pre[i * D + r] - m) / sd));
  }
  return { x, sources, u, n };
}
