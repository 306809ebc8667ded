// Batches, split, option suggestions, the import preview, the sample through openDataset, the CLI.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describeProgress, openDataset, previewImport, suggestOptions, toFloatBatch, stratifiedSplit } from '../../electron/engine/datasets/index.ts';
import { suggestFromStats } from '../../electron/engine/datasets/suggest.ts';
import { mulberry32 } from '../../electron/engine/random.ts';
import type { ImageSet } from '../../electron/engine/datasets/types.ts';
import { run } from '../../electron/cli/commands/import.ts';
import { UsageError } from '../../electron/cli/errors.ts';
import { buildDigitFolder, glyph, greyPng, tempDir } from './helpers/fixtures-datasets.ts';

const dataDir = tempDir('data');
process.env.LATENT_EXPLORER_DATA = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function imageSet(pixels: number[], size: number): ImageSet {
  const count = pixels.length / (size * size);
  return { pixels: Uint8Array.from(pixels), count, size, channels: 1, labels: new Int32Array(count), classNames: [], files: [], split: new Uint8Array(count) };
}

describe('toFloatBatch', () => {
  const set = imageSet([0, 51, 128, 255, 255, 0, 102, 204], 2);

  it('gives [0,1] floats in index order', () => {
    const batch = toFloatBatch(set, [1, 0], 'off');
    expect(batch).toBeInstanceOf(Float32Array);
    expect(Array.from(batch)).toEqual([1, 0, 0.4, 0.8, 0, 0.2, 128 / 255, 1].map(Math.fround));
  });

  it('binarizes at a fixed threshold', () => {
    expect(Array.from(toFloatBatch(set, [0, 1], 0.5))).toEqual([0, 0, 1, 1, 1, 0, 0, 1]);
  });

  it('draws Bernoulli pixels for dynamic binarization, repeatably with a seeded rng', () => {
    const grey = imageSet(Array(10_000).fill(64), 100);
    const a = toFloatBatch(grey, [0], 'dynamic', mulberry32(7));
    const b = toFloatBatch(grey, [0], 'dynamic', mulberry32(7));
    const c = toFloatBatch(grey, [0], 'dynamic', mulberry32(8));
    expect(a.every((v) => v === 0 || v === 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(64 / 255 - 0.02);
    expect(mean).toBeLessThan(64 / 255 + 0.02);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    // 0 never fires, 255 always does.
    expect(Array.from(toFloatBatch(set, [1], 'dynamic', mulberry32(1)))).toEqual([1, 0, expect.any(Number), expect.any(Number)]);
  });

  it('fills a reused buffer and refuses bad indices', () => {
    const out = new Float32Array(8);
    expect(toFloatBatch(set, [0, 0], 'off', undefined, out)).toBe(out);
    expect(() => toFloatBatch(set, [2], 'off')).toThrow(/out of range/);
  });
});

describe('stratifiedSplit', () => {
  it('holds out the share of every class (and of unlabelled images), repeatably', () => {
    const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(-1)]);
    const split = stratifiedSplit(labels, 0.1, 3);
    const tests = (label: number) => labels.filter((l, i) => l === label && split[i] === 1).length;
    expect([tests(0), tests(1), tests(-1)]).toEqual([5, 3, 2]);
    expect(Array.from(stratifiedSplit(labels, 0.1, 3))).toEqual(Array.from(split));
    expect(Array.from(stratifiedSplit(labels, 0.1, 4))).not.toEqual(Array.from(split));
  });
});

describe('suggestions', () => {
  it('28 px for small images, 64 for larger; grey vs colour', () => {
    const s = (width: number, grey: boolean) => ({ width, height: width, grey, borderMean: 250, borderStd: 0 });
    expect(suggestFromStats([s(20, true), s(28, true), s(100, true)])).toMatchObject({ size: 28, channels: 1, invert: true });
    expect(suggestFromStats([s(20, false), s(64, false), s(100, true)])).toMatchObject({ size: 64, channels: 3 });
  });

  it('reads a folder: dark glyphs on paper -> 28 px, grey, invert', async () => {
    const root = tempDir('suggest');
    for (let i = 0; i < 6; i++) writeFileSync(join(root, `${i}.png`), await greyPng(glyph(24, i), 24, 24));
    const suggestion = await suggestOptions(root);
    expect(suggestion.options).toMatchObject({ size: 28, channels: 1, invert: 'yes', fit: 'contain', testSplit: 0.1 });
    expect(suggestion.sampled).toBe(6);
    expect(suggestion.reasons.invert).toMatch(/light, uniform background/);
    rmSync(root, { recursive: true });
  });

  it('reads a folder: colour photos -> 64 px, RGB, no inversion', async () => {
    const root = tempDir('photos');
    for (let i = 0; i < 4; i++) {
      const noise = Uint8Array.from({ length: 48 * 48 * 3 }, (_, k) => (k * 97 + i * 31 + ((k * k) % 13) * 17) % 256);
      writeFileSync(join(root, `${i}.jpg`), await sharp(noise, { raw: { width: 48, height: 48, channels: 3 } }).jpeg().toBuffer());
    }
    const suggestion = await suggestOptions(root);
    expect(suggestion.options).toMatchObject({ size: 64, channels: 3, invert: 'no' });
    // Opening without size/channels uses the same defaults.
    const d = await openDataset(root, {});
    expect(d.options).toMatchObject({ size: 64, channels: 3 });
    expect(d.summary.inverted).toBe(false);
    rmSync(root, { recursive: true });
  });

  it('for the sample: MNIST settings', async () => {
    expect((await suggestOptions('sample:mnist')).options).toMatchObject({ size: 28, channels: 1, binarize: 0.5 });
  });
});

