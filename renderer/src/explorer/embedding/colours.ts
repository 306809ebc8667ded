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
