// What every command does the same way: parsing flags (--json and --help included), checking numbers
// and choices with one-line messages, refusing to overwrite, Ctrl+C as an AbortSignal, opening a run.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { checkOutput as checkWritable } from '../engine/exports/write.ts';
import type { LoadedRun } from '../engine/training/run-file.ts';
import { isCancelled } from '../contract/errors.ts';
import { UsageError } from './errors.ts';
import type { Output } from './output.ts';

/** The exit code of a command stopped by Ctrl+C (128 + SIGINT, as shells report it). */
export const EXIT_CANCELLED = 130;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * parseArgs with --json and --help/-h added; prints `usage` and returns null for --help (the command
 * then returns 0). Unknown flags throw parseArgs' own errors, which main reports in one line.
 */
export function parseCommand<const O extends OptionsConfig, const P extends boolean = true>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals: P = true as P,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: P; options: O & typeof COMMON_OPTIONS }>> | null {
  const config = { args: argv, allowPositionals, options: { ...options, ...COMMON_OPTIONS } };
  const parsed = parseArgs(config);
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return null;
  }
  return parsed as ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: P; options: O & typeof COMMON_OPTIONS }>>;
}

/** --out FILE (-o) and --force, for the commands that write a file. */
export const OUT_FLAGS = {
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean', default: false },
} as const;

/** The one positional argument, e.g. onePositional(p, 'train', 'folder', 'a folder (or sample:mnist)'). */
export function onePositional(positionals: string[], command: string, noun: string, needs = `a ${noun}`): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs ${needs}; see latent-explorer ${command} --help`);
  if (positionals.length > 1) throw new UsageError(`${command} takes one ${noun}, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

/** Bounds of a number option: min/max inclusive, above/below exclusive; `what` replaces the generated wording. */
export interface Range {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  example?: string;
  what?: string;
}

function describe(kind: string, r: Range): string {
  if (r.what) return r.what;
  const lower = r.min !== undefined ? `from ${r.min}` : r.above !== undefined ? `above ${r.above}` : '';
  const upper = r.max !== undefined ? `${r.max}` : r.below !== undefined ? `below ${r.below}` : '';
  let text = kind;
  if (r.above !== undefined && r.below !== undefined) text += ` between ${r.above} and ${r.below}`;
  else if (lower && upper) text += r.min !== undefined ? ` ${lower} to ${upper}` : ` ${lower} and at most ${upper}`;
  else if (r.min !== undefined) text += ` >= ${r.min}`;
  else if (lower) text += ` ${lower}`;
  else if (r.max !== undefined) text += ` <= ${r.max}`;
  else if (upper) text += ` ${upper}`;
  return r.example ? `${text}, e.g. ${r.example}` : text;
}

function inRange(n: number, r: Range): boolean {
  return (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max) && (r.above === undefined || n > r.above) && (r.below === undefined || n < r.below);
}

function readNumber(values: Record<string, unknown>, name: string, whole: boolean, range: Range): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || (whole && !Number.isInteger(n)) || !inRange(n, range))
    throw new UsageError(`--${name} must be ${describe(whole ? 'a whole number' : 'a number', range)} (got '${String(raw)}')`);
  return n;
}

/** A whole-number option, or undefined when absent: `intOption(values, 'epochs', { min: 1 }) ?? 10`. */
export function intOption(values: Record<string, unknown>, name: string, range: Range = {}): number | undefined {
  return readNumber(values, name, true, range);
}

/** A number option, or undefined when absent: `numberOption(values, 'range', { above: 0, max: 20 })`. */
export function numberOption(values: Record<string, unknown>, name: string, range: Range = {}): number | undefined {
  return readNumber(values, name, false, range);
}

/** "a", "a or b", "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** One of fixed words, or undefined when absent: `choiceOption(values, 'fit', ['contain', 'cover', 'fill'])`. */
export function choiceOption<const C extends string>(values: Record<string, unknown>, name: string, choices: readonly C[]): C | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as C)) throw new UsageError(`--${name} must be ${orList(choices)} (got '${String(raw)}')`);
  return raw as C;
}

/**
 * The --out path, resolved: not a folder when a file is written (`file`, default true), not the input
 * itself, not an existing file unless --force, and in a folder that can take it.
 */
export function checkOutput(out: string, opts: { force: boolean; input?: string; file?: boolean }): string {
  const full = resolve(out);
  if (existsSync(full)) {
    if (opts.file !== false && statSync(full).isDirectory()) throw new UsageError(`${full}: is a folder; --out needs a file name`);
    if (opts.input !== undefined && existsSync(opts.input) && realpathSync(full) === realpathSync(opts.input))
      throw new UsageError(`${full}: is the input; choose another --out`);
  }
  return checkWritable(full, opts.force);
}

/**
 * Runs `work` with Ctrl+C wired to its AbortSignal. An AbortError ends in a 'cancelled' event (the
 * `cancelled` text for people) and null, for which the command exits with EXIT_CANCELLED; a
 * terminal's progress line is cleared before any message.
 */
export async function withCancel<T>(output: Output, cancelled: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    return await work(controller.signal);
  } catch (error) {
    output.endProgressLine();
    if (isCancelled(error)) {
      output.event('cancelled', {}, cancelled);
      return null;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Opens a run folder (the TF.js backend first) with one-line messages for a missing argument, a
 * missing folder and a broken run. TF.js is imported here, lazily, so commands without runs start fast.
 */
export async function openRunForCli(runArg: string | undefined, command: string): Promise<LoadedRun> {
  if (!runArg) throw new UsageError(`${command} needs a run folder; see latent-explorer ${command} --help`);
  const runDir = resolve(runArg);
  if (!existsSync(runDir)) throw new UsageError(`${runDir}: no such run folder`);
  const { initBackend } = await import('../engine/backend.ts');
  const { loadRun } = await import('../engine/training/run-file.ts');
  await initBackend();
  return await loadRun(runDir);
}
