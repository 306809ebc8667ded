// Benchmark: a 10-dimension × 30-frame traversal GIF of 28 px images at scale 4 (target ≤ 1 s), from
// a loaded run to the GIF's bytes: decoding 300 images, the labelled grid, one shared palette, LZW.
// Reference, same process and same frames: the straightforward encoder that maps every upscaled frame
// to the palette and compresses every displayed frame (no native-size mapping, no reuse on the way back).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gifencModule from 'gifenc';
import { useWasm } from '../unit/helpers/tf.ts';
import { mnistSlice } from '../unit/exports-fixture.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { openExportSource } from '../../electron/engine/exports/source.ts';
import { produceExport } from '../../electron/engine/exports/exporter.ts';
import { traversalPlan } from '../../electron/engine/exports/grids.ts';
import { sharedPalette } from '../../electron/engine/exports/gif.ts';
import { renderFrame } from '../../electron/engine/exports/layout.ts';
import { resolveOptions } from '../../electron/engine/exports/options.ts';

type Gifenc = typeof gifencModule.default;
const gifenc = [gifencModule, (gifencModule as unknown as { default?: unknown }).default].find((c) => typeof (c as Partial<Gifenc>)?.quantize === 'function') as Gifenc;

const TARGET_S = 1;
const REPEATS = 5;

await useWasm();
const root = mkdtempSync(join(tmpdir(), 'le-bench-exports-'));
try {
  const dataset = mnistSlice(1000);
  const runDir = join(root, 'run');
  await startTraining(dataset, { model: 'vae', arch: 'mlp', latent: 10, epochs: 1, batchSize: 100, lr: 2e-3, seed: 1 }, runDir).done;
  const source = await openExportSource(runDir, dataset.images);
  const options = { dims: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], frames: 30, scale: 4, labels: true, pingPong: true };

  const ours = async () => {
    const t = performance.now();
    const result = await produceExport(source, { kind: 'traversal-gif', options });
    return { seconds: (performance.now() - t) / 1000, bytes: result.data!.length, frames: result.frames, size: `${result.width}x${result.height}` };
  };

  const reference = async () => {
    const t = performance.now();
    const plan = await traversalPlan(source, resolveOptions('traversal-gif', options, source.run));
    const tiles = await plan.tiles(Array.from({ length: plan.frames }, (_, i) => i));
    const palette = sharedPalette(plan.layout, tiles);
    const gif = gifenc.GIFEncoder();
    const { width, height } = plan.layout;
    const rgba = new Uint8Array(width * height * 4);
    for (const f of plan.order) {
      const frame = renderFrame(plan.layout, tiles[f]);
      for (let p = 0; p < width * height; p++) {
        rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = frame[p];
        rgba[p * 4 + 3] = 255;
      }
      gif.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { palette, delay: plan.delayMs, repeat: 0 });
    }
    gif.finish();
    return { seconds: (performance.now() - t) / 1000, bytes: gif.bytes().length };
  };

  await ours(); // warm-up: fonts for the labels, JIT, TF.js kernels
  await reference();
  const oursRuns: number[] = [];
  const refRuns: number[] = [];
  let last = await ours();
  for (let i = 0; i < REPEATS; i++) {
    last = await ours();
    oursRuns.push(last.seconds);
    refRuns.push((await reference()).seconds);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const t = median(oursRuns);
  const r = median(refRuns);
  console.log(`traversal GIF, 10 dims x 30 frames (ping-pong: ${last.frames} frames shown), 28 px at scale 4 -> ${last.size} px, ${(last.bytes / 1024).toFixed(0)} KB`);
  console.log(`  export:    ${(t * 1000).toFixed(0)} ms (median of ${REPEATS}; target <= ${TARGET_S * 1000} ms)`);
  console.log(`  reference: ${(r * 1000).toFixed(0)} ms (every upscaled frame mapped and compressed)`);
  console.log(`  ratio export/reference: ${(t / r).toFixed(2)}`);
  source.loaded.dispose();
  if (t > TARGET_S) {
    console.log(`  FAIL: above the ${TARGET_S} s target`);
    process.exitCode = 1;
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
