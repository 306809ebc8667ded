// The Embedding view's pure parts: the fit and zoom (screen <-> data), the clip-space matrix the
// WebGL layer uses, picking, the lasso and the draw order / colours of the points.
import { describe, expect, it } from 'vitest';
import { clipTransform, dataX, dataY, fitExtent, screenX, screenY, type View } from '../../renderer/src/explorer/embedding/geometry.ts';
import { PointPicker } from '../../renderer/src/explorer/embedding/picking.ts';
import { Lasso, pointsInPolygon } from '../../renderer/src/explorer/embedding/lasso.ts';
import { categoricalColours, continuousColours, drawOrder, rgbBytes } from '../../renderer/src/explorer/embedding/colours.ts';
import { findMask, globToRegExp, nameMatcher } from '../../renderer/src/explorer/embedding/filter.ts';
import { interpolateCode, linearInverse, rawInverse } from '../../renderer/src/explorer/embedding/inverse.ts';
import { needsRefresh, snapshotBox } from '../../renderer/src/explorer/embedding/points-webgl2.ts';

const points = Float32Array.of(-1, -1, 1, 1, 0, 0, 1, -1);
const view = (zoom = { k: 1, x: 0, y: 0 }): View => ({ width: 200, height: 100, fit: fitExtent(points, 200, 100, 10), zoom });

describe('geometry', () => {
  it('fits the extent inside the margin with equal scales, centred', () => {
    const v = view();
    // y extent 2 over 80 px is the tighter one: 40 px per unit
    expect(v.fit.s).toBeCloseTo(40);
    expect(screenX(v, 0)).toBeCloseTo(100);
    expect(screenY(v, 0)).toBeCloseTo(50);
    expect(screenY(v, -1)).toBeCloseTo(10);
    expect(screenY(v, 1)).toBeCloseTo(90);
  });

  it('inverts screen positions under zoom and pan', () => {
    const v = view({ k: 3, x: -120, y: 40 });
    for (const [x, y] of [[0.3, -0.7], [1, 1], [-2, 5]]) {
      expect(dataX(v, screenX(v, x))).toBeCloseTo(x, 5);
      expect(dataY(v, screenY(v, y))).toBeCloseTo(y, 5);
    }
  });

  it('maps data to clip space like screenX/Y do to pixels', () => {
    const v = view({ k: 2, x: 30, y: -10 });
    const [a, b, c, d] = clipTransform(v);
    for (const [x, y] of [[0, 0], [1, -1], [0.25, 0.5]]) {
      expect(a * x + c).toBeCloseTo((2 * screenX(v, x)) / v.width - 1, 5);
      expect(b * y + d).toBeCloseTo(1 - (2 * screenY(v, y)) / v.height, 5);
    }
  });

  it('ignores non-finite coordinates in the fit', () => {
    const f = fitExtent(Float32Array.of(0, 0, NaN, 5, 2, 2), 100, 100, 0);
    expect(f.s).toBeCloseTo(50);
  });
});

describe('picking', () => {
  it('finds the visible point under the pointer within the radius, none outside it', () => {
    const v = view();
    const picker = new PointPicker(points, [0, 1, 2, 3]);
    expect(picker.nearest(v, screenX(v, 1) + 3, screenY(v, 1) - 2)).toBe(1);
    expect(picker.nearest(v, screenX(v, 0.5), screenY(v, 0.5), 5)).toBeNull();
    // hidden points are not picked
    const some = new PointPicker(points, [0, 2]);
    expect(some.nearest(v, screenX(v, 1), screenY(v, 1), 5)).toBeNull();
  });
});

describe('lasso', () => {
  it('selects the points inside the polygon, in index order', () => {
    const v = view();
    const lasso = new Lasso();
    lasso.start(screenX(v, -0.5), screenY(v, -0.5));
    lasso.extend(screenX(v, 1.5), screenY(v, -0.5));
    lasso.extend(screenX(v, 1.5), screenY(v, 1.5));
    lasso.extend(screenX(v, -0.5), screenY(v, 1.5));
    const polygon = lasso.finish()!;
    expect(lasso.path).toBeNull();
    expect(Array.from(pointsInPolygon(points, [3, 2, 1, 0], polygon, v))).toEqual([1, 2]);
    // only candidates count
    expect(Array.from(pointsInPolygon(points, [0, 1], polygon, v))).toEqual([1]);
  });

  it('a click without a drag encloses nothing', () => {
    const lasso = new Lasso();
    lasso.start(1, 1);
    lasso.extend(2, 2);
    expect(lasso.finish()).toBeNull();
    expect(lasso.extend(3, 3)).toBe(false);
  });
});

