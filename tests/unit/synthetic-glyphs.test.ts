// The generated glyph set with known factors: its shape, that a seed repeats it exactly, that the
// drawn pixels carry the factors (measured slant, width, height, thickness follow the sampled ones),
// and the `synth` command's folder, which `import` reads with its classes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateGlyphs, GLYPH_CLASSES, GLYPH_FACTOR_RANGES } from '../../electron/engine/datasets/synthetic/glyphs.ts';
import { measureStyle, pearson } from '../../electron/engine/explorer/style-measures.ts';

describe('generateGlyphs', () => {
  it('returns count images of size², a class per image and every factor per image within its range', () => {
    const set = generateGlyphs({ count: 500, size: 28, seed: 3 });
    expect(set.images).toHaveLength(500 * 28 * 28);
    expect(set.labels).toHaveLength(500);
    expect(set.classNames).toEqual([...GLYPH_CLASSES]);
    expect(Object.keys(set.factors)).toEqual(['shape', 'slant', 'thickness', 'width', 'height', 'slant_hi', 'thickness_hi', 'width_hi']);
    for (const [name, [lo, hi]] of Object.entries(GLYPH_FACTOR_RANGES)) {
      const v = set.factors[name];
      expect(Math.min(...v)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...v)).toBeLessThanOrEqual(hi);
      expect(Math.max(...v) - Math.min(...v)).toBeGreaterThan(0.9 * (hi - lo)); // spread over the range
    }
    // every class appears, about equally often; binary halves split near 50/50
    for (let k = 0; k < GLYPH_CLASSES.length; k++) expect(set.labels.filter((l) => l === k).length).toBeGreaterThan(70);
    for (const b of ['slant_hi', 'thickness_hi', 'width_hi']) {
      const ones = set.factors[b].reduce((a, x) => a + x, 0);
      expect(ones).toBeGreaterThan(200);
      expect(ones).toBeLessThan(300);
    }
    // white ink on black: corners empty, every image has ink
    for (let i = 0; i < 500; i++) {
      const img = set.images.subarray(i * 784, (i + 1) * 784);
      expect(img[0] + img[27] + img[783 - 27] + img[783]).toBe(0);
      expect(Math.max(...img)).toBeGreaterThan(200);
    }
  });

  it('repeats exactly for a seed and differs for another', () => {
    const a = generateGlyphs({ count: 50, seed: 7 });
    const b = generateGlyphs({ count: 50, seed: 7 });
    const c = generateGlyphs({ count: 50, seed: 8 });
    expect(Buffer.from(a.images).equals(Buffer.from(b.images))).toBe(true);
    expect(a.factors.slant).toEqual(b.factors.slant);
    expect(Buffer.from(a.images).equals(Buffer.from(c.images))).toBe(false);
  });

  it('draws the factors: measured slant, width, height and pen thickness follow the sampled ones', () => {
    const set = generateGlyphs({ count: 600, seed: 1 });
    const measured = { slant: [] as number[], width: [] as number[], height: [] as number[], thickness: [] as number[] };
    for (let i = 0; i < set.count; i++) {
      const m = measureStyle(set.images, 28, i * 784);
      for (const k of Object.keys(measured) as (keyof typeof measured)[]) measured[k].push(m[k]);
    }
    // Within one class (shape changes the moments), the pixels' measures track the factors.
    for (let k = 0; k < GLYPH_CLASSES.length; k++) {
      const idx = [...set.labels.keys()].filter((i) => set.labels[i] === k);
      const r = (name: keyof typeof measured) => pearson(idx.map((i) => measured[name][i]), idx.map((i) => set.factors[name][i]));
      expect(r('slant'), `slant of ${GLYPH_CLASSES[k]}`).toBeGreaterThan(0.9);
      expect(r('width'), `width of ${GLYPH_CLASSES[k]}`).toBeGreaterThan(0.9);
      expect(r('height'), `height of ${GLYPH_CLASSES[k]}`).toBeGreaterThan(0.9);
      // The skeleton of crossing strokes (X) is short at the crossing, so its pen measure is looser.
      expect(r('thickness'), `thickness of ${GLYPH_CLASSES[k]}`).toBeGreaterThan(GLYPH_CLASSES[k] === 'X' ? 0.6 : 0.85);
    }
  });

  it('scales the drawing with size', () => {
    const set = generateGlyphs({ count: 20, size: 56, seed: 2 });
    expect(set.images).toHaveLength(20 * 56 * 56);
    const small = generateGlyphs({ count: 20, size: 28, seed: 2 });
    for (let i = 0; i < 20; i++) {
      const big = measureStyle(set.images, 56, i * 56 * 56).height;
      expect(big / measureStyle(small.images, 28, i * 784).height).toBeCloseTo(2, 0);
    }
  });
});

describe('latent-explorer synth', () => {
  const CLI = resolve('bin/latent-explorer.mjs');
  const cli = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('writes class folders of PNGs and factors.csv that import reads, and refuses to overwrite; a run on it reports MIG, SAP and DCI', () => {
    const root = mkdtempSync(join(tmpdir(), 'le-synth-'));
    const dir = join(root, 'glyphs');
    const r = cli({}, 'synth', '--out', dir, '--count', '60', '--seed', '4', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'done', count: 60, seed: 4 });
    expect(readdirSync(dir).filter((n) => !n.startsWith('.')).sort()).toEqual([...GLYPH_CLASSES, 'factors.csv'].sort()); // and the hidden marker of folders the app wrote
    const csv = readFileSync(join(dir, 'factors.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,shape,slant,thickness,width,height,slant_hi,thickness_hi,width_hi');
    expect(csv).toHaveLength(61);
    const set = generateGlyphs({ count: 60, seed: 4 });
    const [file, shape, slant] = csv[1].split(',');
    expect(existsSync(join(dir, file))).toBe(true);
    expect(shape).toBe(set.classNames[set.labels[0]]);
    expect(Number(slant)).toBeCloseTo(set.factors.slant[0], 4);

    const again = cli({}, 'synth', '--out', dir, '--count', '5');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists/);

    const imported = cli({ LATENT_EXPLORER_DATA: join(root, 'data') }, 'import', dir, '--json');
    expect(imported.status, imported.stderr).toBe(0);
    const summary = JSON.parse(imported.stdout.trim().split('\n').pop()!);
    expect(summary.images).toBe(60);
    expect(Object.keys(summary.classCounts).sort()).toEqual([...GLYPH_CLASSES].sort());
    expect(summary.inverted).toBe(false);

    // A run trained on it ends with MIG, SAP and DCI in its summary (the factors came with the folder).
    const trained = cli({ LATENT_EXPLORER_DATA: join(root, 'data'), LATENT_EXPLORER_THREADS: '1' }, 'train', dir, '--out', join(root, 'run'), '--model', 'vae', '--latent', '3', '--epochs', '1', '--json');
    expect(trained.status, trained.stderr).toBe(0);
    const end = JSON.parse(trained.stdout.trim().split('\n').pop()!);
    expect(end.event).toBe('summary');
    for (const v of [end.factors.mig, end.factors.sap, end.factors.dci.disentanglement, end.factors.dci.completeness]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    const evaluated = cli({ LATENT_EXPLORER_DATA: join(root, 'data') }, 'eval', join(root, 'run'), '--iwae', '0', '--json');
    expect(JSON.parse(evaluated.stdout.trim().split('\n').pop()!).factors.mig.score).toBeCloseTo(end.factors.mig, 6); // the same measure as eval's
    rmSync(root, { recursive: true, force: true });
  }, 180_000);
});
