// Experiment helper: sweeps of the living style dims (rows) for two classes, as a PNG.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { encodePng } from '../../electron/engine/exports/png.ts';
import { tensorToPixels } from '../../models/pixels.ts';
await initBackend();
const [runDir, out, ...cls] = process.argv.slice(2);
const { model } = await loadRun(runDir);
const c = model.config;
const L = c.latent, S = c.style, size = c.imageSize;
const mu = model.classPriorMeans()!.arraySync() as number[][];
const dims = process.env.DIMS ? process.env.DIMS.split(",").map((v) => Number(v) - 1) : Array.from({ length: S }, (_, d) => d).slice(0, 8);
const steps = 9, classes = cls.map(Number);
const codes: number[][] = [];
for (const k of classes) for (const d of dims) for (let s = 0; s < steps; s++) { const z = new Array(S).fill(0); z[d] = -2.5 + 5 * s / (steps - 1); codes.push([...z, ...mu[k]]); }
const px = tf.tidy(() => tensorToPixels(model.decode(tf.tensor2d(codes))));
const rows = classes.length * dims.length, W = steps * size, H = rows * size;
const img = new Uint8Array(W * H);
codes.forEach((_, i) => { const r = Math.floor(i / steps), s = i % steps; for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) img[(r * size + y) * W + s * size + x] = px[i * size * size + y * size + x]; });
writeFileSync(out, await encodePng(img, W, H, 1));
console.log('dims', dims.map((d) => `z${d + 1}`).join(' '));
