// Training speed of the lectures' MLP VAE (2-D latent, batch 128, M = 1) on the backend in use, against
// reference runs in this same process: the same step on the plain-JS cpu backend, and the same step on
// wasm with TF.js's own transposed-matmul kernels (what the patch in models/wasm-kernels.ts replaces).
// Also prints where the time of one step goes, by kernel, so it is clear what limits the speed.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { pixelsToTensor } from '../../models/pixels.ts';
import { patchWasmKernels, restoreWasmKernels } from '../../models/wasm-kernels.ts';

const BATCH = 128;
const ds = loadSampleMnist();
const indices = Array.from({ length: BATCH }, (_, i) => i);

/** Samples per second over `steps` steps after `warmup` steps (fresh model, fixed batch). */
async function measure(steps: number, warmup = 3, afterCreate?: () => void): Promise<number> {
  const model = VaeModel.create(defaultModelConfig({ latent: 2 })); // (creating a model applies the wasm patch)
  afterCreate?.();
  const x = pixelsToTensor(ds.images.pixels, indices, 28, 1, 0.5);
  for (let i = 0; i < warmup; i++) await model.trainStep(x, undefined, i);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainStep(x, undefined, warmup + i);
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  model.dispose();
  return (steps * BATCH) / seconds;
}

async function kernelBreakdown(): Promise<string> {
  const model = VaeModel.create(defaultModelConfig({ latent: 2 }));
  const x = pixelsToTensor(ds.images.pixels, indices, 28, 1, 0.5);
  for (let i = 0; i < 3; i++) await model.trainStep(x, undefined, i);
  const t0 = performance.now();
  const profile = await tf.profile(async () => {
    await model.trainStep(x, undefined, 99);
  });
  const wall = performance.now() - t0;
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  x.dispose();
  model.dispose();
  const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return `  one step: ${profile.kernels.length} kernel calls, ${total.toFixed(1)} ms in kernels (${wall.toFixed(1)} ms with profiling)\n` + top.map(([n, ms]) => `    ${n.padEnd(16)} ${ms.toFixed(1).padStart(6)} ms  ${((100 * ms) / total).toFixed(0)}%`).join('\n');
}

const info = await initBackend();
const backend = tf.getBackend();
console.log(`MLP VAE (784-256-64-2 / 2-64-256-784), batch ${BATCH}, backend ${info.label}; machine shared with other developers, 2 cores`);
const main = await measure(60);
console.log(`  ${backend}: ${Math.round(main)} samples/s`);
console.log(await kernelBreakdown());

if (backend === 'wasm') {
  // Reference 1: the same step with TF.js's own wasm kernels (transposed products in BatchMatMul).
  const unpatched = await measure(15, 2, restoreWasmKernels);
  patchWasmKernels();
  console.log(`  wasm with TF.js's own transposed-matmul kernels (reference, same process): ${Math.round(unpatched)} samples/s; patched/unpatched ${(main / unpatched).toFixed(1)}x`);
}

// Reference 2: the same step on the plain-JS cpu backend.
await tf.setBackend('cpu');
await tf.ready();
const cpu = await measure(6, 1);
console.log(`  cpu (reference, same process): ${Math.round(cpu)} samples/s`);
console.log(`  ratio ${backend}/cpu: ${(main / cpu).toFixed(1)}x`);
