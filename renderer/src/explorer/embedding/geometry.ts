// Where the Embedding's points land on screen: the fit of the data extent into the plot, d3-zoom's
// transform on top, and the inverse (screen to data) that picking, the lasso and the decoder use.
// Pure functions over typed arrays, so they are unit-tested without a browser.

/** Data to plot pixels before zoom: px = ox + x * s, py = oy + y * s. */
export interface Fit {
  s: number;
  ox: number;
  oy: number;
}

/** d3-zoom's transform (screen = k * plot + (x, y)). */
export interface Zoom {
  k: number;
  x: number;
  y: number;
}

/** What one frame needs to place points: the plot's size in CSS pixels, the fit and the zoom. */
export interface View {
  width: number;
  height: number;
  fit: Fit;
  zoom: Zoom;
}

export const IDENTITY: Zoom = { k: 1, x: 0, y: 0 };

/** The fit that shows every point inside the plot with `margin` CSS pixels around (equal scales on x and y). */
export function fitExtent(points: Float32Array | null, width: number, height: number, margin: number): Fit {
  if (!points || points.length === 0) return { s: 1, ox: 0, oy: 0 };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i], y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 > x1) return { s: 1, ox: width / 2, oy: height / 2 };
  const s = Math.min((width - 2 * margin) / Math.max(x1 - x0, 1e-9), (height - 2 * margin) / Math.max(y1 - y0, 1e-9));
  return { s, ox: width / 2 - ((x0 + x1) / 2) * s, oy: height / 2 - ((y0 + y1) / 2) * s };
}

export const screenX = (v: View, x: number): number => v.zoom.k * (v.fit.ox + x * v.fit.s) + v.zoom.x;
export const screenY = (v: View, y: number): number => v.zoom.k * (v.fit.oy + y * v.fit.s) + v.zoom.y;
export const dataX = (v: View, px: number): number => ((px - v.zoom.x) / v.zoom.k - v.fit.ox) / v.fit.s;
export const dataY = (v: View, py: number): number => ((py - v.zoom.y) / v.zoom.k - v.fit.oy) / v.fit.s;

/** Data units per screen pixel. */
export const dataPerPixel = (v: View): number => 1 / (v.fit.s * v.zoom.k);

/** Point radius in CSS pixels: smaller when there are many points, larger when zoomed in. */
export function pointRadius(count: number, zoomK: number): number {
  const base = count < 5000 ? 2 : count < 30000 ? 1.5 : 1;
  return base * (zoomK > 4 ? 1.5 : 1);
}

/**
 * Clip-space matrix of the view for a vertex shader: clip = (a * x + c, b * y + d), so the GPU
 * places 100,000 points with two multiply-adds each and nothing is re-uploaded while panning.
 */
export function clipTransform(v: View): [number, number, number, number] {
  const sx = v.zoom.k * v.fit.s;
  const tx = v.zoom.k * v.fit.ox + v.zoom.x;
  const ty = v.zoom.k * v.fit.oy + v.zoom.y;
  // screen px -> clip: x' = 2 px / w - 1, y' = 1 - 2 py / h
  return [(2 * sx) / v.width, (-2 * sx) / v.height, (2 * tx) / v.width - 1, 1 - (2 * ty) / v.height];
}
