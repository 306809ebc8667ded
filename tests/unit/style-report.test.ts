// The style report and style directions on tiny hand-made models whose answers are known: a "decoder"
// that draws a bar (z0 shears it, z1 widens it, z2 does nothing, z3 is the class part and widens it a
// lot) and a "classifier" that reads the class off the bar's ink (area > threshold: class 1).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from './helpers/tf.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import type { StyleProbe } from '../../electron/engine/explorer/style-report.ts';
import { classStartCodes, klPerDimension, probeOfModel, styleDimensionReport, sweepStyleVector } from '../../electron/engine/explorer/style-report.ts';
import { latentVector, styleDirection } from '../../electron/engine/explorer/style-direction.ts';

const SIZE = 28;
const H = 18;

/** A bar H px tall, w px wide (anti-aliased), its rows shifted by slant·(cy − y). Its ink is exactly H·w. */
function bar(w: number, slant: number): Uint8Array {
  const img = new Uint8Array(SIZE * SIZE);
  const y0 = Math.round((SIZE - H) / 2);
  const cy = y0 + (H - 1) / 2;
  const x0 = (SIZE - w) / 2;
  for (let y = y0; y < y0 + H; y++) {
    const shift = slant * (cy - y);
    for (let x = 0; x < SIZE; x++) {
      const a = Math.max(x, x0 + shift);
      const b = Math.min(x + 1, x0 + shift + w);
      if (b > a) img[y * SIZE + x] = Math.round(255 * (b - a));
    }
  }
  return img;
}

/** latent 4 = style 3 (z0 slant, z1 width, z2 unused) + class 1 (z3); class 1 when the bar is wider than `threshold`. */
function barModel(threshold = 8.5): StyleProbe & { decoded: number } {
  const probe = {
    latent: 4,
    style: 3,
    classes: 2,
    size: SIZE,
    channels: 1,
    decoded: 0,
    async decode(z: Float32Array, count: number) {
      probe.decoded += count;
      const out = new Uint8Array(count * SIZE * SIZE);
      for (let i = 0; i < count; i++) out.set(bar(8 + 2 * z[i * 4 + 1] + 3 * z[i * 4 + 3], 0.25 * z[i * 4]), i * SIZE * SIZE);
      return out;
    },
    async classify(pixels: Uint8Array, count: number) {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        let ink = 0;
        for (let p = 0; p < SIZE * SIZE; p++) ink += pixels[i * SIZE * SIZE + p] / 255;
        out[i] = ink / H > threshold ? 1 : 0;
      }
      return out;
    },
    async encode(): Promise<never> {
      throw new Error('not used: the tests pass encodings');
    },
  };
  return probe;
}

const R2 = Math.SQRT2;
/** Four encoded images, two per class: z0 = ±1 and z1 = ±√2 around 0 within each class, z2 = 0, z3 = ∓1; log-variances 0. */
const encodings = {
  means: Float32Array.from([1, R2, 0, -1, -1, -R2, 0, -1, 1, -R2, 0, 1, -1, R2, 0, 1]),
  logVars: new Float32Array(16),
  labels: Int32Array.from([0, 0, 1, 1]),
  count: 4,
};

describe('style dimension report (hand-made model)', () => {
  it('gives each dimension its KL, from the posterior means and variances', () => {
    const kl = klPerDimension(encodings, 4);
    expect(kl[0]).toBeCloseTo(0.5, 6); // ½(μ² + σ² − 1 − log σ²) with μ = ±1, σ = 1
    expect(kl[1]).toBeCloseTo(1.0, 6);
    expect(kl[2]).toBe(0);
  });

  it('starts the sweeps from each class mean encoding', () => {
    const { codes, classes } = classStartCodes(encodings, 4, 2);
    expect(classes).toEqual([0, 1]);
    expect(Array.from(codes)).toEqual([0, 0, 0, -1, 0, 0, 0, 1]);
  });

  it('sorts by KL, finds the widening dimension leaks into the class in both sweeps, the shearing one in none, and names them', async () => {
    const reports = await styleDimensionReport(barModel(), encodings, { range: 2, steps: 9 });
    expect(reports.map((r) => r.dim)).toEqual([1, 0, 2]);
    const [width, slant, unused] = reports;
    // class 0 starts 5 px wide: +2 sd makes it 9 > 8.5; class 1 starts 11 px: −1.5 and −2 sd make it 8 and 7.
    expect(width.leakage).toBe(1);
    expect(width.leaks).toBe(true);
    expect(width.leakingClasses).toEqual([0, 1]);
    expect(width.imageLeakage).toBeCloseTo(3 / 18, 9);
    expect(width.suggestedName).toBe('width');
    expect(width.correlations.width).toBeGreaterThan(0.95);
    expect(slant.leakage).toBe(0);
    expect(slant.leaks).toBe(false);
    expect(slant.suggestedName).toBe('slant');
    expect(slant.correlation).toBeGreaterThan(0.95);
    expect(unused).toMatchObject({ dim: 2, kl: 0, active: false, leakage: 0, suggestedName: null, effect: 0 });
    expect(width.active && slant.active).toBe(true);
  });

  it('counts a sweep only when its class changes: with a higher threshold only class 1 leaks (1 of 2 sweeps)', async () => {
    const reports = await styleDimensionReport(barModel(10.25), encodings, { range: 2, steps: 9 });
    const width = reports.find((r) => r.dim === 1)!;
    // class 0: 5 + 2t never exceeds 10.25; class 1: 11 + 2t < 10.25 for t = −2, −1.5, −1, −0.5
    expect(width.leakage).toBe(0.5);
    expect(width.leakingClasses).toEqual([1]);
    expect(width.imageLeakage).toBeCloseTo(4 / 18, 9);
    // a narrower sweep (±0.3 sd: class 1 down to 10.4 px) changes no class
    const narrow = await styleDimensionReport(barModel(10.25), encodings, { range: 0.3, steps: 5 });
    expect(narrow.find((r) => r.dim === 1)!.leakage).toBe(0);
  });

  it('sweeps any vector of z^X: a direction along the shear keeps the class, one along the width does not', async () => {
    const probe = barModel();
    const starts = classStartCodes(encodings, 4, 2);
    expect((await sweepStyleVector(probe, starts, latentVector([1, 0, 0], 4))).leakage).toBe(0);
    expect((await sweepStyleVector(probe, starts, latentVector([0, 1, 0], 4))).leakage).toBe(1);
    // a unit vector half-way: width moves by 2·t/√2, class 0 reaches 5 + 2·2/√2 = 7.8 (no), class 1 down to 8.2 (yes)
    const diag = await sweepStyleVector(probe, starts, latentVector([Math.SQRT1_2, Math.SQRT1_2, 0], 4));
    expect(diag.leakingClasses).toEqual([1]);
  });
});

