// Benchmark of the UMAP layout (projections/umap.ts: umap-js with our neighbour graph) on PCA-50 of the
// bundled 10,000 sample digits: wall time and 10-NN leave-one-out class accuracy of the 2-D layout,
// against, in the same process, (a) umap-js with its own NN-descent (the library as shipped) and (b)
// the app's t-SNE (perplexity 30, 1,000 iterations, worker runner).
// Usage: node --import tsx tests/bench/umap.ts [--sizes 2000,10000] [--skip-tsne] [--library-first]
import { loadavg } from 'node:os';
import { UMAP } from 'umap-js';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { umap } from '../../electron/engine/projections/umap.ts';
import { runTsne } from '../../electron/engine/projections/tsne-runner.ts';
import { knnAccuracy } from '../../electron/engine/projections/quality.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

const args = process.argv.slice(2);
const sizesArg = args.indexOf('--sizes');
const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(',').map(Number) : [2000, 10000];
const skipTsne = args.includes('--skip-tsne');

const ds = loadSampleMnist();
const all = pca(ds.images.pixels, 10_000, 784, 50).projected;
const labels = ds.images.labels;
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores, shared)`);

for (const n of sizes) {
  const data = Float32Array.from(all.subarray(0, n * 50));
  const lab = labels.subarray(0, n);
  // Wall time, and CPU time of the process (all its threads): the fairer figure on a shared machine.
  const time = async (fn: () => Float32Array | Promise<Float32Array>) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const coords = await fn();
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, accuracy: knnAccuracy(coords, n, 2, lab) };
  };
  let first: Float32Array | null = null;
  // --library-first: the reference runs first (JIT warm-up and load then favour ours, not it).
  const libraryFirst = args.includes('--library-first');
  const runLibrary = () =>
    time(() => {
      const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * 50, (i + 1) * 50)));
      const m = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: mulberry32(1) });
      const e = m.fit(rows);
      return Float32Array.from(e.flat());
    });
  const early = libraryFirst ? await runLibrary() : null;
  const ours = await time(() => (first = umap(data, n, 50, { seed: 1 })));
  // Same seed, same layout (checked once more only where it is cheap).
  const repeatable = n <= 2000 ? String(umap(data, n, 50, { seed: 1 }).every((v, i) => v === first![i])) : 'not checked at this size';
  const library = early ?? (await runLibrary());
  console.log(`N = ${n.toLocaleString()}`);
  console.log(`  UMAP (umap-js, our kNN graph)    ${ours.seconds.toFixed(1).padStart(6)} s wall, ${ours.cpu.toFixed(1).padStart(6)} s CPU  10-NN accuracy ${ours.accuracy.toFixed(3)}  (same seed, same layout: ${repeatable})`);
  console.log(`  umap-js with its own NN-descent  ${library.seconds.toFixed(1).padStart(6)} s wall, ${library.cpu.toFixed(1).padStart(6)} s CPU  10-NN accuracy ${library.accuracy.toFixed(3)}  (CPU ratio ${(library.cpu / ours.cpu).toFixed(2)}x ours${libraryFirst ? '; ran first' : '; ran second'})`);
  if (!skipTsne) {
    const t = await time(() => runTsne(data, n, 50, { perplexity: 30, iterations: 1000, seed: 1 }, () => {}));
    console.log(`  t-SNE (app, 1,000 iterations)    ${t.seconds.toFixed(1).padStart(6)} s wall, ${t.cpu.toFixed(1).padStart(6)} s CPU  10-NN accuracy ${t.accuracy.toFixed(3)}`);
  }
}