describe('colours and order', () => {
  it('draws unlabelled points first (underneath), then by class, hidden ones not at all', () => {
    const groups = Int32Array.of(1, 2, 0, 2, 1, 0); // 2 = unlabelled for K = 2
    expect(Array.from(drawOrder(groups, 2, () => true))).toEqual([1, 3, 2, 5, 0, 4]);
    expect(Array.from(drawOrder(groups, 2, (i) => groups[i] !== 0))).toEqual([1, 3, 0, 4]);
  });

  it('gives each point its class colour as RGBA bytes, grey outside the palette', () => {
    expect(rgbBytes('#ff8000')).toEqual([255, 128, 0]);
    const c = categoricalColours(Int32Array.of(0, 1, -1), ['#ff0000', '#00ff00'], '#808080', 200);
    expect(Array.from(c)).toEqual([255, 0, 0, 200, 0, 255, 0, 200, 128, 128, 128, 200]);
  });
});

describe('find', () => {
  it('turns globs into whole-name patterns: * within a folder, ** across, ? one character, [..] a class', () => {
    expect(globToRegExp('*.png').test('seven.png')).toBe(true);
    expect(globToRegExp('*.png').test('digits/seven.png')).toBe(false);
    expect(globToRegExp('**/*.png').test('digits/7/seven.png')).toBe(true);
    expect(globToRegExp('img-??.JPG').test('img-07.jpg')).toBe(true);
    expect(globToRegExp('img-[0-3].png').test('img-2.png')).toBe(true);
    expect(globToRegExp('img-[!0-3].png').test('img-2.png')).toBe(false);
    expect(globToRegExp('a+b(1).png').test('a+b(1).png')).toBe(true);
  });

  it('matches a name query as a substring, or as a glob against the path or its last part', () => {
    expect(nameMatcher('')('anything')).toBe(true);
    expect(nameMatcher('SEVEN')('digits/seven-01.png')).toBe(true);
    expect(nameMatcher('eight')('digits/seven-01.png')).toBe(false);
    expect(nameMatcher('seven-*.png')('/data/digits/seven-01.png')).toBe(true);
    expect(nameMatcher('/data/*/seven-01.png')('/data/digits/seven-01.png')).toBe(true);
    expect(nameMatcher('*.jpg')('/data/digits/seven-01.png')).toBe(false);
  });

  it('shows a point only when its class, name, split and selection all pass', () => {
    const groups = Int32Array.of(0, 1, 0, 2, 1);
    const files = ['a/x1.png', 'a/y2.png', 'b/x3.png', 'b/x4.png', 'b/y5.png'];
    const splits = Uint8Array.of(1, 1, 0, 1, 0);
    const base = { hidden: [false, false, false], groups, name: '', files, split: 'all' as const, splits };
    expect(Array.from(findMask(base))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(findMask({ ...base, hidden: [false, true, false] }))).toEqual([1, 0, 1, 1, 0]);
    expect(Array.from(findMask({ ...base, name: 'x' }))).toEqual([1, 0, 1, 1, 0]);
    expect(Array.from(findMask({ ...base, name: 'b/*' }))).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(findMask({ ...base, split: 'train' }))).toEqual([0, 0, 1, 0, 1]);
    expect(Array.from(findMask({ ...base, only: [4, 0] }))).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(findMask({ ...base, name: 'x', split: 'test', only: [0, 1, 2] }))).toEqual([1, 0, 0, 0, 0]);
  });
});

describe('continuous colours', () => {
  it('spreads the 2nd..98th percentile over the scale, clamps outliers and greys NaN', () => {
    const values = Float32Array.from({ length: 101 }, (_, i) => i);
    values[100] = 1e6; // an outlier
    values[50] = NaN;
    const { colours, domain } = continuousColours(values, (t) => `rgb(${Math.round(255 * t)}, 0, 0)`, '#00ff00');
    expect(domain[0]).toBe(2);
    expect(domain[1]).toBeLessThan(100);
    expect(colours[0]).toBe(0); // below the low end: clamped to the start
    expect(colours[4 * 100]).toBe(255); // the outlier: clamped to the end
    expect(Array.from(colours.subarray(4 * 50, 4 * 50 + 3))).toEqual([0, 255, 0]);
    expect(colours[4 * 60]).toBeGreaterThan(colours[4 * 40]);
  });
});

