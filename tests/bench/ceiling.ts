// What two cores can give at best: the same one-thread training run in one process alone, then in two
// processes side by side. Separate processes share nothing but the machine (no locks, no gradient sums,
// no TF.js bookkeeping on a common thread), so their summed images/s over one process's is the most any
// split of one run over two threads could reach here: the memory bandwidth, caches and clocks the two
// cores share. Models and batches as in threads.ts (MLP VAE, batch 128; conv VAE at 64x64 RGB in passes
// of 32). Rounds alternate alone and side by side, so load from other work falls on both alike.
// Then the machine's own stalls: a core kept busy with plain arithmetic, alone and beside another, and the
// time it loses in gaps over 0.3 ms. A step split over two threads waits for both, so a gap on either
// core is a gap in the step, where one thread alone loses only its own.
// Child mode: `ceiling.ts child <mlp|conv> <seconds>` trains for that long and prints its images/s;
// `ceiling.ts child stalls <seconds>` spins for that long and prints the gaps it saw.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { ENGINE_V8_FLAGS } from '../../electron/host/engine-flags.ts';
import { median, medianRoundTrip, roundsByPlacement } from './_placement.ts';

type Which = 'mlp' | 'conv' | 'stalls';

/** Waits for the parent's go (on stdin), so that every child of a round starts at once. */
async function ready() {
  process.stdout.write('ready\n');
  await new Promise((r) => process.stdin.once('data', r));
}

/** Arithmetic without allocation for `seconds`, timing each ~0.2 µs of it: the gaps are time the core was taken. */
async function stalls(seconds: number) {
  await ready();
  const gapMs = 0.3;
  const t0 = performance.now();
  let prev = t0;
  let lost = 0;
  let gaps = 0;
  let longest = 0;
  let x = 1;
  for (;;) {
    for (let i = 0; i < 64; i++) x = x * 1.0000001 + 1e-9;
    const now = performance.now();
    if (now - prev > gapMs) {
      lost += now - prev;
      gaps++;
      longest = Math.max(longest, now - prev);
    }
    prev = now;
    if (now - t0 > seconds * 1000) break;
  }
  process.stdout.write(`${JSON.stringify({ lost: lost / (prev - t0), gaps, longest, x })}\n`);
  process.exit(0);
}

async function child(which: Which, seconds: number) {
  if (which === 'stalls') return stalls(seconds);
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../../electron/engine/backend.ts');
  const { defaultModelConfig } = await import('../../models/config.ts');
  const { VaeModel } = await import('../../models/vae.ts');
  const { createStepper } = await import('../../electron/engine/training/parallel/stepper.ts');
  const { imagesPerPass } = await import('../../electron/engine/training/parallel/threads.ts');
  const { nativeKernelsStatus, setNativeThreads } = await import('../../models/native/kernels.ts');
  const info = await initBackend();
  setNativeThreads(1);
  const config = which === 'mlp' ? defaultModelConfig({ latent: 2 }) : defaultModelConfig({ arch: 'conv', imageSize: 64, channels: 3, latent: 32 });
  const B = 128;
  const shape: [number, number, number, number] = [B, config.imageSize, config.imageSize, config.channels];
  const x = new Float32Array(shape.reduce((a, d) => a * d, 1)).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const model = VaeModel.create(config);
  const stepper = await createStepper(model, 1, { imagesPerPass: imagesPerPass(config, B, info.backend, { nativeKernels: nativeKernelsStatus().loaded }), maxImages: B });
  await stepper.step(x, shape, undefined, 0); // warm-up
  await ready();
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await stepper.step(x, shape, undefined, images);
    images += B;
  }
  const rate = (images * 1000) / (performance.now() - t0);
  await stepper.dispose();
  model.dispose();
  process.stdout.write(`${JSON.stringify({ rate, tensors: tf.memory().numTensors })}\n`);
  process.exit(0);
}

/** Runs `count` children side by side for `seconds`; returns what each printed. */
async function together<T = { rate: number }>(which: Which, count: number, seconds: number): Promise<T[]> {
  const script = fileURLToPath(import.meta.url);
  const kids = Array.from({ length: count }, () =>
    spawn(process.execPath, [...ENGINE_V8_FLAGS, '--import', 'tsx', script, 'child', which, String(seconds)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = kids.map((k) => {
    let buf = '';
    const waiters: ((line: string) => void)[] = [];
    k.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        waiters.shift()?.(line);
      }
    });
    return () => new Promise<string>((r) => waiters.push(r));
  });
  await Promise.all(lines.map((line) => line()));
  const results = lines.map((line) => line());
  for (const k of kids) k.stdin.write('go\n');
  return (await Promise.all(results)).map((l) => JSON.parse(l) as T);
}

/**
 * Where the host put the two vCPUs (_placement.ts): round trips of a cache line between this process's
 * thread and a kernel thread started for the measure alone (ns; 0 without the native kernels).
 */
async function placement(): Promise<() => number> {
  // the addon itself: this process runs no TF.js backend for the kernels to be installed on
  const addon = (await import('../../models/native/kernels.ts')).loadedAddon();
  if (!addon) return () => 0;
  return () => {
    addon.setThreads(2);
    try {
      return medianRoundTrip(() => addon.coreRoundTrip?.(400) ?? 0);
    } finally {
      addon.setThreads(1);
    }
  };
}

async function main() {
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (machine shared with other work)`);
  const trip = await placement();
  const rounds = Number(process.env.CEILING_ROUNDS) || 3;
  for (const [which, name, seconds] of [
    ['mlp', 'MLP VAE 784-256-64-2, batch 128', 8],
    ['conv', 'conv VAE 32-32-64-64, 64x64 RGB, batch 128', 20],
  ] as const) {
    const ratios: number[] = [];
    const trips: number[] = [];
    const alone: number[] = [];
    const pair: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [one] = (await together(which, 1, seconds)).map((c) => c.rate);
      const before = trip();
      const two = (await together(which, 2, seconds)).map((c) => c.rate);
      trips.push(Math.max(before, trip()));
      alone.push(one);
      pair.push(two[0] + two[1]);
      ratios.push((two[0] + two[1]) / one);
      console.log(`  ${name}, round ${r + 1}: alone ${Math.round(one)} images/s; side by side ${two.map(Math.round).join(' + ')} = ${Math.round(two[0] + two[1])} (${ratios.at(-1)!.toFixed(2)}x; round trip ${trips.at(-1)!.toFixed(0)} ns)`);
    }
    const placed = trips.some((t) => t > 0) ? `; ${roundsByPlacement(ratios, trips)}` : '';
    console.log(`${name}: two one-thread processes side by side give ${median(ratios).toFixed(2)}x one alone (median of ${rounds} rounds; range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x): the most two threads can give this model here${placed}`);
  }
  type Stalls = { lost: number; gaps: number; longest: number };
  const describe = (s: Stalls) => `${(100 * s.lost).toFixed(2)} % of its time in ${s.gaps} gaps over 0.3 ms (longest ${s.longest.toFixed(1)} ms)`;
  const [alone] = await together<Stalls>('stalls', 1, 5);
  const pair = await together<Stalls>('stalls', 2, 5);
  console.log(`stalls: a busy core alone lost ${describe(alone)}; two busy cores side by side lost ${pair.map(describe).join(' and ')}`);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

if (process.argv[2] === 'child') await child(process.argv[3] as Which, Number(process.argv[4]));
else await main();
