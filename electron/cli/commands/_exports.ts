// What the export commands (gif, grid, bundle) share: opening the run, reading dimensions the way
// the app names them, progress lines, refusing to overwrite, writing the file. Not a command itself
// (the leading underscore keeps it out of the command list).
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { initBackend } from '../../engine/backend.ts';
import { throttle } from '../../engine/jobs.ts';
import type { ExportHooks, ExportResult, ExportSource } from '../../engine/exports/exporter.ts';
import { produceExport, saveExport } from '../../engine/exports/exporter.ts';
import { openExportSource } from '../../engine/exports/source.ts';
import { checkOutput, OutputExistsError } from '../../engine/exports/write.ts';
import type { RunFile } from '../../engine/training/run-file.ts';
import { UsageError } from '../errors.ts';
import type { Output } from '../output.ts';

/** Opens a run folder (the TF.js backend first), with one-line messages for what is wrong. */
export async function openRun(runArg: string | undefined, command: string): Promise<ExportSource> {
  if (!runArg) throw new UsageError(`${command} needs a run folder; see latent-explorer ${command} --help`);
  const runDir = resolve(runArg);
  if (!existsSync(runDir)) throw new UsageError(`${runDir}: no such run folder`);
  await initBackend();
  try {
    return await openExportSource(runDir);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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

/** A whole number option, or undefined when absent. */
export function intOption(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got '${String(v)}')`);
  return n;
}

export function numberOption(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n <= min || n > max)
    throw new UsageError(`--${name} must be a number above ${min} and at most ${max} (got '${String(v)}')`);
  return n;
}

/** The --out path: present, with the expected extension, and not an existing file unless --force. */
export function outputPath(out: string | undefined, extension: string | null, force: boolean, command: string): string {
  if (!out) throw new UsageError(`${command} needs --out FILE${extension ?? ''}`);
  if (extension && extname(out).toLowerCase() !== extension) throw new UsageError(`--out ${out}: the file name must end in ${extension}`);
  try {
    return checkOutput(out, force);
  } catch (error) {
    if (error instanceof OutputExistsError) throw new UsageError(error.message);
    throw error;
  }
}

/** Produces and writes the export with progress (JSON lines, or one updating line on a terminal) and Ctrl+C to cancel. */
export async function runExport(
  source: ExportSource,
  spec: Parameters<typeof produceExport>[1],
  out: string,
  force: boolean,
  output: Output,
): Promise<{ result: ExportResult; path: string; seconds: number } | null> {
  const tty = !output.json && process.stderr.isTTY;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = throttle((p: { fraction: number; message: string }) => {
    if (output.json) output.event('progress', { fraction: Math.round(p.fraction * 1000) / 1000, message: p.message });
    else if (tty) process.stderr.write(`\r\x1b[K${Math.round(p.fraction * 100)}% ${p.message}`);
  });
  const hooks: ExportHooks = { signal: controller.signal, onProgress: (fraction, message) => progress({ fraction, message }) };
  const started = performance.now();
  try {
    const result = await produceExport(source, spec, hooks);
    progress.flush();
    let path: string;
    try {
      path = saveExport(result, out, force);
    } catch (error) {
      if (error instanceof OutputExistsError) throw new UsageError(error.message);
      throw error;
    }
    return { result, path, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') {
      if (tty) process.stderr.write('\r\x1b[K');
      output.event('cancelled', {}, 'Export cancelled; nothing was written.');
      return null;
    }
    if ((error as Error)?.name === 'UserError') throw new UsageError((error as Error).message);
    throw error;
  } finally {
    progress.flush();
    if (tty) process.stderr.write('\r\x1b[K');
    process.off('SIGINT', onSigint);
    source.loaded.dispose();
  }
}
