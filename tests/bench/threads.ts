// Training on N threads against one thread, in this same process: the lectures' MLP VAE (batch 128,
// 28x28) and the conv VAE (filters 32, 32, 64, 64) at 64x64 RGB (batch 128). Prints images/s for 1 and
// N threads (N = LATENT_EXPLORER_THREADS or the core count) and their ratio, for the route training takes
// (the native kernels split over N threads where they run) and for data-parallel workers. For the MLP VAE's
// fused step, also its N parts run one after another on one thread: the split's own cost, and so the most
// N free cores could give it.
// Rounds alternate 1 and N threads so that load from other processes falls on both alike. Then the
// same two models in PyTorch (tests/bench/torch_reference.py, Debian's python3-torch), when installed,
// and our images/s as a ratio of PyTorch's; and on WebGPU, where Dawn finds an adapter (else why not).
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { swiftshaderEnv } from '../unit/helpers/swiftshader.ts';
import { median, medianRoundTrip, roundsByPlacement } from './_placement.ts';
import { initBackend } from '../../electron/engine/backend.ts';
import { defaultModelConfig, type ModelConfig } from '../../models/config.ts';
import { VaeModel } from '../../models/vae.ts';
import { createStepper, type Stepper } from '../../electron/engine/training/parallel/stepper.ts';
import { imagesPerPass, passContext, trainingThreads, type ThreadRoute } from '../../electron/engine/training/parallel/threads.ts';
import { coreRoundTrip, kernelPlacement, nativeKernelsStatus, setNativeThreads } from '../../models/native/kernels.ts';
import { fusedStep, fusedStepCovers } from '../../models/native/mlp-vae.ts';

