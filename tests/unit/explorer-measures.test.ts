// Style measures on synthetic images whose slant, width, height, stroke and balance are known,
// and the latent codes behind the manifold grid and the traversal sweeps.
import { describe, expect, it } from 'vitest';
import { measureStyle, pearson, skeletonLength } from '../../electron/engine/explorer/style-measures.ts';
import { suggestStyleNames } from '../../electron/engine/explorer/style-names.ts';
import { classMeanCodes, manifoldCodes, sweepValues, traversalCodes } from '../../electron/engine/explorer/grids.ts';
import { pickSorted } from '../../electron/engine/explorer/session.ts';

const SIZE = 28;

/** A parallelogram: rows y0..y1, each row's ink from x0 + shift(y) to x0 + w + shift(y), shift = slant·(cy − y). */
function bar({ w, h, slant = 0, size = SIZE }: { w: number; h: number; slant?: number; size?: number }): Uint8Array {
  const img = new Uint8Array(size * size);
  const y0 = Math.round((size - h) / 2);
  const cy = y0 + (h - 1) / 2;
  const x0 = (size - w) / 2;
  for (let y = y0; y < y0 + h; y++) {
    const shift = slant * (cy - y);
    for (let x = 0; x < size; x++) {
      // anti-aliased coverage of the pixel [x, x+1) by [x0 + shift, x0 + shift + w)
      const a = Math.max(x, x0 + shift);
      const b = Math.min(x + 1, x0 + shift + w);
      if (b > a) img[y * size + x] = Math.round(255 * (b - a));
    }
  }
  return img;
}

function rect(img: Uint8Array, x0: number, y0: number, w: number, h: number, size = SIZE): void {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) img[y * size + x] = 255;
}

describe('style measures', () => {
  it('measures width and height of an upright bar in pixels', () => {
    const m = measureStyle(bar({ w: 6, h: 20 }), SIZE);
    expect(m.width).toBeCloseTo(6, 0);
    expect(m.height).toBeCloseTo(20, 0);
    expect(Math.abs(m.slant)).toBeLessThan(0.02);
  });

  it('measures the shear of a slanted bar, right lean positive, and removes it from the width', () => {
    for (const s of [-0.4, -0.2, 0.2, 0.4]) {
      const m = measureStyle(bar({ w: 5, h: 20, slant: s }), SIZE);
      expect(m.slant).toBeCloseTo(s, 1);
      expect(m.width).toBeGreaterThan(4.3);
      expect(m.width).toBeLessThan(5.7);
    }
    // wider bars measure wider, by about the difference
    const narrow = measureStyle(bar({ w: 4, h: 18, slant: 0.3 }), SIZE).width;
    const wide = measureStyle(bar({ w: 10, h: 18, slant: 0.3 }), SIZE).width;
    expect(wide - narrow).toBeGreaterThan(5);
    expect(wide - narrow).toBeLessThan(7);
  });

  it('measures pen thickness as ink area per skeleton length', () => {
    for (const t of [1, 2, 3, 4]) {
      const img = new Uint8Array(SIZE * SIZE);
      rect(img, 4, 12, 20, t); // a horizontal stroke 20 px long, t px thick
      const m = measureStyle(img, SIZE);
      expect(m.thickness).toBeGreaterThan(t * 0.85);
      expect(m.thickness).toBeLessThan(t * 1.3);
    }
    // an L of two strokes 3 px thick
    const l = new Uint8Array(SIZE * SIZE);
    rect(l, 6, 4, 3, 20);
    rect(l, 6, 21, 16, 3);
    expect(measureStyle(l, SIZE).thickness).toBeGreaterThan(2.4);
    expect(measureStyle(l, SIZE).thickness).toBeLessThan(3.8);
  });

  it('thins a filled stroke to a one-pixel skeleton of about its length', () => {
    const img = new Uint8Array(SIZE * SIZE);
    rect(img, 4, 10, 20, 5);
    const length = skeletonLength(img, SIZE);
    expect(length).toBeGreaterThan(14);
    expect(length).toBeLessThanOrEqual(20);
  });

  it('tells a T (top-heavy) from an upside-down T', () => {
    const t = new Uint8Array(SIZE * SIZE);
    rect(t, 4, 4, 20, 4); // the bar on top
    rect(t, 12, 8, 4, 16);
    const inverted = new Uint8Array(SIZE * SIZE);
    rect(inverted, 12, 4, 4, 16);
    rect(inverted, 4, 20, 20, 4); // the bar at the bottom
    expect(measureStyle(t, SIZE).topHeaviness).toBeGreaterThan(0.1);
    expect(measureStyle(inverted, SIZE).topHeaviness).toBeLessThan(-0.1);
    expect(Math.abs(measureStyle(bar({ w: 6, h: 20 }), SIZE).topHeaviness)).toBeLessThan(0.03);
  });

  it('returns zeros for an empty image and averages RGB channels', () => {
    expect(measureStyle(new Uint8Array(SIZE * SIZE), SIZE)).toEqual({ slant: 0, width: 0, height: 0, thickness: 0, topHeaviness: 0 });
    const grey = bar({ w: 6, h: 20, slant: 0.3 });
    const rgb = new Uint8Array(grey.length * 3);
    grey.forEach((v, i) => rgb.fill(v, 3 * i, 3 * i + 3));
    expect(measureStyle(rgb, SIZE, 0, 3).slant).toBeCloseTo(measureStyle(grey, SIZE).slant, 5);
  });

  it('computes Pearson correlations', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 6);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 6);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBe(0);
  });
});