describe('style direction arithmetic', () => {
  // Two classes whose typical style differs along z^X_0 (class 0 at +1, class 1 at −1).
  const reference = { styles: Float32Array.from([1, 0, 1, 0, -1, 0, -1, 0]), classes: Int32Array.from([0, 0, 1, 1]), count: 4 };

  it('removes the part of the difference the groups\' classes explain', () => {
    // A: class-0 images at (1, 1); B: class-1 images at (−1, −1). Raw difference (2, 2), of which (2, 0) is the class.
    const d = styleDirection({
      reference,
      a: { styles: Float32Array.from([1, 1, 1, 1]), classes: Int32Array.from([0, 0]) },
      b: { styles: Float32Array.from([-1, -1]), classes: Int32Array.from([1]) },
      style: 2,
      numClasses: 2,
    });
    expect(Array.from(d.vector)).toEqual([0, 1]);
    expect(d.norm).toBeCloseTo(2, 6);
    expect(d.rawNorm).toBeCloseTo(Math.sqrt(8), 6);
    expect(d.classPart).toBeCloseTo(2 / Math.sqrt(8), 6);
    expect(d.at.a).toBeCloseTo(1, 6);
    expect(d.at.b).toBeCloseTo(-1, 6);
  });

  it('is the plain difference when both groups have the same classes', () => {
    const d = styleDirection({
      reference,
      a: { styles: Float32Array.from([1, 3, -1, 3]), classes: Int32Array.from([0, 1]) },
      b: { styles: Float32Array.from([1, -1, -1, -1]), classes: Int32Array.from([0, 1]) },
      style: 2,
      numClasses: 2,
    });
    expect(Array.from(d.vector)).toEqual([0, 1]);
    expect(d.norm).toBeCloseTo(4, 6);
    expect(d.classPart).toBeCloseTo(0, 6);
  });

  it('leaves images of unknown class uncentred and refuses groups with no style difference', () => {
    const d = styleDirection({
      reference,
      a: { styles: Float32Array.from([3, 0]), classes: Int32Array.from([-1]) },
      b: { styles: Float32Array.from([0, 0]), classes: Int32Array.from([-1]) },
      style: 2,
      numClasses: 2,
    });
    expect(Array.from(d.vector)).toEqual([1, 0]);
    expect(d.norm).toBeCloseTo(3, 6);
    // class 0 at +1 vs class 1 at −1: all of the difference is the class
    expect(() =>
      styleDirection({
        reference,
        a: { styles: Float32Array.from([1, 0]), classes: Int32Array.from([0]) },
        b: { styles: Float32Array.from([-1, 0]), classes: Int32Array.from([1]) },
        style: 2,
        numClasses: 2,
      }),
    ).toThrow(/same mean style/);
  });
});

describe('style report on a real (untrained) semi-supervised model', () => {
  beforeAll(async () => {
    await useWasm();
  });

  it('reports every style dimension of a VaeModel from labelled images and leaks no tensors', async () => {
    const model = VaeModel.create(defaultModelConfig({ objective: 'ssvae', latent: 8, style: 5, numClasses: 3, hidden: [16, 8], seed: 3 }));
    const count = 30;
    const pixels = new Uint8Array(count * 28 * 28);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 251;
    const images = { pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 3), count };
    const before = tf.memory().numTensors;
    const reports = await styleDimensionReport(model, images, { steps: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(reports.map((r) => r.dim).sort()).toEqual([0, 1, 2, 3, 4]);
    for (let i = 1; i < reports.length; i++) expect(reports[i - 1].kl).toBeGreaterThanOrEqual(reports[i].kl);
    for (const r of reports) {
      expect(r.leakage).toBeGreaterThanOrEqual(0);
      expect(r.leakage).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.correlations.slant)).toBe(true);
    }
    expect(probeOfModel(model).classes).toBe(3);
    model.dispose();
  });
});
