// Where a training step's time goes: milliseconds per kernel (by name, or by name and input shapes), and
// what is left outside the kernels (TF.js's bookkeeping: tape, scopes, tensor tracking). Used to find what
// to make native next and what stays serial when kernels are split over threads.
//   node --import tsx tests/bench/step-profile.ts [mlp|conv] [--threads T] [--passes] [--shapes]
// --threads T splits the native kernels over T threads (the route training takes with them); --passes
// computes big conv batches in passes as training does (imagesPerPass). PROFILE_STEPS=n times n steps
// (default 50 MLP, 4 conv; single kernels' figures settle only over hundreds); TRACE="<kernel> <shapes>"
// prints every matching call's time and attributes.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../electron/engine/backend.ts';
import { defaultModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { createStepper } from '../../electron/engine/training/parallel/stepper.ts';
import { imagesPerPass } from '../../electron/engine/training/parallel/threads.ts';
import { nativeKernelsStatus, setNativeThreads } from '../../models/native/kernels.ts';

const args = process.argv.slice(2);
const arch = args.includes('conv') ? 'conv' : 'mlp';
const threads = Number(args[args.indexOf('--threads') + 1]) || 1;
const byShape = args.includes('--shapes');
const info = await initBackend();
const config = arch === 'conv' ? defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 }) : defaultModelConfig({ latent: 2 });
const B = 128;
const shape: [number, number, number, number] = [B, config.imageSize, config.imageSize, config.channels];
const x = new Float32Array(shape.reduce((a, d) => a * d, 1)).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const model = VaeModel.create(config);
const perPass = args.includes('--passes') ? imagesPerPass(config, B, info.backend, { nativeKernels: nativeKernelsStatus().loaded }) : undefined;
const stepper = await createStepper(model, 1, perPass ? { imagesPerPass: perPass, maxImages: B } : {});
const used = setNativeThreads(threads);

// every wasm kernel wrapped in a timer (TF.js looks kernels up on each call)
const times = new Map<string, { ms: number; calls: number }>();
let profiling = false;
for (const k of tf.getKernelsForBackend(tf.getBackend())) {
  const run = k.kernelFunc as (a: unknown) => tf.TensorInfo;
  tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel({
    ...k,
    kernelFunc: ((a: { inputs: Record<string, tf.TensorInfo | undefined> }) => {
      if (!profiling) return run(a);
      const t0 = performance.now();
      try {
        return run(a);
      } finally {
        const key = byShape ? `${k.kernelName} ${Object.values(a.inputs).map((t) => t?.shape.join('x') ?? '-').join(' ')}` : k.kernelName;
        const e = times.get(key) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        if (process.env.TRACE && key.startsWith(process.env.TRACE)) console.log('trace', key, (performance.now() - t0).toFixed(2), JSON.stringify((a as { attrs?: unknown }).attrs));
        e.calls++;
        times.set(key, e);
      }
    }) as unknown as tf.KernelFunc,
  });
}
const steps = Number(process.env.PROFILE_STEPS) || (arch === 'conv' ? 4 : 50); // PROFILE_STEPS was documented above and not read
const timeSteps = async () => {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await stepper.step(x, shape, undefined, i);
  return (performance.now() - t0) / steps;
};
for (let i = 0; i < (arch === 'conv' ? 3 : 100); i++) await stepper.step(x, shape, undefined, i); // past V8's tiering
const plain = await timeSteps();
profiling = true;
const wall = await timeSteps();
profiling = false;
const rows = [...times].map(([k, v]) => ({ k, ms: v.ms / steps, calls: v.calls / steps })).sort((a, b) => b.ms - a.ms);
const inKernels = rows.reduce((a, r) => a + r.ms, 0);
console.log(`${arch} VAE, batch ${B}${perPass ? ` in passes of at most ${perPass}` : ''}, ${info.label}, ${used} thread${used > 1 ? 's' : ''}`);
console.log(`step ${plain.toFixed(2)} ms (${wall.toFixed(2)} ms with the timers): ${inKernels.toFixed(2)} ms in ${rows.reduce((a, r) => a + r.calls, 0)} kernel calls, ${(wall - inKernels).toFixed(2)} ms outside them`);
if (stepper.phases) {
  const total = Object.values(stepper.phases).reduce((a, v) => a + v, 0);
  console.log(`phases of the passes' stepper: ${Object.entries(stepper.phases).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`).join(', ')}`);
}
for (const r of rows.slice(0, 40)) console.log(`  ${r.k.padEnd(byShape ? 48 : 24)} ${r.ms.toFixed(3).padStart(8)} ms  ${r.calls} calls`);
setNativeThreads(1);
await stepper.dispose();
model.dispose();