describe('previewImport', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('preview');
    await buildDigitFolder(root, 12, 3, 24);
    writeFileSync(join(root, 'class0', 'broken.png'), 'not really');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('shows originals and preprocessed images spread over the classes', async () => {
    const preview = await previewImport(root, { size: 16, channels: 1, binarize: 0.5 }, 6);
    expect(preview.before).toHaveLength(6);
    expect(preview.after).toHaveLength(6);
    expect(new Set(preview.before.map((p) => p.label))).toEqual(new Set(['class0', 'class1', 'class2']));
    expect(preview.before[0]).toMatchObject({ width: 24, height: 24 });
    expect(preview.inverted).toBe(true);
    for (const image of preview.after) {
      expect(image.dataUrl.startsWith('data:image/png;base64,')).toBe(true);
      const png = Buffer.from(image.dataUrl.slice(22), 'base64');
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([16, 16]);
      expect(new Set(data)).toEqual(new Set([0, 255])); // binarized at 0.5
    }
  });

  it('previews the sample', async () => {
    const preview = await previewImport('sample:mnist', { invert: 'yes', binarize: 'off' }, 3);
    expect(preview.after).toHaveLength(3);
    expect(preview.inverted).toBe(true);
    expect(preview.before[0].file).toBe('sample:mnist#0');
  });
});

describe('describeProgress', () => {
  it('turns import progress into a fraction and a line', () => {
    expect(describeProgress({ phase: 'decoding', scanned: 60000, decoded: 15000, total: 60000, imagesPerSec: 3000.4, etaSec: 15 })).toEqual({
      fraction: 0.25,
      message: 'Decoding: 15,000 of 60,000 images (3,000 images/s, 15 s left)',
    });
    expect(describeProgress({ phase: 'scanning', scanned: 1234, decoded: 0, total: 0, imagesPerSec: 0, etaSec: 0 })).toEqual({ message: 'Scanning: 1,234 files' });
  });
});

describe('openDataset for the sample', () => {
  it('opens sample:mnist with progress done and the split', async () => {
    const phases: string[] = [];
    const d = await openDataset('sample:mnist', { testSplit: 0.2 }, { onProgress: (p) => phases.push(p.phase) });
    expect(d.images.count).toBe(10_000);
    expect(d.summary.test).toBe(2000);
    expect(phases).toEqual(['done']);
  });
});

describe('latent-explorer import', () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir('cli');
    await buildDigitFolder(root, 9, 3, 12);
    mkdirSync(join(root, 'unlabelled'));
    writeFileSync(join(root, 'unlabelled', 'u.png'), await greyPng(glyph(12, 5), 12, 12));
    writeFileSync(join(root, 'class0', 'empty.png'), '');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function capture(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      return { code: await run(argv), lines };
    } finally {
      spy.mockRestore();
    }
  }

  it('--json prints progress lines and the summary', async () => {
    const { code, lines } = await capture([root, '--size', '12', '--channels', '1', '--binarize', 'dynamic', '--test-split', '0.2', '--json']);
    expect(code).toBe(0);
    const objects = lines.map((l) => JSON.parse(l));
    expect(objects.some((o) => o.event === 'progress' && o.phase === 'decoding')).toBe(true);
    const summary = objects[objects.length - 1];
    expect(summary).toMatchObject({
      event: 'summary',
      images: 10,
      classCounts: { class0: 3, class1: 3, class2: 3 },
      unlabelled: 1,
      skipped: [{ path: 'class0/empty.png', reason: 'empty file (0 bytes)' }],
      skippedByReason: { 'empty file (0 bytes)': 1 },
      options: { size: 12, channels: 1, binarize: 'dynamic', testSplit: 0.2 },
    });
  });

  it('prints a readable summary by default', async () => {
    const { code, lines } = await capture([root, '--size', '12', '--binarize', '0.5']);
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('10 images');
    expect(text).toContain('Classes (3): class0: 3, class1: 3, class2: 3');
    expect(text).toContain('Unlabelled: 1');
    expect(text).toMatch(/empty file \(0 bytes\) \(1\):\n {4}class0\/empty\.png/);
  });

  it('refuses bad flags with one line', async () => {
    await expect(run([root, '--channels', '2'])).rejects.toThrow(new UsageError("--channels must be 1 or 3 (got '2')"));
    await expect(run([root, '--binarize', 'maybe'])).rejects.toThrow(/--binarize must be off, dynamic or a threshold/);
    await expect(run([root, '--test-split', '1.5'])).rejects.toThrow(/--test-split/);
    await expect(run([])).rejects.toThrow(/import needs a folder/);
    await expect(run([join(root, 'missing')])).rejects.toThrow(/no such folder/);
  });
});
