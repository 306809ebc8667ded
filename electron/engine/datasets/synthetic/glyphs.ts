// A labelled image set with known factors of variation, generated here so that style and
// disentanglement can be measured against a ground truth (issues 11, 13, 14). Five glyph shapes
// (L, T, O, X, Z), each drawn with independently sampled slant, stroke thickness, width and height,
// as white ink on black, anti-aliased, like MNIST. Deterministic for a seed.
import { mulberry32 } from '../../random.ts';

export const GLYPH_CLASSES = ['L', 'T', 'O', 'X', 'Z'] as const;

/** Continuous factors, their sampling ranges (uniform) and units, at 28 px; they scale with `size`. */
export const GLYPH_FACTOR_RANGES = {
  /** Shear dx/dy of the glyph; > 0 leans right (top to the right), as measureStyle's slant. */
  slant: [-0.4, 0.4],
  /** Pen width in px. */
  thickness: [1, 3.5],
  /** Full width of the glyph's box (before shear) in px. */
  width: [8, 16],
  /** Full height of the glyph's box in px. */
  height: [14, 20],
} as const;

export type GlyphFactor = keyof typeof GLYPH_FACTOR_RANGES;
export const GLYPH_CONTINUOUS_FACTORS = Object.keys(GLYPH_FACTOR_RANGES) as GlyphFactor[];
/** Binary versions (1 above the sampling range's midpoint, which is the median, else 0), for AUC. */
export const GLYPH_BINARY_FACTORS = ['slant_hi', 'thickness_hi', 'width_hi'] as const;

export interface GlyphOptions {
  count: number;
  /** Square side in px (default 28). */
  size?: number;
  seed?: number;
}

export interface GlyphSet {
  /** count × size × size grey values, 0..255, ink high. */
  images: Uint8Array;
  count: number;
  size: number;
  /** Class index per image into classNames. */
  labels: Int32Array;
  classNames: string[];
  /**
   * Per factor, one value per image: shape (the class index), slant, thickness, width, height in the
   * units of GLYPH_FACTOR_RANGES at 28 px (they do not change with `size`), and the 0/1 binary versions.
   */
  factors: Record<string, Float32Array>;
}

type Point = [number, number];

/** Strokes of each glyph as polylines in a unit box: u right, v down, both in −0.5..0.5. */
const STROKES: Record<(typeof GLYPH_CLASSES)[number], Point[][]> = {
  L: [[[-0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]]],
  T: [[[-0.5, -0.5], [0.5, -0.5]], [[0, -0.5], [0, 0.5]]],
  O: [Array.from({ length: 33 }, (_, i): Point => [0.5 * Math.cos((i / 32) * 2 * Math.PI), 0.5 * Math.sin((i / 32) * 2 * Math.PI)])],
  X: [[[-0.5, -0.5], [0.5, 0.5]], [[0.5, -0.5], [-0.5, 0.5]]],
  Z: [[[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]]],
};

/** Segments [x0, y0, x1, y1] in pixel coordinates after scaling and shear about the image centre. */
function placeSegments(glyph: Point[][], slant: number, width: number, height: number, size: number): number[][] {
  const c = size / 2;
  const place = ([u, v]: Point): Point => [c + width * u - slant * height * v, c + height * v];
  const segments: number[][] = [];
  for (const line of glyph) {
    for (let i = 1; i < line.length; i++) {
      const [x0, y0] = place(line[i - 1]);
      const [x1, y1] = place(line[i]);
      segments.push([x0, y0, x1, y1]);
    }
  }
  return segments;
}

/**
 * Draws the segments with a round pen of width `thickness` into `out` (size × size from `offset`):
 * a pixel's ink is the pen's coverage of it, approximated by clamp(r + 0.5 − d), d the distance from
 * the pixel's centre to the nearest segment (the usual anti-aliased distance rasteriser).
 */
