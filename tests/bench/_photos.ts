// Synthetic colour photos for the import benchmark: 256x256 JPEGs (quality 85, 4:2:0, as cameras and
// web exports write them) in 10 class folders. Each class has its own palette and shapes on a smooth
// background with mild sensor-like noise, so files have a photo's entropy (about 15-20 KB each).
// 100 scenes are drawn once; each file is a scene moved by a few pixels and relit, so every file differs.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../../models/random.ts';

const SIDE = 256;
const SCENES = 100;

function scene(k: number): Uint8Array {
  const rng = mulberry32(1000 + k);
  const cls = k % 10;
  const hue = (c: number) => [Math.cos(c) * 0.5 + 0.5, Math.cos(c + 2.1) * 0.5 + 0.5, Math.cos(c + 4.2) * 0.5 + 0.5];
  const bgA = hue(cls * 0.63);
  const bgB = hue(cls * 0.63 + 1.5);
  const shapes = Array.from({ length: 3 + (cls % 4) }, () => ({
    x: rng() * SIDE, y: rng() * SIDE, rx: 20 + rng() * 60, ry: 20 + rng() * 60, colour: hue(cls * 0.63 + 3 + rng()),
  }));
  const px = new Uint8Array(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const t = (x + y) / (2 * SIDE);
      let rgb = [0, 1, 2].map((c) => bgA[c] * (1 - t) + bgB[c] * t);
      for (const s of shapes) {
        const d = ((x - s.x) / s.rx) ** 2 + ((y - s.y) / s.ry) ** 2;
        if (d < 1) rgb = rgb.map((v, c) => v * 0.3 + s.colour[c] * 0.7 * (1 - 0.4 * d));
      }
      const texture = 0.06 * Math.sin(x / 7 + cls) * Math.sin(y / 5);
      for (let c = 0; c < 3; c++) px[(y * SIDE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(255 * (rgb[c] + texture) + (rng() - 0.5) * 12)));
    }
  }
  return px;
}

export function photoFile(folder: string, i: number): string {
  return join(folder, String(i % 10), `${String(i).padStart(5, '0')}.jpg`);
}

/** Writes `count` photos into `folder` once (a marker file records a finished set). */
export async function generatePhotos(folder: string, count: number): Promise<void> {
  const marker = join(folder, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(count)) return;
  console.log(`Generating ${count.toLocaleString()} 256x256 JPEGs in ${folder} (once; kept for later runs)…`);
  rmSync(folder, { recursive: true, force: true });
  for (let d = 0; d < 10; d++) mkdirSync(join(folder, String(d)), { recursive: true });
  const started = performance.now();
  const scenes = Array.from({ length: SCENES }, (_, k) => scene(k));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const moved = new Uint8Array(SIDE * SIDE * 3);
      while (next < count) {
        const i = next++;
        // Scene i % 100 keeps class i % 10; moved cyclically by up to 15 px and relit by up to ±20 levels.
        const base = scenes[i % SCENES];
        const dx = (i * 7) % 31 - 15;
        const dy = (i * 13) % 31 - 15;
        const light = ((i * 17) % 41) - 20;
        for (let y = 0; y < SIDE; y++) {
          const sy = (y + dy + SIDE) % SIDE;
          for (let x = 0; x < SIDE; x++) {
            const s = (sy * SIDE + ((x + dx + SIDE) % SIDE)) * 3;
            const o = (y * SIDE + x) * 3;
            for (let c = 0; c < 3; c++) moved[o + c] = Math.max(0, Math.min(255, base[s + c] + light));
          }
        }
        const jpeg = await sharp(moved, { raw: { width: SIDE, height: SIDE, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
        writeFileSync(photoFile(folder, i), jpeg);
      }
    }),
  );
  writeFileSync(marker, String(count));
  console.log(`Generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
