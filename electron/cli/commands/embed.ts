// latent-explorer embed <run | vectors.csv> --out FILE.csv: a 2-D t-SNE (or UMAP) layout.
// A vectors CSV (one vector per row) gives x,y,label. A run gives its embedding table: one row per
// image with id, file, label, split, every latent mean, and t-SNE x,y for the test images (the points
// the Embedding view shows); --method none writes the table without t-SNE.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { checkOutput, choiceOption, EXIT_CANCELLED, intOption, numberOption, onePositional, OUT_FLAGS, openRunForCli, parseCommand, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { writeFileAtomic } from '../../engine/files.ts';
import { runTsne } from '../../engine/projections/tsne-runner.ts';
import { runUmap } from '../../engine/projections/umap-runner.ts';
import { umapEpochs } from '../../engine/projections/umap.ts';
import { checkMemory, estimateCsvParseBytes, estimateTsneBytes, estimateTsneSeconds, formatSize } from '../../engine/memory.ts';

import { formatCoordsCsv, parseVectorsCsv, VectorsCsvError } from '../../engine/projections/vectors-csv.ts';

const USAGE = `Usage: latent-explorer embed <run folder | vectors.csv> --out FILE.csv [options]
  --method tsne|umap|none  the projection (none: a run's table of latent means only)
  --perplexity P       t-SNE: effective number of neighbours, 2 to 100 (default 30)
  --iterations I       optimisation steps, 1 to 10000 (t-SNE default 1000; UMAP's epochs, default
                       umap-js's: 500 up to 2,500 points, 400, 300, then 200 above 7,500)
  --neighbours K       UMAP: neighbours per point, 2 to 200 (default 15)
  --min-dist D         UMAP: smallest distance between points in the layout, 0 to 1 (default 0.1)
  --seed S             makes the layout repeatable (default 1)
  --out FILE           where to write the CSV (required)
  --force              overwrite FILE if it exists
  --json               progress and the summary as JSON lines
A CSV holds one vector per row, comma-separated, with an optional header row; a header column named
"label" gives each row's label; the output is x,y,label. A run folder gives its embedding table:
id,file,label,split,mean_1..mean_L,tsne_x,tsne_y (umap_x,umap_y with --method umap) — the layout of
the test images' latent means.`;

interface Input {
  data: Float32Array;
  n: number;
  dim: number;
  labels: string[] | null;
  source: string;
}

