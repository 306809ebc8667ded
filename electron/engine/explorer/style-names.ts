// Suggested names for the style dimensions z^X of a semi-supervised run: decode a sweep of each
// dimension for every class (z^Y at the class's mean encoding), measure the images, and name the
// dimension after the measure that follows it most closely, if any does.
import type { StyleDimReport, StyleMeasure } from '../../contract/explorer.ts';
import { MEASURE_LABELS, MEASURE_NAMES, measureStyle, pearson } from './style-measures.ts';

/** Below these changes over the whole sweep a measure "does not move", whatever its correlation. */
export const MIN_CHANGE: Record<StyleMeasure, number> = { slant: 0.12, width: 1.2, height: 1.2, thickness: 0.25, topHeaviness: 0.04 };
export const MIN_CORRELATION = 0.7;
/** Mean absolute pixel change (0..1) below which a dimension counts as unused. */
export const MIN_EFFECT = 0.01;

export interface SweepInput {
  /** Decodes `count` codes (count × latent) to uint8 HWC images. */
  decode(z: Float32Array, count: number): Promise<Uint8Array>;
  latent: number;
  style: number;
  size: number;
  channels: number;
  /** One code per class to start from (classes × latent): z^Y at the class mean, z^X at 0. */
  classCodes: Float32Array;
  classes: number;
  range: number;
  steps: number;
}

export async function suggestStyleNames(input: SweepInput): Promise<StyleDimReport[]> {
  const { latent, style, size, channels, classCodes, classes, range, steps } = input;
  const per = size * size * channels;
  const values = Float32Array.from({ length: steps }, (_, s) => -range + (2 * range * s) / (steps - 1));
  const reports: StyleDimReport[] = [];
  for (let d = 0; d < style; d++) {
    // One batch per dimension: classes × steps codes.
    const z = new Float32Array(classes * steps * latent);
    for (let k = 0; k < classes; k++) {
      for (let s = 0; s < steps; s++) {
        const row = (k * steps + s) * latent;
        z.set(classCodes.subarray(k * latent, (k + 1) * latent), row);
        z[row + d] = values[s];
      }
    }
    const images = await input.decode(z, classes * steps);
    const corr: Record<StyleMeasure, number> = { slant: 0, width: 0, height: 0, thickness: 0, topHeaviness: 0 };
    const change: Record<StyleMeasure, number> = { slant: 0, width: 0, height: 0, thickness: 0, topHeaviness: 0 };
    let effect = 0;
    for (let k = 0; k < classes; k++) {
      const series: Record<StyleMeasure, number[]> = { slant: [], width: [], height: [], thickness: [], topHeaviness: [] };
      for (let s = 0; s < steps; s++) {
        const m = measureStyle(images, size, (k * steps + s) * per, channels);
        for (const name of MEASURE_NAMES) series[name].push(m[name]);
      }
      for (const name of MEASURE_NAMES) {
        corr[name] += pearson(values, series[name]) / classes;
        change[name] += (Math.max(...series[name]) - Math.min(...series[name])) / classes;
      }
      const first = (k * steps) * per;
      const last = (k * steps + steps - 1) * per;
      let diff = 0;
      for (let p = 0; p < per; p++) diff += Math.abs(images[first + p] - images[last + p]);
      effect += diff / per / 255 / classes;
    }
    let strongest: StyleMeasure = 'slant';
    for (const name of MEASURE_NAMES) if (Math.abs(corr[name]) > Math.abs(corr[strongest])) strongest = name;
    reports.push({ dim: d, correlations: corr, changes: change, measure: null, suggestion: null, correlation: 0, strongest, effect });
  }
  assignSuggestedNames(reports);
  return reports;
}

/** What naming needs of a dimension's sweep; the fields it sets. */
export interface Nameable {
  correlations: Record<StyleMeasure, number>;
  changes: Record<StyleMeasure, number>;
  effect: number;
  measure: StyleMeasure | null;
  correlation: number;
  suggestion: string | null;
}

/**
 * Names go to the closest (dimension, measure) pairs first, each measure once; a dimension whose
 * measures are all taken by closer dimensions gets its best one numbered ("slant 2"). A measure names a
 * dimension only if it follows it (|r| ≥ 0.7), moves over the sweep, and the image changes at all.
 */
export function assignSuggestedNames<R extends Nameable>(reports: R[]): R[] {
  const qualifies = (r: Nameable, m: StyleMeasure) =>
    r.effect >= MIN_EFFECT && Math.abs(r.correlations[m]) >= MIN_CORRELATION && r.changes[m] >= MIN_CHANGE[m];
  // Strongest correlation first; a measure that moves many times its threshold breaks near-ties.
  const score = (r: Nameable, m: StyleMeasure) => Math.abs(r.correlations[m]) + 0.02 * Math.min(5, r.changes[m] / MIN_CHANGE[m]);
  const pairs = reports.flatMap((r) => MEASURE_NAMES.filter((m) => qualifies(r, m)).map((m) => ({ r, m, score: score(r, m) })));
  pairs.sort((a, b) => b.score - a.score);
  const used = new Map<StyleMeasure, number>();
  const assign = (r: R, m: StyleMeasure) => {
    const n = (used.get(m) ?? 0) + 1;
    used.set(m, n);
    r.measure = m;
    r.correlation = r.correlations[m];
    r.suggestion = n === 1 ? MEASURE_LABELS[m] : `${MEASURE_LABELS[m]} ${n}`;
  };
  for (const { r, m } of pairs) if (!r.measure && !used.has(m)) assign(r, m);
  for (const { r, m } of pairs) if (!r.measure) assign(r, m);
  return reports;
}
