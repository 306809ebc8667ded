// Where a run keeps the style directions its user defined: style-directions.json in the run folder,
// a file of its own (not run.json) because a run in training rewrites run.json from memory. Sample runs
// ship read-only with the app: theirs live in the data folder (sample-run-directions/NAME.json), as
// their dimension names do. Writes are atomic and synchronous (read-modify-write in one turn).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { StyleDirection } from '../../contract/style.ts';
import { UserError } from '../../contract/errors.ts';
import { writeJsonAtomic } from '../files.ts';
import { dataDir } from '../paths.ts';
import { sampleRunsDir } from './runs.ts';

const FORMAT = 'latent-explorer-style-directions';
const VERSION = 1;
export const MAX_DIRECTION_NAME = 40;

export function directionsFile(runDir: string): string {
  const samples = sampleRunsDir();
  if (samples && resolve(dirname(runDir)) === resolve(samples)) return join(dataDir(), 'sample-run-directions', `${basename(runDir)}.json`);
  return join(runDir, 'style-directions.json');
}

/** The run's directions for a model with `style` z^X dimensions (entries of another size are left out). */
export function readDirections(runDir: string, style: number): StyleDirection[] {
  const file = directionsFile(runDir);
  if (!existsSync(file)) return [];
  let parsed: { format?: string; directions?: StyleDirection[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: corrupt, not valid JSON (${(e as Error).message})`);
  }
  if (parsed?.format !== FORMAT || !Array.isArray(parsed.directions)) throw new UserError(`${file}: not a style directions file (format field missing)`);
  return parsed.directions.filter((d) => typeof d?.name === 'string' && Array.isArray(d.vector) && d.vector.length === style);
}

function write(runDir: string, directions: StyleDirection[]): void {
  writeJsonAtomic(directionsFile(runDir), { format: FORMAT, version: VERSION, directions });
}

/** A direction's name as the user typed it, checked: not empty, not too long, not a dimension's name. */
export function checkDirectionName(name: unknown, dimensionNames: string[]): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (!n) throw new UserError('A style direction needs a name.');
  if (n.length > MAX_DIRECTION_NAME) throw new UserError(`The name '${n.slice(0, 20)}…' is too long (at most ${MAX_DIRECTION_NAME} characters).`);
  if (dimensionNames.some((d) => d.toLowerCase() === n.toLowerCase())) throw new UserError(`'${n}' is already the name of a latent dimension; pick another name for the direction.`);
  if (/^\d+$/.test(n)) throw new UserError(`'${n}': a direction's name cannot be a number (numbers pick dimensions).`);
  return n;
}

export function saveDirection(runDir: string, style: number, direction: StyleDirection, replace: boolean): StyleDirection[] {
  const all = readDirections(runDir, style);
  const at = all.findIndex((d) => d.name.toLowerCase() === direction.name.toLowerCase());
  if (at >= 0 && !replace) throw new UserError(`A style direction named '${direction.name}' exists; choose another name or replace it.`);
  if (at >= 0) all[at] = direction;
  else all.push(direction);
  write(runDir, all);
  return all;
}

export function deleteDirection(runDir: string, style: number, name: string): StyleDirection[] {
  const all = readDirections(runDir, style);
  const left = all.filter((d) => d.name.toLowerCase() !== String(name).toLowerCase());
  if (left.length === all.length) throw new UserError(`No style direction named '${name}' in this run.`);
  write(runDir, left);
  return left;
}

/** A saved direction by name (case-insensitive), or a message listing the names there are. */
export function findDirection(runDir: string, style: number, name: string): StyleDirection {
  const all = readDirections(runDir, style);
  const found = all.find((d) => d.name.toLowerCase() === name.trim().toLowerCase());
  if (!found) throw new UserError(`No style direction named '${name}' in this run${all.length ? ` (it has: ${all.map((d) => d.name).join(', ')})` : ' (it has none; define one in the Style view)'}.`);
  return found;
}