function drawSegments(segments: number[][], thickness: number, size: number, out: Uint8Array, offset: number): void {
  const r = thickness / 2;
  const reach = r + 0.5;
  for (const [x0, y0, x1, y1] of segments) {
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    const xMin = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
    const xMax = Math.min(size - 1, Math.ceil(Math.max(x0, x1) + reach));
    const yMin = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
    const yMax = Math.min(size - 1, Math.ceil(Math.max(y0, y1) + reach));
    for (let py = yMin; py <= yMax; py++) {
      const cy = py + 0.5;
      for (let px = xMin; px <= xMax; px++) {
        const cx = px + 0.5;
        const t = len2 > 0 ? Math.min(1, Math.max(0, ((cx - x0) * dx + (cy - y0) * dy) / len2)) : 0;
        const ex = cx - (x0 + t * dx);
        const ey = cy - (y0 + t * dy);
        const coverage = reach - Math.sqrt(ex * ex + ey * ey);
        if (coverage <= 0) continue;
        const value = Math.round(255 * Math.min(1, coverage));
        const at = offset + py * size + px;
        if (value > out[at]) out[at] = value;
      }
    }
  }
}

/** Draws one glyph with the given factors (28-px units) into a new size × size image. */
export function drawGlyph(shape: number, f: { slant: number; thickness: number; width: number; height: number }, size = 28): Uint8Array {
  const out = new Uint8Array(size * size);
  const k = size / 28;
  drawSegments(placeSegments(STROKES[GLYPH_CLASSES[shape]], f.slant, f.width * k, f.height * k, size), f.thickness * k, size, out, 0);
  return out;
}

/** `count` glyphs with uniformly sampled class and independent uniform factors; same seed, same bytes. */
export function generateGlyphs({ count, size = 28, seed = 1 }: GlyphOptions): GlyphSet {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a whole number >= 1 (got ${count})`);
  if (!Number.isInteger(size) || size < 8) throw new RangeError(`size must be a whole number >= 8 (got ${size})`);
  const random = mulberry32(seed);
  const images = new Uint8Array(count * size * size);
  const labels = new Int32Array(count);
  const factors: Record<string, Float32Array> = { shape: new Float32Array(count) };
  for (const name of [...GLYPH_CONTINUOUS_FACTORS, ...GLYPH_BINARY_FACTORS]) factors[name] = new Float32Array(count);
  const k = size / 28;
  for (let i = 0; i < count; i++) {
    const shape = Math.min(GLYPH_CLASSES.length - 1, Math.floor(random() * GLYPH_CLASSES.length));
    const value = {} as Record<GlyphFactor, number>;
    for (const name of GLYPH_CONTINUOUS_FACTORS) {
      const [lo, hi] = GLYPH_FACTOR_RANGES[name];
      // Rounded as factors.csv writes them, so the file and the API hold the same numbers.
      value[name] = Math.round((lo + (hi - lo) * random()) * 1e4) / 1e4;
      factors[name][i] = value[name];
    }
    labels[i] = shape;
    factors.shape[i] = shape;
    for (const name of GLYPH_BINARY_FACTORS) {
      const base = name.slice(0, -3) as GlyphFactor;
      const [lo, hi] = GLYPH_FACTOR_RANGES[base];
      factors[name][i] = value[base] > (lo + hi) / 2 ? 1 : 0;
    }
    const segments = placeSegments(STROKES[GLYPH_CLASSES[shape]], value.slant, value.width * k, value.height * k, size);
    drawSegments(segments, value.thickness * k, size, images, i * size * size);
  }
  return { images, count, size, labels, classNames: [...GLYPH_CLASSES], factors };
}

/** The file name of image i inside the generated folder: `<class>/<index, 5 digits>.png`. */
export function glyphFileName(set: GlyphSet, i: number): string {
  return `${set.classNames[set.labels[i]]}/${String(i).padStart(5, '0')}.png`;
}

/** factors.csv of the folder: `file`, the class as `shape` (categorical, by name), then the numeric factors. */
export function glyphFactorsCsv(set: GlyphSet): string {
  const numeric = Object.keys(set.factors).filter((n) => n !== 'shape');
  const lines = [['file', 'shape', ...numeric].join(',')];
  for (let i = 0; i < set.count; i++) {
    const row = [glyphFileName(set, i), set.classNames[set.labels[i]]];
    for (const name of numeric) row.push(String(Number(set.factors[name][i].toFixed(4))));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}
