// Data-parallel training on worker threads against one thread, in this same process: the lectures' MLP
// VAE (batch 128, 28x28) and the conv VAE (filters 32, 32, 64, 64) at 64x64 RGB (batch 128). Prints
// images/s for 1 and N threads (N = LATENT_EXPLORER_THREADS or the core count) and their ratio.
// Rounds alternate 1 and N threads so that load from other processes falls on both alike. Then the
// same two models in PyTorch (tests/bench/torch_reference.py, Debian's python3-torch), when installed,
// and our images/s as a ratio of PyTorch's.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { initBackend } from '../../electron/engine/backend.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { createStepper, type Stepper } from '../../electron/engine/training/parallel/stepper.ts';

const threads = Number(process.env.LATENT_EXPLORER_THREADS) || Math.max(2, availableParallelism());
const info = await initBackend();
console.log(`backend ${info.label}; ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (machine shared with other work)`);

/** CPU seconds (all threads of the process) per image, summed over rounds, per stepper. */
const cpuPerImage = new Map<Stepper, { cpu: number; images: number }>();

async function rate(stepper: Stepper, x: Float32Array, shape: [number, number, number, number], steps: number, seed: number): Promise<number> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await stepper.step(x, shape, undefined, seed + i);
  const c = process.cpuUsage(c0);
  const acc = cpuPerImage.get(stepper) ?? { cpu: 0, images: 0 };
  acc.cpu += (c.user + c.system) / 1e6;
  acc.images += steps * shape[0];
  cpuPerImage.set(stepper, acc);
  return (steps * shape[0] * 1000) / (performance.now() - t0);
}

const ours: Record<'mlp' | 'conv', { one: number; many: number }> = { mlp: { one: 0, many: 0 }, conv: { one: 0, many: 0 } };

async function compare(key: 'mlp' | 'conv', name: string, config: ModelConfig, steps: number, rounds: number) {
  const B = 128;
  const shape: [number, number, number, number] = [B, config.imageSize, config.imageSize, config.channels];
  const x = new Float32Array(shape.reduce((a, d) => a * d, 1)).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const one = VaeModel.create(config);
  const many = VaeModel.create(config);
  const single = await createStepper(one, 1);
  const parallel = await createStepper(many, threads);
  if (parallel.note) console.log(`  ${parallel.note}`);
  await rate(single, x, shape, 1, 0); // warm-up
  await rate(parallel, x, shape, 1, 0);
  const r1: number[] = [];
  const rn: number[] = [];
  for (let r = 0; r < rounds; r++) {
    r1.push(await rate(single, x, shape, steps, 10 + r));
    rn.push(await rate(parallel, x, shape, steps, 10 + r));
  }
  const best = (a: number[]) => Math.max(...a);
  ours[key] = { one: best(r1), many: best(rn) };
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  console.log(
    `${name}: 1 thread ${Math.round(best(r1))} images/s (mean ${Math.round(mean(r1))}), ${parallel.threads} threads ${Math.round(best(rn))} images/s (mean ${Math.round(mean(rn))}); ` +
      `ratio best ${(best(rn) / best(r1)).toFixed(2)}x, per round ${rn.map((v, i) => (v / r1[i]).toFixed(2)).join(' ')}`,
  );
  const cpu = (s: Stepper) => cpuPerImage.get(s)!.cpu / cpuPerImage.get(s)!.images;
  const efficiency = cpu(single) / cpu(parallel);
  console.log(
    `  CPU time per image (all threads): 1 thread ${(cpu(single) * 1e3).toFixed(2)} ms, ${parallel.threads} threads ${(cpu(parallel) * 1e3).toFixed(2)} ms: ` +
      `parallel efficiency ${efficiency.toFixed(2)}, i.e. ${(parallel.threads * efficiency).toFixed(2)}x on ${parallel.threads} free cores`,
  );
  if (parallel.phases) {
    const p = parallel.phases;
    const total = Object.values(p).reduce((a, v) => a + v, 0);
    console.log(`  training thread, share of wall time: ${Object.entries(p).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(0)}%`).join(', ')}`);
  }
  await single.dispose();
  await parallel.dispose();
  one.dispose();
  many.dispose();
}

await compare('mlp', 'MLP VAE 784-256-64-2, batch 128', defaultModelConfig({ latent: 2 }), 20, 4);
await compare('conv', 'conv VAE 32-32-64-64, 64x64 RGB, batch 128', defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 }), 2, 3);

// PyTorch reference: Debian's python3-torch lives in /usr/bin/python3's dist-packages.
const python = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || existsSync(p))!;
const script = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
for (const t of [1, threads]) {
  const r = spawnSync(python, [script, String(t)], { encoding: 'utf8' });
  const line = r.status === 0 ? r.stdout.trim().split('\n').pop() : undefined;
  if (!line) {
    console.log(`PyTorch reference skipped: ${python} could not run it (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); install python3-torch to compare`);
    break;
  }
  const torch = JSON.parse(line) as { torch: string; threads: number; mlp: number; conv: number };
  const ourRate = (k: 'mlp' | 'conv') => (t === 1 ? ours[k].one : ours[k].many);
  console.log(
    `PyTorch ${torch.torch} CPU, ${t} thread${t > 1 ? 's' : ''}: MLP ${Math.round(torch.mlp)} images/s (ours on ${t}: ${Math.round(ourRate('mlp'))}, ratio ${(ourRate('mlp') / torch.mlp).toFixed(2)}x), ` +
      `conv ${Math.round(torch.conv)} images/s (ours on ${t}: ${Math.round(ourRate('conv'))}, ratio ${(ourRate('conv') / torch.conv).toFixed(2)}x)`,
  );
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}; tensors left ${tf.memory().numTensors}`);
