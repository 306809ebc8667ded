// Suggested names for the style dimensions z^X of a semi-supervised run: decode a sweep of each
// dimension for every class (z^Y at the class's mean encoding), measure the images, and name the
// dimension after the measure that follows it most closely, if any does.
import type { StyleDimReport, StyleMeasure } from '../../contract/explorer.ts';
import { MEASURE_LABELS, MEASURE_NAMES, measureStyle, pearson } from './style-measures.ts';

/** Below these changes over the whole sweep a measure "does not move", whatever its correlation. */
const MIN_CHANGE: Record<StyleMeasure, number> = { slant: 0.12, width: 1.2, height: 1.2, thickness: 0.25, topHeaviness: 0.04 };
const MIN_CORRELATION = 0.7;
/** Mean absolute pixel change (0..1) below which a dimension counts as unused. */
const MIN_EFFECT = 0.01;

export interface SweepInput {
  /** Decodes `count` codes (count × latent) to uint8 HWC images. */
  decode(z: Float32Array, count: number): Uint8Array;
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

export function suggestStyleNames(input: SweepInput): StyleDimReport[] {
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
    const images = input.decode(z, classes * steps);
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
    let best: StyleMeasure | null = null;
    for (const name of MEASURE_NAMES) {
      if (effect < MIN_EFFECT || Math.abs(corr[name]) < MIN_CORRELATION || change[name] < MIN_CHANGE[name]) continue;
      // Strongest correlation wins; a measure that moves many times its threshold breaks near-ties.
      const score = Math.abs(corr[name]) + 0.02 * Math.min(5, change[name] / MIN_CHANGE[name]);
      const bestScore = best ? Math.abs(corr[best]) + 0.02 * Math.min(5, change[best] / MIN_CHANGE[best]) : -1;
      if (score > bestScore) best = name;
    }
    reports.push({
      dim: d,
      correlations: corr,
      changes: change,
      measure: best,
      suggestion: best ? MEASURE_LABELS[best] : null,
      correlation: best ? corr[best] : 0,
      effect,
    });
  }
  // Two dimensions with the same best measure: the closer one keeps the plain name.
  const byMeasure = new Map<StyleMeasure, StyleDimReport[]>();
  for (const r of reports) if (r.measure) byMeasure.set(r.measure, [...(byMeasure.get(r.measure) ?? []), r]);
  for (const group of byMeasure.values()) {
    group.sort((a, b) => Math.abs(b.correlation) - Math.abs(a.correlation));
    group.slice(1).forEach((r, i) => (r.suggestion = `${r.suggestion} ${i + 2}`));
  }
  return reports;
}
