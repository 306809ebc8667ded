// What the export commands (gif, grid, bundle) share: the run as an export source, dimensions and
// images the way the app names them, the --out file's extension, progress while producing, writing. Not a command itself
// (the leading underscore keeps it out of the command list).
import { extname } from 'node:path';
import { throttle } from '../../engine/jobs.ts';
import type { ExportHooks, ExportResult, ExportSource } from '../../engine/exports/exporter.ts';
import { produceExport, saveExport } from '../../engine/exports/exporter.ts';
import { sourceFor } from '../../engine/exports/source.ts';
import type { RunFile } from '../../engine/training/run-file.ts';
import { checkOutput, openRunForCli, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import type { Output } from '../output.ts';

/** Opens a run folder as an export source (see openRunForCli for the messages). */
export async function openRun(runArg: string | undefined, command: string): Promise<ExportSource> {
  return sourceFor(await openRunForCli(runArg, command));
}

/**
 * A latent dimension as the user writes it: its number counted from 1 as in the app's names
 * (z1 is 1), or its name (e.g. z3, "style 2", or a name given in the app). Returns the 0-based index.
 */
export function parseDimension(text: string, run: RunFile, option: string): number {
  const latent = run.model.latent;
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > latent) throw new UsageError(`${option} ${t}: this run has dimensions 1 to ${latent} (counted from 1, like z1..z${latent})`);
    return n - 1;
  }
  const names = run.dimensionNames.map((n) => n.toLowerCase());
  const at = names.indexOf(t.toLowerCase());
  if (at >= 0) return at;
  throw new UsageError(`${option} '${t}': not a dimension of this run (use 1 to ${latent}, or a name: ${run.dimensionNames.join(', ')})`);
}

/** The options that were given (parseArgs leaves absent ones undefined; the defaults fill them in). */
export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** An image of the run's dataset by its 0-based index, as --anchor takes it. */
export function parseImageIndex(text: string, run: RunFile, option: string): number {
  const n = Number(text);
  const count = run.dataset.images;
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n >= count)
    throw new UsageError(`${option} ${text}: must be an image index from 0 to ${count - 1} (the run's dataset has ${count} images)`);
  return n;
}

/**
 * The --out path: present, with the expected extension, and not an existing file unless --force
 * (a folder is expected only when `extension` is null and the name does not end in .zip).
 */
export function outputPath(out: string | undefined, extension: string | null, force: boolean, command: string, input?: string): string {
  if (!out) throw new UsageError(`${command} needs --out FILE${extension ?? ''}`);
  if (extension && extname(out).toLowerCase() !== extension) throw new UsageError(`--out ${out}: the file name must end in ${extension}`);
  return checkOutput(out, { force, input, file: extension !== null || extname(out).toLowerCase() === '.zip' });
}

/** Produces and writes the export with progress (JSON lines, or one updating line on a terminal) and Ctrl+C to cancel. */
export async function runExport(
  source: ExportSource,
  spec: Parameters<typeof produceExport>[1],
  out: string,
  force: boolean,
  output: Output,
): Promise<{ result: ExportResult; path: string; seconds: number } | null> {
  const progress = throttle((p: { fraction: number; message: string }) => {
    if (output.json) output.event('progress', { fraction: Math.round(p.fraction * 1000) / 1000, message: p.message });
    else output.progressLine(`${Math.round(p.fraction * 100)}% ${p.message}`);
  });
  const started = performance.now();
  try {
    return await withCancel(output, 'Export cancelled; nothing was written.', async (signal) => {
      const hooks: ExportHooks = { signal, onProgress: (fraction, message) => progress({ fraction, message }) };
      const result = await produceExport(source, spec, hooks);
      progress.flush();
      signal.throwIfAborted(); // Ctrl+C during the last chunk: nothing is written
      const path = saveExport(result, out, force);
      return { result, path, seconds: (performance.now() - started) / 1000 };
    });
  } finally {
    progress.flush();
    output.endProgressLine();
    source.loaded.dispose();
  }
}

