// Experiment helper (lead, issue 11): KL, leakage and names of every style dim of a run, plus -ELBO/accuracy.
// Usage: node --import tsx scripts/exp/style-report.ts RUN_DIR
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { openRunDataset, evaluateRun } from '../../electron/engine/training/evaluate.ts';
import { classMeanCodes } from '../../electron/engine/explorer/grids.ts';
import { suggestStyleNames } from '../../electron/engine/explorer/style-names.ts';
import { pixelsToTensor, tensorToPixels } from '../../models/pixels.ts';

const runDir = process.argv[2];
await initBackend();
const loaded = await loadRun(runDir);
const ds = await openRunDataset(loaded.run);
const rep = await evaluateRun(loaded, ds, {});
const { model } = loaded;
const c = model.config;
const L = c.latent, S = c.style, K = c.numClasses, size = c.imageSize;
const test: number[] = [];
for (let i = 0; i < ds.images.count; i++) if (ds.images.split[i] === 1) test.push(i);
const x = pixelsToTensor(ds.images.pixels, test, size, c.channels, 'off');
const enc = model.encode(x);
const means = enc.mean.dataSync() as Float32Array;
tf.dispose([x, enc.mean, enc.logVar]);
const labels = Int32Array.from(test.map((i) => ds.images.labels[i]));
const { means: cm } = classMeanCodes(means, labels, L, K);
const decode = (z: Float32Array, n: number) => tf.tidy(() => tensorToPixels(model.decode(tf.tensor2d(z, [n, L]))));
const classify = (z: Float32Array, n: number) => tf.tidy(() => {
  const imgs = model.decode(tf.tensor2d(z, [n, L]));
  return tf.argMax(model.classify(imgs), 1).dataSync() as Int32Array;
});
const steps = 9, range = 2;
const codes = new Float32Array(K * L);
for (let k = 0; k < K; k++) codes.set(cm.subarray(k * L + S, (k + 1) * L), k * L + S);
const names = suggestStyleNames({ decode, latent: L, style: S, size, channels: c.channels, classCodes: codes, classes: K, range, steps });
const rows = [];
let strip = 0;
for (let d = 0; d < S; d++) {
  // leakage: sweeps from every class's mean encoding; a sweep leaks if any step's class differs from k
  let leaked = 0;
  const z = new Float32Array(K * steps * L);
  for (let k = 0; k < K; k++) for (let s = 0; s < steps; s++) {
    const row = (k * steps + s) * L;
    z.set(cm.subarray(k * L, (k + 1) * L), row);
    z[row + d] = -range + (2 * range * s) / (steps - 1);
  }
  const pred = classify(z, K * steps);
  for (let k = 0; k < K; k++) { let ch = false; for (let s = 0; s < steps; s++) if (pred[k * steps + s] !== k) ch = true; if (ch) leaked++; }
  const n = names[d];
  rows.push({ dim: d + 1, kl: +rep.klPerDim[d].toFixed(3), leak: leaked / K, name: n.suggestion, r: +n.correlation.toFixed(2), best: n.strongest, rbest: +n.correlations[n.strongest].toFixed(2), slant: +n.correlations.slant.toFixed(2), thick: +n.correlations.thickness.toFixed(2), width: +n.correlations.width.toFixed(2) });
}
rows.sort((a, b) => b.kl - a.kl);
console.table(rows);
console.log(JSON.stringify({ run: runDir, negElbo: +rep.negElbo.toFixed(2), accuracy: rep.accuracy, activeStyle: rows.filter((r) => r.kl > 0.1).length, leakyActive: rows.filter((r) => r.kl > 0.1 && r.leak > 0.05).length, bestSlant: Math.max(...rows.map((r) => Math.abs(r.slant))), bestThick: Math.max(...rows.map((r) => Math.abs(r.thick))) }));
