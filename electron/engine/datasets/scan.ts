// Walks an image folder (read-only): which files are images, which label the layout gives them, and
// which entries are skipped before decoding (empty files, symlink loops, broken links, names that are
// not UTF-8, unreadable folders). The file list (paths, sizes, mtimes) fingerprints the folder.
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { UserError } from '../../contract/errors.ts';
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { IMAGE_EXTENSIONS } from './sniff.ts';
import { LABELS_CSV } from './labels-csv.ts';
import { FACTORS_CSV } from './factors-csv.ts';
import type { SkippedFile } from './types.ts';
import { SKIP_REASONS } from './types.ts';

export interface ScannedImage {
  /** Relative to the folder, '/' separated. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  /** First-level folder the file is in; null at the top level. */
  topFolder: string | null;
  /** Label from the layout: the first-level folder name; null when unlabelled. */
  folderLabel: string | null;
}

export interface ScanResult {
  root: string;
  /** Sorted by path. */
  images: ScannedImage[];
  skipped: SkippedFile[];
  /** Non-image files (by name) that are not hidden. */
  ignoredFiles: number;
  /** First-level folders whose name is a label. */
  classFolders: string[];
  labelsCsv: string | null;
  /** factors.csv at the top of the folder: known factors of variation per image. */
  factorsCsv: string | null;
  /** Changes when any image, labels.csv or the folder layout changes. */
  fingerprint: string;
  /** labels.csv and factors.csv with their sizes and mtimes (for telling what changed). */
  sideFiles: { rel: string; size: number; mtimeMs: number }[];
}

/** Folders whose images carry no label, at the first level. */
export function isUnlabelledFolder(name: string): boolean {
  return /^unlabell?ed$/i.test(name);
}

/** Names that are never data: hidden files, OS and NAS metadata. */
function isHidden(name: string): boolean {
  return name.startsWith('.') || ['__MACOSX', 'Thumbs.db', 'desktop.ini', '@eaDir', '$RECYCLE.BIN', 'System Volume Information'].includes(name);
}

const MAX_DEPTH = 64;
/** Files larger than this are not decoded (a 100-megapixel RGBA image is 400 MB uncompressed). */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface ScanHooks {
  signal?: AbortSignal;
  onScanned?: (scanned: number) => void;
  /** Follow symbolic links that lead out of the opened folder (default: LATENT_EXPLORER_FOLLOW_LINKS=1, else no). */
  followLinks?: boolean;
}

/** Kernel and device file systems: never image folders, and /proc/<pid>/cwd leads back into the whole disk. */
const SYSTEM_FOLDERS = ['/proc', '/sys', '/dev'];

function isSystemPath(real: string): boolean {
  return process.platform !== 'win32' && SYSTEM_FOLDERS.some((d) => real === d || real.startsWith(`${d}/`));
}

function isInside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

