// Training images/s of the two models of tests/bench/threads.ts on one named TF.js rung, in a process of its
// own (a process takes one backend: the threads bench keeps the CPU's). Prints one JSON line:
//   { backend, label, ok: true, mlp, conv } where the rung started, else { backend, ok: false, reason }.
//   node --import tsx tests/bench/_backend-rate.ts webgpu [--steps-scale s] [--rounds n]
// The steps go the way training takes them (job.ts): trainingThreads' thread count for this backend (one
// for a GPU) and, on wasm, big conv batches in passes (imagesPerPass).
import { availableParallelism } from 'node:os';
import { initBackend } from '../../electron/engine/backend.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { createStepper } from '../../electron/engine/training/parallel/stepper.ts';
import { imagesPerPass, passContext, trainingThreads } from '../../electron/engine/training/parallel/threads.ts';
import { nativeKernelsStatus } from '../../models/native/kernels.ts';

const rung = process.argv[2];
if (!rung) throw new Error('usage: _backend-rate.ts <webgpu|wasm|cpu|tensorflow>');
const scaleAt = process.argv.indexOf('--steps-scale');
const scale = scaleAt > 0 ? Number(process.argv[scaleAt + 1]) : 1;
const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3;
process.env.LATENT_EXPLORER_BACKEND = rung;
const info = await initBackend();
if (info.backend !== rung) {
  const attempt = info.attempts.find((a) => a.name === rung);
  console.log(JSON.stringify({ backend: rung, ok: false, reason: attempt?.reason ?? `the ladder started ${info.backend} instead` }));
  process.exit(0);
}

const B = 128;

/** Best images/s over `rounds` rounds of `steps` steps, after one warm-up step. */
async function imagesPerSecond(config: ModelConfig, steps: number, rounds: number): Promise<number> {
  const shape: [number, number, number, number] = [B, config.imageSize, config.imageSize, config.channels];
  const x = new Float32Array(shape.reduce((a, d) => a * d, 1)).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const model = VaeModel.create(config);
  const nativeKernels = info.backend === 'wasm' && nativeKernelsStatus().loaded;
  const threads = trainingThreads(availableParallelism(), config, info.backend, B, { nativeKernels });
  // passes as job.ts takes them
  const passes = imagesPerPass(config, B, info.backend, passContext(threads, nativeKernels));
  const stepper = await createStepper(model, threads.threads, { route: threads.route, imagesPerPass: passes, maxImages: B });
  try {
    await stepper.step(x, shape, undefined, 0);
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await stepper.step(x, shape, undefined, 1 + r * steps + i);
      best = Math.max(best, (steps * B * 1000) / (performance.now() - t0));
    }
    return best;
  } finally {
    await stepper.dispose();
    model.dispose();
  }
}

const mlp = await imagesPerSecond(defaultModelConfig({ latent: 2 }), Math.max(1, Math.round(50 * scale)), rounds);
const conv = await imagesPerSecond(defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 }), Math.max(1, Math.round(5 * scale)), rounds);
console.log(JSON.stringify({ backend: rung, label: info.label, ok: true, mlp, conv }));
