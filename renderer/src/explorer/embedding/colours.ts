// Colours of the Embedding's points as one RGBA byte per channel per point: the form both point
// layers (WebGL2 and the 2-D canvas fallback) draw from, whatever the colouring is.
import { color } from 'd3';

/** '#rrggbb' (or any CSS colour d3 parses) as [r, g, b] bytes. */
export function rgbBytes(css: string): [number, number, number] {
  const c = color(css)?.rgb();
  if (!c) throw new Error(`not a colour: ${css}`);
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

/** Per-point RGBA from a label per point: palette[label], or `other` for labels outside the palette. */
export function categoricalColours(labels: ArrayLike<number>, palette: readonly string[], other: string, alpha = 217): Uint8Array {
  const table = palette.map(rgbBytes);
  const rest = rgbBytes(other);
  const out = new Uint8Array(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    const c = l >= 0 && l < table.length ? table[l] : rest;
    out[4 * i] = c[0];
    out[4 * i + 1] = c[1];
    out[4 * i + 2] = c[2];
    out[4 * i + 3] = alpha;
  }
  return out;
}

/**
 * Draw order of the visible points: those whose group is `last` in the list (unlabelled) go first so
 * they lie underneath, then the rest by group. `group[i]` outside 0..groups-1 counts as `groups`.
 */
export function drawOrder(group: ArrayLike<number>, groups: number, visible: (i: number) => boolean): Uint32Array {
  const counts = new Int32Array(groups + 2);
  const g = (i: number) => (group[i] >= 0 && group[i] < groups ? group[i] : groups);
  for (let i = 0; i < group.length; i++) if (visible(i)) counts[g(i) === groups ? 0 : g(i) + 1]++;
  const start = new Int32Array(groups + 2);
  for (let k = 1; k < groups + 2; k++) start[k] = start[k - 1] + counts[k - 1];
  const total = start[groups + 1] + counts[groups + 1];
  const out = new Uint32Array(total);
  for (let i = 0; i < group.length; i++) if (visible(i)) out[start[g(i) === groups ? 0 : g(i) + 1]++] = i;
  return out;
}

/**
 * Per-point RGBA for a number per point through a colour scale: the 2nd to 98th percentile span the
 * scale (one outlier does not wash out the rest), values beyond are clamped, NaN gets `missing`.
 * Returns the colours and the domain used, for the legend.
 */
export function continuousColours(values: ArrayLike<number>, interpolate: (t: number) => string, missing: string, alpha = 217): { colours: Uint8Array; domain: [number, number] } {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  finite.sort((a, b) => a - b);
  const at = (p: number) => finite[Math.min(finite.length - 1, Math.max(0, Math.round(p * (finite.length - 1))))];
  const lo = finite.length ? at(0.02) : 0;
  let hi = finite.length ? at(0.98) : 1;
  if (!(hi > lo)) hi = lo + 1e-9;
  // 64 steps: enough for the eye, and the 2-D fallback changes its fill colour less often.
  const steps = Array.from({ length: 64 }, (_, k) => rgbBytes(interpolate(k / 63)));
  const none = rgbBytes(missing);
  const colours = new Uint8Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = Number.isFinite(v) ? steps[Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 63)] : none;
    colours[4 * i] = c[0];
    colours[4 * i + 1] = c[1];
    colours[4 * i + 2] = c[2];
    colours[4 * i + 3] = alpha;
  }
  return { colours, domain: [lo, hi] };
}