describe('decoder in the loop: the code behind a place on the map', () => {
  it('inverts a linear layout exactly: the code found at a point\'s coords projects back onto them', () => {
    const dim = 3;
    const s = Math.SQRT1_2;
    const axes = Float32Array.of(s, s, 0, -s, s, 0); // orthonormal rows
    const mean = Float32Array.of(0.5, -1, 2);
    const z = linearInverse(axes, mean, dim, 1.5, -0.25);
    const back = [0, 1].map((r) => [0, 1, 2].reduce((a, c) => a + (z[c] - mean[c]) * axes[r * dim + c], 0));
    expect(back[0]).toBeCloseTo(1.5, 5);
    expect(back[1]).toBeCloseTo(-0.25, 5);
    expect(z[2]).toBeCloseTo(2, 6); // off the plane: the mean
  });

  it('puts x and y in the raw layout\'s two dimensions, the rest from the base', () => {
    expect(Array.from(rawInverse(4, 2, 0, 1.5, -2))).toEqual([-2, 0, 1.5, 0]);
    expect(Array.from(rawInverse(3, 0, 1, 1, 2, [9, 9, 9]))).toEqual([1, 2, 9]);
  });

  it('interpolates nonlinear layouts from the nearest points by inverse distance, exactly on a point', () => {
    const points = Float32Array.of(0, 0, 2, 0, 10, 10);
    const codes = Float32Array.of(1, 0, 0, 1, 5, 5);
    const at = interpolateCode(points, codes, 2, [0, 1, 2], 2, 0, 2)!;
    expect(Array.from(at.code)).toEqual([0, 1]);
    // halfway between the first two: equal weights
    const mid = interpolateCode(points, codes, 2, [0, 1, 2], 1, 0, 2)!;
    expect(mid.neighbours).toEqual([0, 1]);
    expect(mid.code[0]).toBeCloseTo(0.5, 6);
    expect(mid.code[1]).toBeCloseTo(0.5, 6);
    // closer to the first: more of its code; hidden points are not used
    const near = interpolateCode(points, codes, 2, [0, 1], 0.5, 0, 8)!;
    expect(near.weights[0]).toBeCloseTo(0.9, 6);
    expect(near.code[0]).toBeGreaterThan(near.code[1]);
    expect(interpolateCode(points, codes, 2, [], 0, 0)).toBeNull();
  });
});

describe('the WebGL layer\'s snapshot during a gesture', () => {
  const at = (zoom: { k: number; x: number; y: number }): View => ({ width: 200, height: 100, fit: fitExtent(points, 200, 100, 10), zoom });
  const snap = { view: at({ k: 1.5, x: -30, y: 12 }), mx: 50, my: 25, dpr: 1 };

  it('moves with the zoom: a point of the snapshot lands where the new view puts it', () => {
    const now = at({ k: 2.4, x: -95, y: 3 });
    const [x0, y0, x1, y1] = snapshotBox(snap, now);
    for (const [x, y] of [[0.3, -0.7], [1, 1], [-1, 0.2]]) {
      // where it sits in the snapshot (margin included), as a share of the snapshot's box
      const u = (screenX(snap.view, x) + snap.mx) / (snap.view.width + 2 * snap.mx);
      const v = (screenY(snap.view, y) + snap.my) / (snap.view.height + 2 * snap.my);
      expect(x0 + u * (x1 - x0)).toBeCloseTo(screenX(now, x), 6);
      expect(y0 + v * (y1 - y0)).toBeCloseTo(screenY(now, y), 6);
    }
  });

  it('is unmoved for its own view (margin around the canvas) and shifted by a pan', () => {
    expect(snapshotBox(snap, snap.view)).toEqual([-50, -25, 250, 125]);
    expect(snapshotBox(snap, at({ k: 1.5, x: -30 + 20, y: 12 - 7 }))).toEqual([-30, -32, 270, 118]);
  });

  it('asks for a fresh frame once the view is uncovered or the snapshot is scaled too far', () => {
    const k = 1.5;
    const pan = (dx: number, dy: number) => at({ k, x: -30 + dx, y: 12 + dy });
    expect(needsRefresh(snap, snap.view)).toBe(false);
    expect(needsRefresh(snap, pan(49, -24))).toBe(false);
    expect(needsRefresh(snap, pan(51, 0))).toBe(true);
    expect(needsRefresh(snap, pan(0, -26))).toBe(true);
    // zooming about the canvas centre (100, 50): out to 0.75× stays covered, 0.65× is scaled too far
    const about = (r: number) => at({ k: k * r, x: 100 - r * (100 - -30), y: 50 - r * (50 - 12) });
    expect(needsRefresh(snap, about(0.75))).toBe(false);
    expect(needsRefresh(snap, about(0.65))).toBe(true);
    expect(needsRefresh(snap, about(1.9))).toBe(false);
    expect(needsRefresh(snap, about(2.1))).toBe(true);
  });
});
