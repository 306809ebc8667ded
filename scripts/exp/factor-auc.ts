// Experiment helper (lead, issue 11): per binary factor of a synth folder, the style dimension that separates it best (AUC).
// Usage: node --import tsx scripts/exp/factor-auc.ts RUN_DIR
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { openRunDataset, evaluateRun } from '../../electron/engine/training/evaluate.ts';
import { pixelsToTensor } from '../../models/pixels.ts';

export function auc(scores: ArrayLike<number>, positive: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0, pos = 0;
  for (let r = 0; r < idx.length; ) {
    let e = r;
    while (e + 1 < idx.length && scores[idx[e + 1]] === scores[idx[r]]) e++;
    const mid = (r + e) / 2 + 1;
    for (let j = r; j <= e; j++) if (positive[idx[j]]) { rankSum += mid; pos++; }
    r = e + 1;
  }
  const neg = idx.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

const runDir = process.argv[2];
await initBackend();
const loaded = await loadRun(runDir);
const ds = await openRunDataset(loaded.run);
const rep = await evaluateRun(loaded, ds, {});
const c = loaded.model.config;
const test: number[] = [];
for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) test.push(i);
const x = pixelsToTensor(ds.images.pixels, test, c.imageSize, c.channels, 'off');
const enc = loaded.model.encode(x);
const means = enc.mean.dataSync() as Float32Array;
tf.dispose([x, enc.mean, enc.logVar]);
const csv = readFileSync(join(loaded.run.dataset.ref, 'factors.csv'), 'utf8').trim().split('\n');
const head = csv[0].split(',');
const byFile = new Map(csv.slice(1).map((l) => { const c = l.split(','); return [c[0], c] as const; }));
const out: Record<string, unknown> = { negElbo: rep.negElbo, accuracy: rep.accuracy, klStyle: rep.klPerDim.slice(0, c.style).map((v) => +v.toFixed(2)) };
for (const f of ['slant_hi', 'thickness_hi', 'width_hi']) {
  const col = head.indexOf(f);
  const y = test.map((i) => Number(byFile.get(ds.images.files[i])?.[col] ?? NaN));
  if (y.some((v) => Number.isNaN(v))) throw new Error(`no factor for some files, e.g. ${ds.images.files[test[0]]}`);
  let best = { dim: -1, auc: 0 };
  for (let d = 0; d < c.style; d++) {
    const s = test.map((_, r) => means[r * c.latent + d]);
    const a = auc(s, y);
    const sep = Math.max(a, 1 - a);
    if (sep > best.auc) best = { dim: d + 1, auc: +sep.toFixed(3) };
  }
  out[f] = best;
}
const corr = (a: number[], b: number[]) => { const n = a.length, ma = a.reduce((x, y) => x + y) / n, mb = b.reduce((x, y) => x + y) / n; let sab = 0, saa = 0, sbb = 0; for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; } return sab / Math.sqrt(saa * sbb); };
for (const f of ['slant', 'thickness', 'width', 'height']) {
  const col = head.indexOf(f);
  const y = test.map((i) => Number(byFile.get(ds.images.files[i])![col]));
  out['r_' + f] = Array.from({ length: c.style }, (_, d) => +corr(test.map((_, r) => means[r * c.latent + d]), y).toFixed(2)).join(' ');
}
console.log(JSON.stringify(out, null, 1));
