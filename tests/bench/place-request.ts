// Placing 1,000 new image files through the engine's explorer.place request, as the Place panel does:
// PNG bytes in; read with the run's preprocessing, encoded, reconstructed, classified, neighbours
// found and placed on the run's t-SNE map. Run on the shipped semi-supervised sample (a 999-point
// map), once on its PCA layout (everything but the t-SNE steps) and once on its t-SNE layout, so the
// per-image work and the placement are told apart. place.ts measures the placement alone on a
// 10,000-point map (issue 18's target: 1,000 images on a 10,000-point map in <= 2 s).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Message, ReplyMessage } from '../../electron/contract/messages.ts';
import { createEngine } from '../../electron/engine/engine.ts';

const RUN = resolve('resources/runs/mnist-ssvae');
const M = 1000;
const fmt = (v: number, d = 2) => v.toFixed(d);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'le-bench-place-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
  console.log(`load average at start: ${loadavg().map((v) => fmt(v)).join(' ')} (2 cores)`);
  const out: Message[] = [];
  const engine = createEngine((m) => out.push(m));
  let id = 0;
  const request = async (method: string, params: unknown): Promise<any> => {
    const myId = ++id;
    await engine.receive({ kind: 'request', id: myId, method, params } as Message);
    for (;;) {
      const reply = out.find((m): m is ReplyMessage => m.kind === 'reply' && m.id === myId);
      if (reply) {
        if (reply.error) throw new Error(reply.error.message);
        return reply.result;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    const { count } = await request('explorer.latents', { runDir: RUN });
    const positions = Int32Array.from({ length: M }, (_, i) => i % count);
    const files: { name: string; bytes: Uint8Array }[] = [];
    for (let start = 0; start < M; start += 1000) {
      const block = await request('explorer.images', { runDir: RUN, positions: positions.subarray(start, start + 1000) });
      for (let i = 0; i < block.count; i++) {
        const png = await sharp(Buffer.from(block.pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
        files.push({ name: `image-${start + i}.png`, bytes: new Uint8Array(png) });
      }
    }
    const tsne = { method: 'tsne', part: 'all', perplexity: 30, iterations: 1000, seed: 1 };
    const embed = await request('explorer.embed', { runDir: RUN, part: 'all', perplexity: 30, iterations: 1000, seed: 1 });
    if (embed.jobId) while (!out.some((m) => m.kind === 'event' && (m as { name?: string }).name === 'job.done' && (m as { data?: { jobId?: string } }).data?.jobId === embed.jobId)) await new Promise((r) => setTimeout(r, 50));
    for (const [name, layout] of [['PCA (read, encode, reconstruct, classify, neighbours; exact placement)', { method: 'pca' }], ['t-SNE (the same, then placement with 100 steps)', tsne]] as const) {
      await request('explorer.place', { runDir: RUN, files: files.slice(0, 20), layout, k: 5 }); // warm-up
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await request('explorer.place', { runDir: RUN, files, layout, k: 5 });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const self = Array.from({ length: M }, (_, i) => (r.neighbours[i * r.k] === positions[i] ? 1 : 0)).reduce((a: number, b: number) => a + b, 0);
      console.log(`${M} PNG files on the ${count}-point map, ${name}: ${fmt(seconds)} s wall, ${fmt((cpu.user + cpu.system) / 1e6)} s CPU; nearest test image is the file's own for ${self}/${M}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`load average at end: ${loadavg().map((v) => fmt(v)).join(' ')}`);
}

await main();
