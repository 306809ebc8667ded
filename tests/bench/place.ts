// Placing new points on an existing t-SNE map (issue 18: 1,000 on a 10,000-point map in <= 2 s).
// Map: t-SNE of 10,000 Fashion-MNIST training images (PCA-50, perplexity 30). New points: 1,000 test
// images, placed from their neighbours then 100 steps with the map held fixed (placement.ts).
// Quality: 10-NN class accuracy of the placed points among the map's points, next to the map's own
// leave-one-out 10-NN accuracy, and next to placing by the neighbour average alone (0 steps).
// With --umap, the same on a UMAP map of the same 10,000 images (umap-placement.ts; 200 epochs, so
// the placement runs 66).
import { loadavg } from 'node:os';
import { runTsne } from '../../electron/engine/projections/tsne-runner.ts';
import { placeOnTsne } from '../../electron/engine/projections/placement.ts';
import { placeOnUmap } from '../../electron/engine/projections/umap-placement.ts';
import { umap } from '../../electron/engine/projections/umap.ts';
import { nearestRows } from '../../electron/engine/projections/neighbours.ts';
import { knnAccuracy } from '../../electron/engine/projections/quality.ts';
import { fashionPca50 } from './_fashion.ts';

const fmt = (v: number, d = 2) => v.toFixed(d);

function placedAccuracy(layout: Float32Array, n: number, labels: Int32Array, placed: Float32Array, m: number, placedLabels: Int32Array): number {
  const knn = nearestRows(layout, n, placed, m, 2, 10);
  let correct = 0;
  for (let i = 0; i < m; i++) {
    const votes = new Int32Array(10);
    for (let t = 0; t < 10; t++) votes[labels[knn.indices[i * 10 + t]]]++;
    let best = 0;
    for (let c = 1; c < 10; c++) if (votes[c] > votes[best]) best = c;
    if (best === placedLabels[i]) correct++;
  }
  return correct / m;
}

async function main(): Promise<void> {
  console.log(`load average at start: ${loadavg().map((v) => fmt(v)).join(' ')} (2 cores)`);
  const f = fashionPca50();
  const n = 10_000;
  const m = 1_000;
  const map = f.data.subarray(0, n * 50);
  const labels = f.labels.subarray(0, n);
  const fresh = f.data.subarray(60_000 * 50, (60_000 + m) * 50);
  const freshLabels = f.labels.subarray(60_000, 60_000 + m);
  const layout = await runTsne(map, n, 50, { perplexity: 30, iterations: 1000, seed: 1 }, () => {});
  const own = knnAccuracy(layout, n, 2, labels);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const placed = placeOnTsne(map, layout, n, fresh, m, 50, { perplexity: 30 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const start = placeOnTsne(map, layout, n, fresh, m, 50, { perplexity: 30, iterations: 0 });
  console.log(`placing ${m} points on a ${n}-point t-SNE map: ${fmt(seconds)} s wall, ${fmt((cpu.user + cpu.system) / 1e6)} s CPU (target <= 2 s: ${seconds <= 2 ? 'ok' : 'MISSED'})`);
  console.log(`10-NN accuracy of the placed points: ${fmt(placedAccuracy(layout, n, labels, placed, m, freshLabels), 4)} (neighbour average alone ${fmt(placedAccuracy(layout, n, labels, start, m, freshLabels), 4)}; the map's own leave-one-out ${fmt(own, 4)})`);
  if (process.argv.includes('--umap')) {
    const map2 = umap(map, n, 50, { seed: 1 });
    const own2 = knnAccuracy(map2, n, 2, labels);
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const placed2 = placeOnUmap(map, map2, n, fresh, m, 50, { neighbours: 15, minDist: 0.1, epochs: 200, seed: 1 });
    const s2 = (performance.now() - t1) / 1000;
    const cpu2 = process.cpuUsage(c1);
    const start2 = placeOnUmap(map, map2, n, fresh, m, 50, { neighbours: 15, minDist: 0.1, epochs: 200, steps: 0, seed: 1 });
    console.log(`placing ${m} points on a ${n}-point UMAP map: ${fmt(s2)} s wall, ${fmt((cpu2.user + cpu2.system) / 1e6)} s CPU`);
    console.log(`10-NN accuracy of the placed points: ${fmt(placedAccuracy(map2, n, labels, placed2, m, freshLabels), 4)} (neighbour average alone ${fmt(placedAccuracy(map2, n, labels, start2, m, freshLabels), 4)}; the map's own leave-one-out ${fmt(own2, 4)})`);
  }
  console.log(`load average at end: ${loadavg().map((v) => fmt(v)).join(' ')}`);
}

await main();