export async function scanFolder(root: string, hooks: ScanHooks = {}): Promise<ScanResult> {
  const realRoot = realpathSync(root);
  const followLinks = hooks.followLinks ?? process.env.LATENT_EXPLORER_FOLLOW_LINKS === '1';
  const images: ScannedImage[] = [];
  const skipped: SkippedFile[] = [];
  const classFolders: string[] = [];
  const visited = new Set<string>();
  const layout: string[] = [];
  let ignoredFiles = 0;
  let labelsCsv: string | null = null;
  let labelsStat = '';
  let factorsCsv: string | null = null;
  let factorsStat = '';
  let scanned = 0;
  const sideFiles: ScanResult['sideFiles'] = [];

  const skip = (path: string, reason: string, detail?: string) => skipped.push(detail ? { path, reason, detail } : { path, reason });

  async function walk(dir: string, rel: string, depth: number, ancestors: Set<string>, top: string | null, label: string | null): Promise<void> {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (depth === 0) throw error;
      skip(`${rel}/`, SKIP_REASONS.unreadable, (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message);
      return;
    }
    const badNames = invalidUtf8Names(dir, entries);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++scanned % 512 === 0) {
        hooks.signal?.throwIfAborted();
        hooks.onScanned?.(scanned);
        await nextTurn();
      }
      const name = entry.name;
      const path = rel ? `${rel}/${name}` : name;
      if (badNames.has(name)) {
        skip(entry.isDirectory() ? `${path}/` : path, SKIP_REASONS.badName, 'rename it to import it');
        continue;
      }
      if (isHidden(name)) continue;
      const abs = join(dir, name);
      const isImageName = IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
      let stats: Stats | null = null;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          stats = statSync(abs);
          isDir = stats.isDirectory();
          isFile = stats.isFile();
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') skip(path, SKIP_REASONS.symlinkLoop);
          else if (code === 'ENOENT') {
            if (isImageName || !extname(name)) skip(path, SKIP_REASONS.brokenLink);
          } else if (isImageName) skip(path, SKIP_REASONS.unreadable, code ?? (error as Error).message);
          continue;
        }
      }
      if (isDir) {
        let real: string;
        try {
          real = realpathSync(abs);
        } catch (error) {
          skip(`${path}/`, SKIP_REASONS.unreadable, (error as Error).message);
          continue;
        }
        if (isSystemPath(real)) {
          skip(`${path}/`, SKIP_REASONS.systemFolder);
          continue;
        }
        if (!followLinks && !isInside(real, realRoot)) {
          skip(`${path}/`, SKIP_REASONS.outsideLink, `links to ${real}`);
          continue;
        }
        if (ancestors.has(real)) {
          skip(`${path}/`, SKIP_REASONS.symlinkLoop, 'links back to a folder that contains it');
          continue;
        }
        if (visited.has(real)) {
          skip(`${path}/`, SKIP_REASONS.duplicateFolder);
          continue;
        }
        if (depth + 1 > MAX_DEPTH) continue;
        visited.add(real);
        layout.push(`${path}/`);
        let childTop = top;
        let childLabel = label;
        if (depth === 0) {
          childTop = name;
          childLabel = isUnlabelledFolder(name) ? null : name;
          if (childLabel !== null) classFolders.push(name);
        }
        await walk(abs, path, depth + 1, new Set([...ancestors, real]), childTop, childLabel);
        continue;
      }
      if (depth === 0 && name.toLowerCase() === LABELS_CSV && isFile) {
        try {
          labelsCsv = readFileSync(abs, 'utf8');
          const s = stats ?? statSync(abs);
          labelsStat = `${s.size}:${s.mtimeMs}`;
          sideFiles.push({ rel: name, size: s.size, mtimeMs: s.mtimeMs });
        } catch (error) {
          skip(path, SKIP_REASONS.unreadable, (error as Error).message);
        }
        continue;
      }
      if (depth === 0 && name.toLowerCase() === FACTORS_CSV && isFile) {
        try {
          factorsCsv = readFileSync(abs, 'utf8');
          const s = stats ?? statSync(abs);
          factorsStat = `${s.size}:${s.mtimeMs}`;
          sideFiles.push({ rel: name, size: s.size, mtimeMs: s.mtimeMs });
        } catch (error) {
          skip(path, SKIP_REASONS.unreadable, (error as Error).message);
        }
        continue;
      }
      if (!isImageName) {
        if (isFile) ignoredFiles++;
        continue;
      }
      if (!isFile) {
        skip(path, SKIP_REASONS.unreadable, 'not a regular file');
        continue;
      }
      if (entry.isSymbolicLink() && !followLinks) {
        let real: string;
        try {
          real = realpathSync(abs);
        } catch (error) {
          skip(path, SKIP_REASONS.unreadable, (error as Error).message);
          continue;
        }
        if (!isInside(real, realRoot)) {
          skip(path, SKIP_REASONS.outsideLink, `links to ${real}`);
          continue;
        }
      }
      try {
        stats ??= statSync(abs);
      } catch (error) {
        skip(path, SKIP_REASONS.unreadable, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
        continue;
      }
      if (stats.size === 0) skip(path, SKIP_REASONS.empty);
      else if (stats.size > MAX_FILE_BYTES) skip(path, SKIP_REASONS.tooLarge, `the file is ${(stats.size / 2 ** 30).toFixed(1)} GB`);
      else images.push({ rel: path, abs, size: stats.size, mtimeMs: stats.mtimeMs, topFolder: top, folderLabel: label });
    }
  }

  if (isSystemPath(realRoot)) throw new UserError(`${root}: a system folder (${realRoot}), not an image folder`);
  visited.add(realRoot);
  await walk(realRoot, '', 0, new Set([realRoot]), null, null);
  hooks.onScanned?.(scanned);

  const byPath = (a: { rel?: string; path?: string }, b: { rel?: string; path?: string }) => {
    const x = a.rel ?? a.path ?? '';
    const y = b.rel ?? b.path ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  };
  images.sort(byPath);
  skipped.sort(byPath);

  const hash = createHash('sha256');
  hash.update(`root\0${realRoot}\n`);
  for (const image of images) hash.update(`${image.rel}\0${image.size}\0${image.mtimeMs}\n`);
  for (const s of skipped) hash.update(`skip\0${s.path}\0${s.reason}\n`);
  for (const dir of layout) hash.update(`dir\0${dir}\n`);
  hash.update(`labels\0${labelsStat}\0${ignoredFiles}\n`);
  // Only folders with factors.csv hash it, so caches of other folders stay valid.
  if (factorsCsv !== null) hash.update(`factors\0${factorsStat}\n`);
  return { root: realRoot, images, skipped, ignoredFiles, classFolders, labelsCsv, factorsCsv, fingerprint: hash.digest('hex'), sideFiles };
}

/**
 * Names that are not valid UTF-8. Node decodes them with U+FFFD replacement characters, so only
 * folders with such a character are listed again as raw bytes to tell real U+FFFD from bad bytes.
 */
function invalidUtf8Names(dir: string, entries: Dirent[]): Set<string> {
  const bad = new Set<string>();
  if (!entries.some((e) => e.name.includes('\uFFFD'))) return bad;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
    try {
      decoder.decode(raw);
    } catch {
      bad.add(raw.toString('utf8'));
    }
  }
  return bad;
}
