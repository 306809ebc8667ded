// 60,000 28x28 PNG digits in 10 class folders (the sample's 10,000, each copied 6 times with a
// different shift), generated once into /tmp and kept between runs: the import benchmark's PNG case
// and the thumbnail scrolling benchmark use it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';

export const MNIST60K_COUNT = 60_000;
export const MNIST60K_FOLDER = '/tmp/latent-explorer-bench-mnist60k';
const COUNT = MNIST60K_COUNT;
const FOLDER = MNIST60K_FOLDER;

function shifted(digit: Uint8Array, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const sx = x - dx;
    const sy = y - dy;
    if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = digit[sy * 28 + sx];
  }
  return out;
}

export function mnist60kFile(i: number, label: number): string {
  return join(FOLDER, String(label), `${String(i).padStart(5, '0')}.png`);
}

export async function generateMnist60k(): Promise<void> {
  const marker = join(FOLDER, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(COUNT)) return;
  console.log(`Generating ${COUNT.toLocaleString()} PNGs in ${FOLDER} (once; kept for later runs)…`);
  rmSync(FOLDER, { recursive: true, force: true });
  const sample = loadSampleMnist();
  for (let d = 0; d < 10; d++) mkdirSync(join(FOLDER, String(d)), { recursive: true });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const k = i % 10_000;
        const copy = Math.floor(i / 10_000); // 0..5: shift each copy differently
        const digit = sample.images.pixels.subarray(k * 784, (k + 1) * 784);
        const png = await sharp(shifted(digit, (copy % 3) - 1, Math.floor(copy / 3)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
        writeFileSync(mnist60kFile(i, sample.images.labels[k]), png);
      }
    }),
  );
  writeFileSync(marker, String(COUNT));
  console.log(`Generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

