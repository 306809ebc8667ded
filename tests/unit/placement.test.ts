// Placing new points on a layout, nearest neighbours of a query, and paths between two codes.
import { describe, expect, it } from 'vitest';
import { applyLinearLayout, pcaLayout, placeOnTsne, rawLayout } from '../../electron/engine/projections/placement.ts';
import { placeOnUmap } from '../../electron/engine/projections/umap-placement.ts';
import { umap } from '../../electron/engine/projections/umap.ts';
import { interpolate, nearestRows } from '../../electron/engine/projections/neighbours.ts';
import { knnBruteForce } from '../../electron/engine/projections/knn.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

/** Three Gaussian clusters in 10-D, and a "layout" that puts cluster c around (20 c, 0). */
function clusters(n: number, seed: number) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const dim = 10;
  const data = new Float32Array(n * dim);
  const layout = new Float32Array(2 * n);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    label[i] = c;
    for (let d = 0; d < dim; d++) data[i * dim + d] = (d === c ? 8 : 0) + gauss();
    layout[2 * i] = 20 * c + gauss();
    layout[2 * i + 1] = gauss();
  }
  return { data, layout, label, dim };
}

describe('placing new points', () => {
  it('puts new points of a cluster onto that cluster of a fixed t-SNE layout', () => {
    const ref = clusters(900, 1);
    const fresh = clusters(60, 2);
    const placed = placeOnTsne(ref.data, ref.layout, 900, fresh.data, 60, ref.dim, { perplexity: 20 });
    for (let i = 0; i < 60; i++) {
      expect(Math.abs(placed[2 * i] - 20 * fresh.label[i])).toBeLessThan(5);
      expect(Math.abs(placed[2 * i + 1])).toBeLessThan(5);
    }
  });

  it('places a copy of an old point next to it, and without steps at its neighbours\' weighted mean', () => {
    const ref = clusters(600, 3);
    const copy = ref.data.slice(7 * ref.dim, 8 * ref.dim);
    const [x, y] = placeOnTsne(ref.data, ref.layout, 600, copy, 1, ref.dim, { perplexity: 10 });
    const spread = Math.hypot(x - ref.layout[14], y - ref.layout[15]);
    expect(spread).toBeLessThan(3);
    const start = placeOnTsne(ref.data, ref.layout, 600, copy, 1, ref.dim, { perplexity: 10, iterations: 0 });
    expect(Math.abs(start[0] - 20 * ref.label[7])).toBeLessThan(3);
  });

  it('puts new points on a fixed UMAP layout next to their latent neighbours\' positions, repeatably for a seed', () => {
    const ref = clusters(600, 6);
    const layout = umap(ref.data, 600, ref.dim, { seed: 1, epochs: 100 });
    // The size of a cluster on the map: mean distance of its points to its centre.
    let radius = 0;
    for (let c = 0; c < 3; c++) {
      let cx = 0;
      let cy = 0;
      for (let i = c; i < 600; i += 3) {
        cx += layout[2 * i] / 200;
        cy += layout[2 * i + 1] / 200;
      }
      for (let i = c; i < 600; i += 3) radius += Math.hypot(layout[2 * i] - cx, layout[2 * i + 1] - cy) / 600;
    }
    const fresh = clusters(60, 7);
    const options = { neighbours: 15, minDist: 0.1, epochs: 100, seed: 2 };
    const placed = placeOnUmap(ref.data, layout, 600, fresh.data, 60, ref.dim, options);
    expect(Array.from(placeOnUmap(ref.data, layout, 600, fresh.data, 60, ref.dim, options))).toEqual(Array.from(placed));
    expect(Array.from(placeOnUmap(ref.data, layout, 600, fresh.data, 60, ref.dim, { ...options, seed: 3 }))).not.toEqual(Array.from(placed));
    const latent = nearestRows(ref.data, 600, fresh.data, 60, ref.dim, 5);
    const onMap = nearestRows(layout, 600, placed, 60, 2, 1);
    for (let i = 0; i < 60; i++) {
      let cx = 0;
      let cy = 0;
      for (let t = 0; t < 5; t++) {
        cx += layout[2 * latent.indices[5 * i + t]] / 5;
        cy += layout[2 * latent.indices[5 * i + t] + 1] / 5;
      }
      // Within its cluster (clusters lie ~10 radii apart), near where its 5 latent neighbours lie.
      expect(Math.hypot(placed[2 * i] - cx, placed[2 * i + 1] - cy)).toBeLessThan(2 * radius);
      expect(ref.label[onMap.indices[i]]).toBe(fresh.label[i]);
    }
    // A copy of an old point lands by it.
    const copy = ref.data.slice(11 * ref.dim, 12 * ref.dim);
    const [x, y] = placeOnUmap(ref.data, layout, 600, copy, 1, ref.dim, { seed: 3 });
    expect(Math.hypot(x - layout[22], y - layout[23])).toBeLessThan(radius);
  });

  it('is exact on PCA and raw layouts', () => {
    const ref = clusters(300, 4);
    const layout = pcaLayout(ref.data, 300, ref.dim);
    const all = applyLinearLayout(layout, ref.data, 300);
    const one = applyLinearLayout(layout, ref.data.subarray(5 * ref.dim, 6 * ref.dim), 1);
    expect(one[0]).toBeCloseTo(all[10], 5);
    expect(one[1]).toBeCloseTo(all[11], 5);
    const raw = applyLinearLayout(rawLayout(ref.dim, 2, 7), ref.data, 300);
    expect(raw[0]).toBeCloseTo(ref.data[2], 6);
    expect(raw[1]).toBeCloseTo(ref.data[7], 6);
    expect(() => rawLayout(ref.dim, 10, 0)).toThrow(/dimensions must be 1 to 10/);
  });
});

