// `latent-explorer embed`: vectors CSV or a trained run in, x,y,label CSV out; never overwrites
// without --force, never touches the input, names the file and the reason on bad input.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../electron/cli/commands/embed.ts';
import { parseVectorsCsv } from '../../electron/engine/projections/vectors-csv.ts';
import { knnAccuracy } from '../../electron/engine/projections/quality.ts';
import { pca } from '../../electron/engine/projections/pca.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { startTraining, type TrainSettings } from '../../electron/engine/training/job.ts';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';

let dir: string;
let vectorsCsv: string;
const N = 600;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'le-embed-'));
  const ds = loadSampleMnist();
  const x = pca(ds.images.pixels.subarray(0, N * 784), N, 784, 20).projected;
  const lines = [['label', ...Array.from({ length: 20 }, (_, i) => `pc${i + 1}`)].join(',')];
  for (let i = 0; i < N; i++) lines.push([`digit ${ds.images.labels[i]}`, ...Array.from(x.subarray(i * 20, i * 20 + 20), (v) => v.toFixed(4))].join(','));
  vectorsCsv = join(dir, 'vectors.csv');
  writeFileSync(vectorsCsv, lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command, returning its exit code and what it printed on stdout. */
async function embed(args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  try {
    return { code: await run(args), out };
  } finally {
    spy.mockRestore();
  }
}

describe('latent-explorer embed', () => {
  it('writes x,y,label for a vectors CSV, keeping each row\'s label, and a layout that separates the digits', async () => {
    const target = join(dir, 'coords.csv');
    const before = readFileSync(vectorsCsv, 'utf8');
    const { code, out } = await embed([vectorsCsv, '--out', target, '--perplexity', '20', '--iterations', '500', '--seed', '4']);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/Wrote .*coords\.csv: 600 points \(t-SNE of 20-D vectors, perplexity 20, 500 iterations, seed 4/);
    const text = readFileSync(target, 'utf8');
    expect(text.split('\n')[0]).toBe('x,y,label');
    const table = parseVectorsCsv(text);
    expect(table.n).toBe(N);
    expect(table.dim).toBe(2);
    const labels = table.labels!;
    const ds = loadSampleMnist();
    expect(labels.slice(0, 5)).toEqual(Array.from(ds.images.labels.subarray(0, 5), (l) => `digit ${l}`));
    const classIndex = Int32Array.from(labels, (l) => Number(l.split(' ')[1]));
    expect(knnAccuracy(table.data, N, 2, classIndex)).toBeGreaterThan(0.75);
    expect(readFileSync(vectorsCsv, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('lays out a vectors CSV with UMAP (--method umap), seeded, digits kept apart', async () => {
    const target = join(dir, 'umap.csv');
    const { code, out } = await embed([vectorsCsv, '--out', target, '--method', 'umap', '--neighbours', '12', '--iterations', '150', '--seed', '2']);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/Wrote .*umap\.csv: 600 points \(UMAP of 20-D vectors, 12 neighbours, min\. distance 0\.1, 150 epochs, seed 2\)/);
    const table = parseVectorsCsv(readFileSync(target, 'utf8'));
    expect(table.n).toBe(N);
    const classIndex = Int32Array.from(table.labels!, (l) => Number(l.split(' ')[1]));
    expect(knnAccuracy(table.data, N, 2, classIndex)).toBeGreaterThan(0.7);
    const again = join(dir, 'umap-again.csv');
    await embed([vectorsCsv, '--out', again, '--method', 'umap', '--neighbours', '12', '--iterations', '150', '--seed', '2']);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(target, 'utf8'));
  });

  it('refuses to overwrite without --force, and overwrites with it; same seed, same file', async () => {
    const target = join(dir, 'again.csv');
    writeFileSync(target, 'keep me');
    await expect(embed([vectorsCsv, '--out', target, '--iterations', '50'])).rejects.toThrow(/again\.csv: already exists \(use --force to replace it\)/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    await embed([vectorsCsv, '--out', target, '--iterations', '50', '--force']);
    const first = readFileSync(target, 'utf8');
    await embed([vectorsCsv, '--out', target, '--iterations', '50', '--force']);
    expect(readFileSync(target, 'utf8')).toBe(first);
    await expect(embed([vectorsCsv, '--out', vectorsCsv, '--force'])).rejects.toThrow(/is the input/);
  });

  it('prints JSON progress lines and a summary with --json', async () => {
    const target = join(dir, 'json.csv');
    const { out } = await embed([vectorsCsv, '--out', target, '--iterations', '200', '--json']);
    const events = out.map((line) => JSON.parse(line));
    // first what it will cost (the size, memory and time check), then the status line
    expect(events[0]).toMatchObject({ event: 'estimate', points: N, dim: 20 });
    expect(events[1]).toMatchObject({ event: 'status' });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress[0]).toMatchObject({ iteration: 0, iterations: 200, done: false });
    expect(progress[progress.length - 1]).toMatchObject({ iteration: 200, done: true });
    const summary = events[events.length - 1];
    expect(summary).toMatchObject({ event: 'summary', points: N, dim: 20, labelled: true, method: 'tsne', perplexity: 30, iterations: 200, seed: 1, out: target });
    expect(summary.kl).toBeGreaterThan(0);
  });

  it('names the file and the reason for bad input and options', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    const out = join(dir, 'never.csv');
    await expect(embed([bad, '--out', out])).rejects.toThrow(/bad\.csv: line 3: 1 values, expected 2/);
    writeFileSync(bad, 'a,b\n' + Array.from({ length: 30 }, (_, i) => `${i},${i % 7}`).join('\n'));
    await expect(embed([bad, '--out', out])).rejects.toThrow(/bad\.csv: perplexity 30 is too large for 30 vectors; use less than 9/);
    await expect(embed([join(dir, 'missing.csv'), '--out', out])).rejects.toThrow(/missing\.csv: no such file or folder/);
    await expect(embed([vectorsCsv])).rejects.toThrow(/needs --out/);
    await expect(embed([vectorsCsv, '--out', out, '--method', 'isomap'])).rejects.toThrow(/--method must be tsne, umap or none/);
    await expect(embed([vectorsCsv, '--out', out, '--method', 'none'])).rejects.toThrow(/--method none is for run folders/);
    await expect(embed([vectorsCsv, '--out', out, '--perplexity', '1'])).rejects.toThrow(/--perplexity must be a number from 2 to 100/);
    await expect(embed([vectorsCsv, '--out', out, '--iterations', 'many'])).rejects.toThrow(/--iterations must be a whole number/);
    expect(existsSync(out)).toBe(false);
  });

  it('writes a run\'s embedding table: every image\'s means, t-SNE of the test images', async () => {
    await useWasm();
    const runDir = join(dir, 'run');
    const ds = loadSampleMnist();
    const slice = mnistSlice(1200);
    const settings: TrainSettings = { model: 'vae', arch: 'mlp', latent: 4, epochs: 1, batchSize: 100, lr: 2e-3, seed: 5, hidden: [64] };
    await startTraining(slice, settings, runDir).done;
    const target = join(dir, 'run-coords.csv');
    const { code, out } = await embed([runDir, '--out', target, '--iterations', '250', '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(out[out.length - 1]);
    // The run names the whole bundled sample; its test split is 1,000 images.
    const tests = ds.images.split.reduce((a, s) => a + s, 0);
    expect(summary).toMatchObject({ source: 'run test images', points: tests, dim: 4, labelled: true });
    // The run's embedding table: every image with its means; t-SNE x,y on the test images.
    const lines = readFileSync(target, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,file,label,split,mean_1,mean_2,mean_3,mean_4,tsne_x,tsne_y');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(ds.images.count);
    const testRows = rows.filter((r) => r[3] === 'test');
    expect(testRows.length).toBe(tests);
    expect(testRows.every((r) => Number.isFinite(Number(r[8])) && r[8] !== '' && r[9] !== '')).toBe(true);
    expect(rows.filter((r) => r[3] === 'train').every((r) => r[8] === '' && r[9] === '')).toBe(true);
    expect(new Set(testRows.map((r) => r[2])).size).toBe(10);
    expect(rows[7][1]).toBe('sample:mnist#7');

    // --method none: the table of means alone, no t-SNE columns.
    const plain = join(dir, 'run-means.csv');
    expect((await embed([runDir, '--out', plain, '--method', 'none'])).code).toBe(0);
    const plainLines = readFileSync(plain, 'utf8').trim().split('\n');
    expect(plainLines[0]).toBe('id,file,label,split,mean_1,mean_2,mean_3,mean_4');
    expect(plainLines.length).toBe(ds.images.count + 1);
  }, 120_000);
});
