// What a folder was last imported with, kept beside the decoded-image cache: the options, and the
// file list (names, sizes, mtimes) it was imported from. Reopening a folder (Recent, --open) uses
// them to open it as before without the import dialog, and to say what changed when it did.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../files.ts';
import { cacheDir } from './cache.ts';
import { scanFolder, type ScanResult } from './scan.ts';
import type { FolderChanges, LastImport, PreprocessOptions } from '../../contract/datasets.ts';

const RECORD_VERSION = 1;
/** Names listed per kind of change (the counts say the rest). */
const EXAMPLES = 3;

/** One file as the import saw it: path relative to the folder, bytes, mtime in ms. */
export type ManifestEntry = [rel: string, size: number, mtimeMs: number];

interface ImportRecord {
  version: number;
  ref: string;
  options: PreprocessOptions;
  importedAt: string;
  fingerprint: string;
  files: ManifestEntry[];
}

function recordFile(ref: string): string {
  return join(cacheDir(), 'imports', `${createHash('sha256').update(ref).digest('hex').slice(0, 32)}.json`);
}

/** The images, labels.csv and factors.csv of a scan, as names with sizes and mtimes. */
export function manifestOf(scan: ScanResult): ManifestEntry[] {
  return [...scan.images, ...scan.sideFiles].map((f) => [f.rel, f.size, f.mtimeMs]);
}

/** Saves the options a folder was imported with and the files it had. A failure costs only the next dialog. */
export function recordImport(ref: string, scan: ScanResult, options: PreprocessOptions): void {
  const record: ImportRecord = { version: RECORD_VERSION, ref, options, importedAt: new Date().toISOString(), fingerprint: scan.fingerprint, files: manifestOf(scan) };
  try {
    writeFileAtomic(recordFile(ref), JSON.stringify(record)); // compact: 60,000 files are a few MB
  } catch {
    /* read-only or full data folder: reopening shows the dialog instead */
  }
}

function readRecord(ref: string): ImportRecord | null {
  try {
    const record = JSON.parse(readFileSync(recordFile(ref), 'utf8')) as ImportRecord;
    if (record.version !== RECORD_VERSION || record.ref !== ref || !Array.isArray(record.files) || !record.options) return null;
    return record;
  } catch {
    return null;
  }
}

/** Files added, removed and modified (other size or mtime) from `before` to `after`, with a few names of each. */
export function diffManifests(before: ManifestEntry[], after: ManifestEntry[]): FolderChanges {
  const old = new Map(before.map(([rel, size, mtime]) => [rel, `${size}:${mtime}`]));
  const added: string[] = [];
  const modified: string[] = [];
  for (const [rel, size, mtime] of after) {
    const was = old.get(rel);
    if (was === undefined) added.push(rel);
    else if (was !== `${size}:${mtime}`) modified.push(rel);
    old.delete(rel);
  }
  const removed = [...old.keys()];
  const few = (list: string[]) => list.sort().slice(0, EXAMPLES);
  return { added: added.length, removed: removed.length, modified: modified.length, examples: { added: few(added), removed: few(removed), modified: few(modified) } };
}

/**
 * The options `ref` was last imported with and what changed in it since (one scan: names, sizes,
 * mtimes, no decoding); null when it was never imported here (or its record is unreadable).
 */
export async function lastImport(ref: string, signal?: AbortSignal): Promise<LastImport | null> {
  const record = readRecord(ref);
  if (!record) return null;
  let scan: ScanResult;
  try {
    scan = await scanFolder(ref, { signal });
  } catch {
    return null; // gone or unreadable: the normal open says why
  }
  const changes = diffManifests(record.files, manifestOf(scan));
  return { ref, options: record.options, importedAt: record.importedAt, unchanged: scan.fingerprint === record.fingerprint, changes };
}