describe('nearest neighbours of a query', () => {
  it('matches brute force (Euclidean), excludes the query itself, and ranks by angle for cosine', () => {
    const ref = clusters(400, 5);
    const exact = knnBruteForce(ref.data, 400, ref.dim, 8);
    const got = nearestRows(ref.data, 400, ref.data.subarray(0, 20 * ref.dim), 20, ref.dim, 8, 'euclidean', Int32Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(got.indices)).toEqual(Array.from(exact.indices.subarray(0, 20 * 8)));
    // Cosine: a scaled copy of a vector is at distance 0 whatever its length.
    const data = Float32Array.from([1, 0, 0, 1, 5, 0.1, -1, 0]);
    const cos = nearestRows(data, 4, [2, 0], 1, 2, 2, 'cosine');
    expect(Array.from(cos.indices)).toEqual([0, 2]);
    expect(cos.distances[0]).toBeCloseTo(0, 9);
    const euc = nearestRows(data, 4, [2, 0], 1, 2, 2, 'euclidean');
    expect(Array.from(euc.indices)).toEqual([0, 1]);
  });
});

describe('paths between two codes', () => {
  it('linear steps evenly from a to b; spherical keeps the norm between the ends\' norms', () => {
    const a = [3, 0, 0];
    const b = [0, 3, 0];
    const lin = interpolate(a, b, 5, 'linear');
    expect(Array.from(lin.subarray(0, 3))).toEqual(a);
    expect(Array.from(lin.subarray(12, 15))).toEqual(b);
    expect(Math.hypot(...lin.subarray(6, 9))).toBeCloseTo(Math.hypot(1.5, 1.5), 5); // the chord dips to 2.12
    const sph = interpolate(a, b, 5, 'spherical');
    for (let s = 0; s < 5; s++) expect(Math.hypot(...sph.subarray(3 * s, 3 * s + 3))).toBeCloseTo(3, 5);
    expect(sph[12]).toBeCloseTo(0, 5);
    expect(sph[13]).toBeCloseTo(3, 5);
    // Parallel codes: spherical falls back to linear.
    expect(Array.from(interpolate([1, 1], [2, 2], 3, 'spherical'))).toEqual([1, 1, 1.5, 1.5, 2, 2]);
    expect(() => interpolate([1], [1, 2], 3)).toThrow(/dimensions/);
  });
});
