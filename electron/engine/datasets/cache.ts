// The decoded-image cache in <data folder>/cache/datasets: one file per (folder, pixel options),
// valid while the folder's fingerprint (file list with sizes and mtimes, labels.csv, layout) is the
// same. Layout: 'LEDSCACH', u32 header length, JSON header, padding to 4, Int32 labels, uint8 pixels.
import { mkdirSync, readdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { isCancelled } from '../../contract/errors.ts';
import { dataDir } from '../paths.ts';
import type { LabelsCsvReport, SkippedFile } from './types.ts';

const MAGIC = 'LEDSCACH';
/** Bump when decoding changes the pixels it produces, so old caches are not reused. */
export const CACHE_VERSION = 2;
/** Least recently used caches are removed beyond this total. */
const CACHE_BUDGET_BYTES = 8 * 2 ** 30;
const CHUNK = 256 * 2 ** 20;

export interface CachedImport {
  fingerprint: string;
  count: number;
  size: number;
  channels: 1 | 3;
  classNames: string[];
  files: string[];
  labels: Int32Array;
  pixels: Uint8Array;
  skipped: SkippedFile[];
  ignoredFiles: number;
  inverted: boolean;
  invertReason: string;
  labelsCsv?: LabelsCsvReport;
}

type Header = Omit<CachedImport, 'labels' | 'pixels'> & { version: number; key: string };

export function cacheDir(): string {
  return join(dataDir(), 'cache', 'datasets');
}

/** Cache file of a folder for the options that change pixels (not split or binarization). */
export function cacheFile(root: string, pixelKey: unknown): { path: string; key: string } {
  const key = JSON.stringify({ root, pixelKey, version: CACHE_VERSION });
  return { path: join(cacheDir(), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.bin`), key };
}

async function readFully(handle: Awaited<ReturnType<typeof open>>, target: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < target.length; ) {
    const { bytesRead } = await handle.read(target, done, Math.min(CHUNK, target.length - done), position + done);
    if (bytesRead === 0) throw new Error('cache file truncated');
    done += bytesRead;
  }
}

/** The cached import, or null when there is none, it is stale, or it is damaged. */
export async function readCache(path: string, key: string, fingerprint: string): Promise<CachedImport | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const prefix = new Uint8Array(12);
    await readFully(handle, prefix, 0);
    if (Buffer.from(prefix.subarray(0, 8)).toString('latin1') !== MAGIC) return null;
    const headerLength = new DataView(prefix.buffer).getUint32(8, true);
    const headerBytes = new Uint8Array(headerLength);
    await readFully(handle, headerBytes, 12);
    const header = JSON.parse(Buffer.from(headerBytes).toString('utf8')) as Header;
    if (header.version !== CACHE_VERSION || header.key !== key || header.fingerprint !== fingerprint) return null;
    const labelsAt = align4(12 + headerLength);
    const labels = new Int32Array(header.count);
    await readFully(handle, new Uint8Array(labels.buffer), labelsAt);
    const pixels = new Uint8Array(header.count * header.size * header.size * header.channels);
    await readFully(handle, pixels, labelsAt + labels.byteLength);
    const { version: _v, key: _k, ...rest } = header;
    try {
      const now = new Date();
      utimesSync(path, now, now); // recency for the LRU budget
    } catch {
      /* read-only data folder: fine */
    }
    return { ...rest, labels, pixels };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Writes atomically (temp file + rename); a failure only costs the next open a re-import. */
export async function writeCache(path: string, key: string, data: CachedImport, signal?: AbortSignal): Promise<boolean> {
  const { labels, pixels, ...rest } = data;
  const header: Header = { ...rest, version: CACHE_VERSION, key };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, 8);
  const dir = join(path, '..');
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const handle = await open(temp, 'w');
    try {
      let position = 0;
      const write = async (bytes: Uint8Array) => {
        for (let done = 0; done < bytes.length; ) {
          signal?.throwIfAborted();
          const { bytesWritten } = await handle.write(bytes, done, Math.min(CHUNK, bytes.length - done), position + done);
          done += bytesWritten;
        }
        position += bytes.length;
      };
      await write(prefix);
      await write(headerBytes);
      await write(new Uint8Array(align4(position) - position));
      await write(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
      await write(pixels);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    enforceBudget(path);
    return true;
  } catch (error) {
    await unlink(temp).catch(() => {});
    if (isCancelled(error)) throw error;
    return false;
  }
}

/** Removes the least recently used cache files beyond the budget, never the one just written. */
function enforceBudget(keep: string): void {
  const dir = cacheDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => {
      const path = join(dir, f);
      const s = statSync(path);
      return { path, size: s.size, used: s.mtimeMs };
    })
    .sort((a, b) => b.used - a.used);
  let total = 0;
  for (const f of files) {
    total += f.size;
    if (total > CACHE_BUDGET_BYTES && f.path !== keep) {
      try {
        unlinkSync(f.path);
      } catch {
        /* in use elsewhere: next time */
      }
    }
  }
}
