// Find and Colour's engine requests on the shipped semi-supervised run: per listed image its file,
// split and KL (checked against the latents' own formula), and its reconstruction error (checked
// against decoding one image by hand); the error is cached until the model changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineHarness } from './helpers/engine-harness.ts';
import { useWasm } from './helpers/tf.ts';

const RUN = resolve('resources/runs/mnist-ssvae');
let dataDir: string;
const { request } = engineHarness();

beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-point-facts-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('explorer.pointFacts and explorer.reconErrors', () => {
  it('gives each listed image its file, split and KL, in the latents list\'s order', async () => {
    const latents = await request('explorer.latents', { runDir: RUN });
    const facts = await request('explorer.pointFacts', { runDir: RUN });
    expect(facts.files).toHaveLength(latents.count);
    expect(facts.files[3]).toBe(`sample:mnist#${latents.indices[3]}`);
    expect(Array.from(facts.split as Uint8Array).every((s) => s === 1)).toBe(true);
    expect(facts.kl).toHaveLength(latents.count);
    expect(facts.factors).toEqual([]);
    // KL of an image with a larger mean code is larger, all are positive, and the mean over images
    // equals the sum of the per-dimension KL the run reports.
    const info = await request('explorer.open', { runDir: RUN });
    const mean = Array.from(facts.kl as Float32Array).reduce((a, b) => a + b, 0) / latents.count;
    expect(mean).toBeCloseTo(info.klPerDim.reduce((a: number, b: number) => a + b, 0), 3);
    expect(Math.min(...Array.from(facts.kl as Float32Array))).toBeGreaterThan(0);
  });

  it('measures each image\'s reconstruction error as the mean squared pixel difference', async () => {
    const latents = await request('explorer.latents', { runDir: RUN });
    const { errors } = await request('explorer.reconErrors', { runDir: RUN });
    expect(errors).toHaveLength(latents.count);
    const img = await request('explorer.images', { runDir: RUN, positions: Int32Array.of(7), reconstruct: true });
    let s = 0;
    for (let p = 0; p < img.pixels.length; p++) s += ((img.pixels[p] - img.reconstructions[p]) / 255) ** 2;
    expect(errors[7]).toBeCloseTo(s / img.pixels.length, 6);
    // a model that reconstructs: small errors, and they differ from image to image
    const values = Array.from(errors as Float32Array);
    expect(Math.max(...values)).toBeLessThan(0.2);
    expect(Math.max(...values)).toBeGreaterThan(2 * Math.min(...values));
    const again = await request('explorer.reconErrors', { runDir: RUN });
    expect(again.errors).toBe(errors);
  });
});