const threads = Number(process.env.LATENT_EXPLORER_THREADS) || Math.max(2, availableParallelism());
// The CPU route, whatever else the machine has (a GPU's figures come from a process of their own, below);
// LATENT_EXPLORER_BACKEND chooses another rung.
process.env.LATENT_EXPLORER_BACKEND ||= 'wasm';
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
  // One thread; N threads the way training uses them (inside the native kernels where they run, else
  // data-parallel workers); and, where the kernels run, N data-parallel workers too, to show the choice.
  const native = nativeKernelsStatus().loaded && info.backend === 'wasm';
  const chosen: ThreadRoute = trainingThreads(threads, config, info.backend, B, { nativeKernels: native, cores: threads }).route ?? 'data-parallel';
  const routes: ThreadRoute[] = native ? [chosen, chosen === 'kernels' ? 'data-parallel' : 'kernels'] : ['data-parallel'];
  const models = Array.from({ length: routes.length + 1 }, () => VaeModel.create(config));
  // in passes where training takes them (big conv batches, to bound memory), as job.ts does: one pass at a
  // time on one thread and on kernel threads, one per thread at once for data-parallel workers
  const passes = (route?: ThreadRoute) => ({ imagesPerPass: imagesPerPass(config, B, info.backend, passContext({ threads: route ? threads : 1, route }, native)), maxImages: B });
  const single = await createStepper(models[0], 1, passes());
  if (passes().imagesPerPass) console.log(`  one thread: each step in passes of at most ${passes().imagesPerPass} images, as training takes it`);
  const others: Stepper[] = [];
  for (const [i, route] of routes.entries()) {
    setNativeThreads(1);
    others.push(await createStepper(models[i + 1], threads, { route, ...passes(route) }));
  }
  const labels = routes.map((r, i) => `${r === 'kernels' ? 'native kernels' : 'data-parallel'}${i === 0 ? ' (what training uses)' : ''}`);
  for (const s of others) if (s.note) console.log(`  ${s.note}`);
  // The fused MLP step's N parts run one after another on one thread: the split's own cost (each share of
  // rows reads every kernel, and so on), apart from what a second core adds or takes away.
  const splitModel = native && fusedStep.enabled && fusedStepCovers(config) ? VaeModel.create(config) : undefined;
  const split = splitModel ? await createStepper(splitModel, 1, passes()) : undefined;
  const inParts = async <T>(f: () => Promise<T>) => {
    fusedStep.parts = threads;
    try {
      return await f();
    } finally {
      fusedStep.parts = 0;
    }
  };
  if (split) await inParts(() => rate(split, x, shape, 1, 0));
  // Kernel threads belong to the calling JS thread: set them before each of that stepper's rounds.
  const useKernels = (on: boolean) => setNativeThreads(on ? threads : 1);
  for (const [i, s] of [single, ...others].entries()) {
    useKernels(i > 0 && routes[i - 1] === 'kernels');
    await rate(s, x, shape, 1, 0); // warm-up
  }
  const r1: number[] = [];
  const rs: number[] = [];
  const rn: number[][] = others.map(() => []);
  // Where the two cores sit, before and after each round of N threads (_placement.ts). Rounds of
  // data-parallel workers are measured too, through a kernel thread started for the measure alone: the
  // host places the vCPUs, whichever thread runs on them.
  const trips: number[][] = others.map(() => []);
  const trip = (kernels: boolean) => {
    if (!kernels) setNativeThreads(threads);
    try {
      return medianRoundTrip(() => coreRoundTrip(400));
    } finally {
      if (!kernels) setNativeThreads(1);
    }
  };
  // fused MLP steps that took their cores as far and evicted the kernels before Adam (kernelPlacement), per round
  const evicted: number[][] = others.map(() => []);
  const evictedSoFar = () => kernelPlacement()?.evictedSteps ?? 0;
  // Each round's timed steps follow one untimed step of the same stepper: training runs its steps back to
  // back, and a stepper taken up again after the others' rounds (~2 s for the conv VAE) pays for its idle
  // threads once (a data-parallel step of the conv VAE took ~270 ms against ~200 in the steps after it,
  // while one thread's first step ran at its usual pace).
  const resume = (s: Stepper, r: number) => s.step(x, shape, undefined, 5 + r);
  for (let r = 0; r < rounds; r++) {
    useKernels(false);
    await resume(single, r);
    r1.push(await rate(single, x, shape, steps, 10 + r));
    if (split)
      rs.push(
        await inParts(async () => {
          await resume(split, r);
          return rate(split, x, shape, steps, 10 + r);
        }),
      );
    for (const [i, s] of others.entries()) {
      useKernels(routes[i] === 'kernels');
      const kernels = routes[i] === 'kernels';
      const before = trip(kernels);
      await resume(s, r);
      const evictedBefore = evictedSoFar();
      rn[i].push(await rate(s, x, shape, steps, 10 + r));
      evicted[i].push(evictedSoFar() - evictedBefore);
      trips[i].push(Math.max(before, trip(kernels)));
    }
  }
  useKernels(false);
  const best = (a: number[]) => Math.max(...a);
  ours[key] = { one: best(r1), many: best(rn[0]) };
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  console.log(`${name}: 1 thread ${Math.round(best(r1))} images/s (mean ${Math.round(mean(r1))})`);
  if (split) {
    // the split's speed as a share of one part's
    const splitSpeed = median(rs.map((v, k) => v / r1[k]));
    console.log(
      `  the ${threads}-thread step's ${threads} parts one after another on 1 thread: ${Math.round(best(rs))} images/s (mean ${Math.round(mean(rs))}); ` +
        `the split itself costs ${((1 / splitSpeed - 1) * 100).toFixed(1)}% (median of rounds), so ${threads} free cores could reach at most ${(threads * splitSpeed).toFixed(2)}x`,
    );
  }
  const cpu = (s: Stepper) => cpuPerImage.get(s)!.cpu / cpuPerImage.get(s)!.images;
  for (const [i, s] of others.entries()) {
    const efficiency = cpu(single) / cpu(s);
    console.log(
      `  ${threads} threads, ${labels[i]}: ${Math.round(best(rn[i]))} images/s (mean ${Math.round(mean(rn[i]))}); ratio best ${(best(rn[i]) / best(r1)).toFixed(2)}x, ` +
        `per round ${rn[i].map((v, k) => (v / r1[k]).toFixed(2)).join(' ')} (median ${median(rn[i].map((v, k) => v / r1[k])).toFixed(2)}); CPU time per image ${(cpu(single) * 1e3).toFixed(2)} -> ${(cpu(s) * 1e3).toFixed(2)} ms, ` +
        `efficiency ${efficiency.toFixed(2)} (${(threads * efficiency).toFixed(2)}x on ${threads} free cores)`,
    );
    if (trips[i].some((t) => t > 0)) {
      console.log(`    ${roundsByPlacement(rn[i].map((v, k) => v / r1[k]), trips[i])}`);
      if (evicted[i].some((n) => n > 0))
        console.log(`    fused steps that found the cores far and evicted the kernels before Adam, per round of ${steps}: ${evicted[i].join(' ')}`);
    }
    if (s.phases) {
      const p = s.phases;
      const total = Object.values(p).reduce((a, v) => a + v, 0);
      const lent = (s as { lentParts?: number }).lentParts;
      console.log(
        `    training thread, share of wall time: ${Object.entries(p).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(0)}%`).join(', ')}` +
          (lent !== undefined ? `; kernel parts run by a waiting thread: ${lent}` : ''),
      );
    }
  }
  for (const s of [single, ...others]) await s.dispose();
  if (split) await split.dispose();
  splitModel?.dispose();
  for (const m of models) m.dispose();
}

// Twelve and nine rounds (six and five until 6 December): on this shared machine single rounds of two
// threads range ~1.2-1.9x one, and the median of six moved by ±0.05 from run to run.
await compare('mlp', 'MLP VAE 784-256-64-2, batch 128', defaultModelConfig({ latent: 2 }), 100, 12);
await compare('conv', 'conv VAE 32-32-64-64, 64x64 RGB, batch 128', defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 }), 3, 9);

// PyTorch reference: Debian's python3-torch lives in /usr/bin/python3's dist-packages.
// Else the first python3 on the PATH (a virtual environment's pip torch, say) that runs the script.
const pythons = ['/usr/bin/python3', 'python3'].filter((p) => p === 'python3' || existsSync(p));
const script = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
for (const t of [1, threads]) {
  let line: string | undefined;
  const failures: string[] = [];
  for (const python of pythons) {
    const r = spawnSync(python, [script, String(t)], { encoding: 'utf8' });
    line = r.status === 0 ? r.stdout.trim().split('\n').pop() : undefined;
    if (line) break;
    failures.push(`${python}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  }
  if (!line) {
    console.log(`PyTorch reference skipped: no python3 could run it (${failures.join('; ')}); install python3-torch to compare`);
    break;
  }
  const torch = JSON.parse(line) as { torch: string; threads: number; mlp: number; conv: number; blas: string[] };
  // Debian's python3-torch takes whatever libblas.so.3 is installed: the reference BLAS unless OpenBLAS is.
  if (t === 1) {
    const openblas = torch.blas.some((p) => p.includes('openblas'));
    console.log(`PyTorch's BLAS: ${torch.blas.join(', ') || 'none found'}${openblas ? '' : ' -- NOT OpenBLAS: the reference BLAS makes PyTorch ~10x slower; install libopenblas0-pthread for a fair comparison'}`);
  }
  const ourRate = (k: 'mlp' | 'conv') => (t === 1 ? ours[k].one : ours[k].many);
  console.log(
    `PyTorch ${torch.torch} CPU, ${t} thread${t > 1 ? 's' : ''}: MLP ${Math.round(torch.mlp)} images/s (ours on ${t}: ${Math.round(ourRate('mlp'))}, ratio ${(ourRate('mlp') / torch.mlp).toFixed(2)}x), ` +
      `conv ${Math.round(torch.conv)} images/s (ours on ${t}: ${Math.round(ourRate('conv'))}, ratio ${(ourRate('conv') / torch.conv).toFixed(2)}x)`,
  );
}
// WebGPU beside the CPU, where Dawn finds an adapter (tests/bench/_backend-rate.ts, its own process), as
// training takes it: one thread, whole batches.
// Where Dawn finds no adapter of the machine's own, SwiftShader's (the CPU emulating a GPU, from Debian's
// Chromium; tests/unit/helpers/swiftshader.ts) shows the path works: the line then says so. It runs one
// short round there (a conv step of 128 images takes SwiftShader about two minutes).
const gpuRate = (extra: Record<string, string>, args: string[] = []) => {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('./_backend-rate.ts', import.meta.url)), 'webgpu', ...args], { encoding: 'utf8', env: { ...process.env, ...extra, LATENT_EXPLORER_BACKEND: 'webgpu' } });
  return { run, line: run.status === 0 ? run.stdout.trim().split('\n').pop() : undefined };
};
type GpuRate = { ok: boolean; label?: string; reason?: string; mlp?: number; conv?: number };
let gpu = gpuRate({});
let gpuNote = '';
const own = gpu.line ? (JSON.parse(gpu.line) as GpuRate) : undefined;
const software = swiftshaderEnv();
if (own && !own.ok && software) {
  gpu = gpuRate(software, ['--steps-scale', '0.2', '--rounds', '1']);
  gpuNote = ` (this machine's own: ${own.reason}; on SwiftShader, a software adapter from Chromium: the CPU emulating a GPU, one short round)`;
}
const gpuLine = gpu.line;
const gpuRateText = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toPrecision(2));
const gpuRatio = (v: number) => (v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));
if (!gpuLine) console.log(`WebGPU not measured: the run failed (${(gpu.run.stderr || gpu.run.error?.message || '').trim().split('\n').pop()})`);
else {
  const g = JSON.parse(gpuLine) as GpuRate;
  if (!g.ok) console.log(`WebGPU not measured here${gpuNote}: ${g.reason}`);
  else
    console.log(
      `${g.label}${gpuNote}: MLP ${gpuRateText(g.mlp!)} images/s (${gpuRatio(g.mlp! / ours.mlp.one)}x ours on 1 thread, ${gpuRatio(g.mlp! / ours.mlp.many)}x on ${threads}), ` +
        `conv ${gpuRateText(g.conv!)} images/s (${gpuRatio(g.conv! / ours.conv.one)}x ours on 1 thread, ${gpuRatio(g.conv! / ours.conv.many)}x on ${threads})`,
    );
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}; tensors left ${tf.memory().numTensors}`);
