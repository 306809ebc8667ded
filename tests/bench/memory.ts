// Peak memory while training (issue 12, "big folders"): batches come from the uint8 store, so memory
// grows with the batch, not with a float copy of the data set. Two cases, each in this process:
//   - Fashion-MNIST's 70,000 images (28 px grey, 55 MB as uint8), the lectures' MLP VAE;
//   - 40,000 generated 64 px RGB images (491 MB as uint8), the conv VAE (filters 32, 32, 64, 64).
// Each on one thread, on every core (the default) and on 16 threads, each in a process of its own.
// Each trains 4,096 images and tests 1,000 (the rest stay in the store, unused, as a large folder's
// images would between batches), so the end-of-epoch test pass is in the measure too.
// Figure: the uint8 data set plus what training added (peak RSS, sampled every 20 ms, minus the RSS once
// the data set exists: building it here leaves garbage an import would not), against
// 1.5 × (uint8 data set + model), the model being its weights, gradients and Adam's two moments.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../electron/engine/backend.ts';
import type { Dataset } from '../../electron/engine/datasets/types.ts';
import { startTraining } from '../../electron/engine/training/job.ts';
import { modelConfigFor, type TrainSettings } from '../../electron/engine/training/settings.ts';
import { VaeModel } from '../../models/vae.ts';
import { defaultThreads, modelTrainingBytes } from '../../electron/engine/training/parallel/threads.ts';
import { FASHION_DIR, readIdx } from './_fashion.ts';

const info = await initBackend();
if (!process.argv.includes('--case')) console.log(`backend ${info.label}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const MB = 1024 * 1024;

function dataset(pixels: Uint8Array, count: number, size: number, channels: 1 | 3, labels: Int32Array): Dataset {
  // 4,096 train, 1,000 test, the rest unused (split 2)
  const split = Uint8Array.from({ length: count }, (_, i) => (i < 4096 ? 0 : i < 5096 ? 1 : 2));
  const classNames = Array.from({ length: 10 }, (_, k) => String(k));
  const options = { size, channels, fit: 'fill', invert: 'never', binarize: 'none', testFraction: 0.1, seed: 1 } as unknown as Dataset['options'];
  return {
    ref: `bench:${count}x${size}x${channels}`,
    options,
    images: { pixels, count, size, channels, labels, classNames, files: Array.from({ length: count }, (_, i) => `#${i}`), split },
    summary: {} as Dataset['summary'],
  };
}

function fashion(): Dataset | null {
  if (!existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'))) return null;
  const train = readIdx(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
  const test = readIdx(join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'));
  const trainLabels = readIdx(join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'));
  const testLabels = readIdx(join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'));
  const pixels = new Uint8Array(train.data.length + test.data.length);
  pixels.set(train.data);
  pixels.set(test.data, train.data.length);
  const labels = Int32Array.from([...trainLabels.data, ...testLabels.data]);
  return dataset(pixels, 70_000, 28, 1, labels);
}

function generatedRgb(count: number, size: number): Dataset {
  const pixels = new Uint8Array(count * size * size * 3);
  // smooth colour fields with a per-image phase: compressible-looking, not noise
  for (let i = 0, o = 0; i < count; i++) {
    const a = (i * 0.37) % 6.28;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++, o += 3) {
        pixels[o] = 128 + 100 * Math.sin(a + x / 9);
        pixels[o + 1] = 128 + 100 * Math.cos(a + y / 7);
        pixels[o + 2] = (x * y + i) & 255;
      }
  }
  return dataset(pixels, count, size, 3, Int32Array.from({ length: count }, (_, i) => i % 10));
}

async function measure(name: string, make: () => Dataset | null, settings: TrainSettings): Promise<void> {
  const ds = make();
  if (!ds) {
    console.log(`${name}: skipped (Fashion-MNIST not installed: apt-get install dataset-fashion-mnist)`);
    return;
  }
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const probe = VaeModel.create(modelConfigFor(settings, ds));
  const params = probe.trainableVariables().reduce((a, v) => a + v.size, 0);
  const modelBytes = modelTrainingBytes(probe); // as the training job counts it
  probe.dispose();
  const dataBytes = ds.images.pixels.byteLength;
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const dir = mkdtempSync(join(tmpdir(), 'le-memory-'));
  const t0 = performance.now();
  // the threads the run took, as its progress reports them (a worker that cannot start leaves one, with a note)
  let ran: { threads: number; note?: string } = { threads: 0 };
  try {
    const summary = await startTraining(ds, settings, join(dir, 'run'), { onProgress: (p) => (ran = { threads: p.threads ?? 1, note: p.threadsNote }) }).done;
    if (summary.status !== 'done') throw new Error(`training ended ${summary.status}: ${summary.message}`);
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  const grown = peak - before + dataBytes;
  const budget = 1.5 * (dataBytes + modelBytes);
  console.log(
    `${name}, ${ran.threads} thread${ran.threads === 1 ? '' : 's'}${ran.note ? ` (${ran.note})` : ''}: data set ${(dataBytes / MB).toFixed(0)} MB uint8, model ${(modelBytes / MB).toFixed(1)} MB (${params.toLocaleString('en')} parameters × weights, gradients, 2 moments); ` +
      `data set + training's peak growth ${(grown / MB).toFixed(0)} MB = ${(grown / (dataBytes + modelBytes)).toFixed(2)}× (target ≤ 1.5×, ${(budget / MB).toFixed(0)} MB) ` +
      `${grown <= budget ? 'MET' : 'NOT MET'}; one epoch of 4,096 images in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const base: TrainSettings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 128, lr: 1e-3, seed: 1, threads: 1 };
const cases = {
  mlp: () => measure('Fashion-MNIST 70,000 × 28 px grey, MLP VAE', fashion, { ...base, threads }),
  conv: () => measure('generated 40,000 × 64 px RGB, conv VAE', () => generatedRgb(40_000, 64), { ...base, arch: 'conv', latent: 32, likelihood: 'gaussian', threads }),
};
const caseAt = process.argv.indexOf('--case');
const MANY_CORES = 16;
const threads = Number(process.argv[process.argv.indexOf('--threads') + 1]) || 1;
if (caseAt > 0) {
  await cases[process.argv[caseAt + 1] as keyof typeof cases]();
} else {
  // Each case on one thread, on the default (every core: what a user's run takes) and on 16 (a laptop of
  // 8-16 cores, whose run chooses its route by memory: threads.ts workersThatFit; memory does not need the
  // cores), each in a process of its own: the wasm heap never shrinks, so a run after another would find its
  // memory already grown.
  const counts = [...new Set([1, defaultThreads({}).threads, MANY_CORES])];
  const failed: string[] = [];
  for (const name of Object.keys(cases))
    for (const t of counts) {
      console.log(`-- ${name}, ${t} thread${t > 1 ? 's' : ''}:`);
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', name, '--threads', String(t)], { stdio: 'inherit' });
      if (r.status !== 0) failed.push(`${name} on ${t}`);
    }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (failed.length) {
    console.log(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}