/** '40 s', '12 min', '2.5 h'. */
function formatDuration(seconds: number): string {
  return seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

function readVectorsCsv(file: string): Input {
  let text: string;
  // A huge file is refused by its size, before it is read into memory.
  checkMemory(`Reading ${file} (${formatSize(statSync(file).size)})`, estimateCsvParseBytes(statSync(file).size));
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const table = parseVectorsCsv(text);
    return { data: table.data, n: table.n, dim: table.dim, labels: table.labels, source: 'vectors' };
  } catch (e) {
    if (e instanceof VectorsCsvError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** A run: the latent means of all its images (for the table) and of its test images (for t-SNE). */
interface RunInput extends Input {
  /** The embedding table, with t-SNE x,y for the embedded images when given. */
  table(coords: Float32Array | null, method?: 'tsne' | 'umap'): string;
}

async function encodeRun(runDir: string, signal: AbortSignal, onStatus: (text: string) => void): Promise<RunInput> {
  // Loaded lazily: TF.js is only needed for this form of the input.
  const { sourceFor, encodeImages } = await import('../../engine/exports/source.ts');
  const { embeddingTableCsv } = await import('../../engine/exports/embedding-table.ts');
  const source = sourceFor(await openRunForCli(runDir, 'embed'));
  try {
    onStatus(`Opening ${source.run.dataset.ref}`);
    const images = await source.images(signal);
    onStatus(`Encoding ${images.count} images`);
    const means = await encodeImages(source.loaded, images, null, { signal });
    const latent = source.loaded.latent;
    let picked: number[] = [];
    for (let i = 0; i < images.count; i++) if (images.split[i] === 1) picked.push(i);
    const label = picked.length > 0 ? 'run test images' : 'run images (no test split)';
    if (picked.length === 0) picked = Array.from({ length: images.count }, (_, i) => i);
    const data = new Float32Array(picked.length * latent);
    picked.forEach((img, row) => data.set(means.subarray(img * latent, (img + 1) * latent), row * latent));
    const labels = picked.map((img) => (images.labels[img] >= 0 ? images.classNames[images.labels[img]] : ''));
    const ref = source.run.dataset.ref;
    const root = isAbsolute(ref) ? ref : undefined;
    const table = (coords: Float32Array | null, method: 'tsne' | 'umap' = 'tsne') =>
      embeddingTableCsv({ images, means, latent, root, tsne: coords ? { coords, indices: picked, method } : null }).csv;
    return { data, n: picked.length, dim: latent, labels, source: label, table };
  } finally {
    source.loaded.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      method: { type: 'string' },
      perplexity: { type: 'string' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      neighbours: { type: 'string' },
      'min-dist': { type: 'string' },
      ...OUT_FLAGS,
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const inputArg = onePositional(positionals, 'embed', 'input', 'one input: a run folder or a vectors CSV');
  const method = choiceOption(values, 'method', ['tsne', 'umap', 'none']) ?? 'tsne';
  const perplexity = numberOption(values, 'perplexity', { min: 2, max: 100 }) ?? 30;
  const givenIterations = intOption(values, 'iterations', { min: 1, max: 10000 });
  const iterations = givenIterations ?? 1000;
  const neighbours = intOption(values, 'neighbours', { min: 2, max: 200 }) ?? 15;
  const minDist = numberOption(values, 'min-dist', { min: 0, max: 1 }) ?? 0.1;
  const seed = intOption(values, 'seed', { min: 0, max: 2 ** 31 - 1 }) ?? 1;
  if (!values.out) throw new UsageError('embed needs --out <coords.csv>');
  const input = resolve(inputArg);
  if (!existsSync(input)) throw new UsageError(`${input}: no such file or folder`);
  const out = checkOutput(values.out, { force: values.force, input });
  const output = createOutput(values.json);
  const status = (text: string) => {
    if (output.json) output.event('status', { message: text });
    else output.progressLine(text);
  };
  const started = performance.now();
  const code = await withCancel(output, 'Embedding cancelled; nothing written.', async (signal) => {
    const isRun = statSync(input).isDirectory();
    if (!isRun && method === 'none') throw new UsageError('--method none is for run folders (a table of latent means); a vectors CSV needs tsne');
    const data = isRun ? await encodeRun(input, signal, status) : readVectorsCsv(input);
    if (method === 'none') {
      const csv = (data as RunInput).table(null);
      writeFileAtomic(out, csv);
      const summary = { event: 'summary', input, out, source: data.source, rows: csv.split('\n').length - 2, dim: data.dim, method, seconds: (performance.now() - started) / 1000 };
      output.result(summary, `Wrote ${out}: the latent means of every image of the run (${data.dim}-D), no t-SNE`);
      return 0;
    }
    if (method === 'umap') {
      if (data.n < 8) throw new UsageError(`${input}: UMAP needs at least 8 vectors (have ${data.n})`);
      const epochs = givenIterations ?? umapEpochs(data.n, {});
      status(`UMAP of ${data.n} vectors of ${data.dim} dimensions`);
      const coords = await runUmap(data.data, data.n, data.dim, { neighbours: Math.min(neighbours, data.n - 1), minDist, epochs: Math.max(10, epochs), seed }, (frame) => {
        if (output.json) output.event('progress', { iteration: frame.iteration, iterations: frame.iterations, kl: null, done: frame.done });
        else output.progressLine(`UMAP epoch ${frame.iteration}/${frame.iterations}`);
      }, signal).catch((e: unknown) => {
        if (e instanceof RangeError) throw new UsageError(`${input}: ${e.message}`);
        throw e;
      });
      output.endProgressLine();
      writeFileAtomic(out, isRun ? (data as RunInput).table(coords, 'umap') : formatCoordsCsv(coords, data.n, data.labels));
      const seconds = (performance.now() - started) / 1000;
      const summary = { event: 'summary', input, out, source: data.source, points: data.n, dim: data.dim, labelled: data.labels !== null, method, neighbours, minDist, epochs, seed, seconds, format: isRun ? 'embedding table' : 'x,y,label' };
      output.result(summary, `Wrote ${out}: ${data.n} points (UMAP of ${data.dim}-D ${data.source}, ${neighbours} neighbours, min. distance ${minDist}, ${epochs} epochs, seed ${seed}) in ${seconds.toFixed(1)} s`);
      return 0;
    }
    if (data.n < 8) throw new UsageError(`${input}: t-SNE needs at least 8 vectors (have ${data.n})`);
    const maxPerplexity = Math.floor((data.n - 1) / 3);
    if (perplexity >= maxPerplexity) throw new UsageError(`${input}: perplexity ${perplexity} is too large for ${data.n} vectors; use less than ${maxPerplexity}`);
    // Say the size and the expected time before starting; refuse past the memory limit.
    const needs = estimateTsneBytes(data.n, data.dim, perplexity);
    const expected = estimateTsneSeconds(data.n, iterations);
    checkMemory(`t-SNE of ${data.n} vectors`, needs, 'embed a sample of the vectors');
    const about = `${data.n} vectors of ${data.dim} dimensions (${formatSize(data.data.byteLength)}); t-SNE needs about ${formatSize(needs)} and about ${formatDuration(expected)} on two cores`;
    if (output.json) output.event('estimate', { points: data.n, dim: data.dim, bytes: data.data.byteLength, memoryBytes: needs, seconds: Math.round(expected) });
    else {
      output.endProgressLine();
      console.error(`Embedding ${about}`);
    }
    status(`Embedding ${data.n} vectors of ${data.dim} dimensions`);
    let lastKl: number | undefined;
    const coords = await runTsne(
      data.data,
      data.n,
      data.dim,
      { perplexity, iterations, seed },
      (frame) => {
        if (frame.kl !== undefined) lastKl = frame.kl;
        if (output.json) output.event('progress', { iteration: frame.iteration, iterations: frame.iterations, kl: frame.kl ?? null, done: frame.done });
        else output.progressLine(`t-SNE iteration ${frame.iteration}/${frame.iterations}${frame.kl !== undefined ? `, KL ${frame.kl.toFixed(3)}` : ''}`);
      },
      signal,
    ).catch((e: unknown) => {
      if (e instanceof RangeError) throw new UsageError(`${input}: ${e.message}`);
      throw e;
    });
    output.endProgressLine();
    writeFileAtomic(out, isRun ? (data as RunInput).table(coords) : formatCoordsCsv(coords, data.n, data.labels));
    const seconds = (performance.now() - started) / 1000;
    const summary = { event: 'summary', input, out, source: data.source, points: data.n, dim: data.dim, labelled: data.labels !== null, method, perplexity, iterations, seed, kl: lastKl ?? null, seconds, format: isRun ? 'embedding table' : 'x,y,label' };
    output.result(summary, `Wrote ${out}: ${data.n} points (t-SNE of ${data.dim}-D ${data.source}, perplexity ${perplexity}, ${iterations} iterations, seed ${seed}${lastKl !== undefined ? `, KL ${lastKl.toFixed(3)}` : ''}) in ${seconds.toFixed(1)} s`);
    return 0;
  });
  return code ?? EXIT_CANCELLED;
}