describe('style name suggestions', () => {
  // A fake "decoder" with two style dims: dim 0 shears a bar, dim 1 widens it; dim 2 does nothing.
  const decode = (z: Float32Array, count: number) => {
    const out = new Uint8Array(count * SIZE * SIZE);
    for (let i = 0; i < count; i++) {
      const slant = 0.25 * z[i * 4];
      const w = 6 + 1.5 * z[i * 4 + 1];
      out.set(bar({ w: Math.max(2, w), h: 18, slant }), i * SIZE * SIZE);
    }
    return out;
  };

  it('names a shearing dimension "slant", a widening one "width", and leaves an unused one unnamed', async () => {
    const reports = await suggestStyleNames({
      decode: async (z, count) => decode(z, count),
      latent: 4,
      style: 3,
      size: SIZE,
      channels: 1,
      classCodes: new Float32Array(2 * 4),
      classes: 2,
      range: 2,
      steps: 9,
    });
    expect(reports.map((r) => r.suggestion)).toEqual(['slant', 'width', null]);
    expect(reports[0].correlation).toBeGreaterThan(0.95);
    expect(reports[1].correlations.width).toBeGreaterThan(0.95);
    expect(reports[2].effect).toBe(0);
  });
});

describe('latent codes for the figures', () => {
  it('lays the manifold out with dims[0] left→right and dims[1] top = +range', () => {
    const base = Float32Array.from([0.5, 0.5, 0.5]);
    const z = manifoldCodes(3, [2, 0], 2, 5, base);
    expect(z.length).toBe(5 * 5 * 3);
    const at = (r: number, c: number) => Array.from(z.subarray((r * 5 + c) * 3, (r * 5 + c + 1) * 3));
    expect(at(0, 0)).toEqual([2, 0.5, -2]);
    expect(at(4, 4)).toEqual([-2, 0.5, 2]);
    expect(at(2, 2)).toEqual([0, 0.5, 0]);
  });

  it('sweeps each traversal dimension from −range to range with the others at the base', () => {
    const { z, values } = traversalCodes(2, [1, 0], 3, 1.5);
    expect(Array.from(values)).toEqual([-1.5, 0, 1.5]);
    expect(Array.from(z)).toEqual([0, -1.5, 0, 0, 0, 1.5, -1.5, 0, 0, 0, 1.5, 0]);
    expect(Array.from(sweepValues(2.5, 5))).toEqual([-2.5, -1.25, 0, 1.25, 2.5]);
  });

  it('rejects dimensions, ranges and sizes that cannot work, naming them', () => {
    expect(() => manifoldCodes(2, [0, 2], 2, 5)).toThrow(/dimension 2 does not exist/);
    expect(() => manifoldCodes(2, [0, 1], 2, 50)).toThrow(/grid must be/);
    expect(() => traversalCodes(2, [0], 5, -1)).toThrow(/range/);
    expect(() => manifoldCodes(2, [0, 1], 2, 5, new Float32Array(3))).toThrow(/base must be/);
  });

  it('averages codes per class and marks classes without images', () => {
    const means = Float32Array.from([1, 2, 3, 4, 10, 10]);
    const { means: m, counts } = classMeanCodes(means, Int32Array.from([0, 0, -1]), 2, 2);
    expect(Array.from(counts)).toEqual([2, 0]);
    expect(Array.from(m.subarray(0, 2))).toEqual([2, 3]);
    expect(Number.isNaN(m[2])).toBe(true);
  });

  it('caps a list with a seeded, ordered pick', () => {
    const list = Array.from({ length: 100 }, (_, i) => i * 2);
    const a = pickSorted(list, 10, 7);
    expect(a).toHaveLength(10);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(pickSorted(list, 10, 7)).toEqual(a);
    expect(new Set(a).size).toBe(10);
  });
});
