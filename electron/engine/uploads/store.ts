// Uploads in progress and their folders: <data>/uploads/<name>-<content hash>/. Files go to a hidden
// staging folder first (.partial-<pid>-<id>) and the whole folder appears by one rename when the
// upload finishes, so no reader ever sees half an upload. A cancelled, failed or abandoned upload
// leaves nothing behind; a killed engine's staging folders are removed by the next upload.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserError } from '../../contract/errors.ts';
import { UPLOAD_LIMITS, type UploadFile, type UploadListing } from '../../contract/uploads.ts';
import { writeJsonAtomic } from '../files.ts';
import { dataDir } from '../paths.ts';
import { isProcessAlive } from '../processes.ts';
import { safeComponent, safeRelativePath, UnsafePathError } from './paths.ts';

/** An upload that hears nothing for this long is dropped (its page closed mid-way). */
const IDLE_MS = 10 * 60 * 1000;
/** Room left on the disk beyond the upload itself. */
const DISK_MARGIN = 512 * 2 ** 20;

export interface UploadLimits {
  fileBytes: number;
  files: number;
  totalBytes: number;
}

interface Upload {
  id: string;
  name: string;
  staging: string;
  declared: { files: number; bytes: number };
  files: Map<string, { bytes: number; hash: Hash }>;
  bytes: number;
  /** A request of this upload is being handled (requests of one upload are taken one at a time). */
  busy: Promise<unknown>;
  idle: NodeJS.Timeout;
  /** Cancelled or failed: stores nothing more; its staging folder is (being) removed. */
  dropped: boolean;
  /** Folders made in the staging folder so far (one mkdir per folder, not per file). */
  dirs: Set<string>;
}

export function uploadsDir(): string {
  return join(dataDir(), 'uploads');
}

const STAGING = /^\.partial-(\d+)-[0-9a-f]+$/;
/** A finished upload's folder name: the chosen name, '-', 12 hex digits of its content hash. */
const FINISHED = /^(.+)-([0-9a-f]{12})$/;

/** What is known of a finished upload without walking it: <data>/cache/uploads/<folder>.json (a cache: walked again when missing). */
interface UploadMeta {
  files: number;
  bytes: number;
  uploadedAt: string;
}

function metaPath(folder: string): string {
  return join(dataDir(), 'cache', 'uploads', `${folder}.json`);
}

/** The meta of an upload; walked and written once for a folder that has none (uploaded by an older version). */
function uploadMeta(folder: string): UploadMeta {
  try {
    const meta = JSON.parse(readFileSync(metaPath(folder), 'utf8')) as UploadMeta;
    if (Number.isFinite(meta.files) && Number.isFinite(meta.bytes) && typeof meta.uploadedAt === 'string') return meta;
  } catch {
    /* none yet, or unreadable: walk the folder */
  }
  const root = join(uploadsDir(), folder);
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += statSync(join(entry.parentPath ?? (entry as { path: string }).path, entry.name)).size;
  }
  const meta = { files, bytes, uploadedAt: statSync(root).mtime.toISOString() };
  writeMeta(folder, meta);
  return meta;
}

function writeMeta(folder: string, meta: UploadMeta): void {
  try {
    mkdirSync(dirname(metaPath(folder)), { recursive: true });
    writeJsonAtomic(metaPath(folder), meta);
  } catch {
    /* only a cache of what the folder holds: listing walks it again */
  }
}

/** The finished uploads, newest first (runs: 0; the handler counts them). */
export function listUploads(): UploadListing[] {
  if (!existsSync(uploadsDir())) return [];
  const out: UploadListing[] = [];
  for (const entry of readdirSync(uploadsDir(), { withFileTypes: true })) {
    const m = FINISHED.exec(entry.name);
    if (!entry.isDirectory() || entry.name.startsWith('.') || !m) continue;
    const meta = uploadMeta(entry.name);
    out.push({ path: join(uploadsDir(), entry.name), name: m[1], files: meta.files, bytes: meta.bytes, uploadedAt: meta.uploadedAt, runs: 0 });
  }
  return out.sort((a, b) => b.uploadedAt.localeCompare(a.uploadedAt) || a.name.localeCompare(b.name));
}

/**
 * Deletes a finished upload. Only a folder directly inside the uploads folder, named as an upload is, can
 * be removed this way: any other path (the user's own folders, a staging folder, a symlink) is refused.
 */
export function removeUpload(path: unknown): { removed: boolean; bytes: number } {
  if (typeof path !== 'string' || !path) throw new UserError('upload.remove needs the path of an uploaded folder.');
  const target = resolve(path);
  const folder = basename(target);
  if (dirname(target) !== resolve(uploadsDir()) || folder.startsWith('.') || !FINISHED.test(folder)) {
    throw new UserError(`${path}: not an uploaded folder (only folders in ${uploadsDir()} can be removed here; your own folders are never deleted).`);
  }
  if (!existsSync(target)) return { removed: false, bytes: 0 };
  if (!lstatSync(target).isDirectory()) throw new UserError(`${path}: not a folder.`);
  const { bytes } = uploadMeta(folder);
  rmSync(target, { recursive: true, force: true });
  rmSync(metaPath(folder), { force: true });
  return { removed: true, bytes };
}

export class Uploads {
  private readonly open = new Map<string, Upload>();

  constructor(private readonly limits: UploadLimits = UPLOAD_LIMITS) {}

  begin(name: unknown, files: unknown, bytes: unknown): { uploadId: string } {
    const folder = typeof name === 'string' ? safeComponent(name.replace(/[/]/g, '_')).replace(/^\.+/, '') : '';
    if (!Number.isSafeInteger(files) || (files as number) < 1) throw new UserError('An upload needs at least one file.');
    if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) throw new UserError('An upload must say how many bytes it sends.');
    const n = files as number;
    const total = bytes as number;
    if (n > this.limits.files) throw new UserError(`An upload holds at most ${this.limits.files.toLocaleString('en-US')} files (this one has ${n.toLocaleString('en-US')}); open the folder from disk instead.`);
    if (total > this.limits.totalBytes) throw new UserError(`An upload holds at most ${gb(this.limits.totalBytes)} (this one is ${gb(total)}); open the folder from disk instead.`);
    mkdirSync(uploadsDir(), { recursive: true });
    removeStaleStaging();
    const free = freeBytes(uploadsDir());
    if (free !== null && free < total + DISK_MARGIN) throw new UserError(`Not enough free disk space for this upload: ${gb(total)} needed, ${gb(free)} free in ${uploadsDir()}.`);
    const id = randomBytes(8).toString('hex');
    const staging = join(uploadsDir(), `.partial-${process.pid}-${id}`);
    mkdirSync(staging);
    const upload: Upload = { id, name: folder || 'upload', staging, declared: { files: n, bytes: total }, files: new Map(), bytes: 0, busy: Promise.resolve(), idle: this.idleTimer(id), dropped: false, dirs: new Set() };
    this.open.set(id, upload);
    return { uploadId: id };
  }

  /** Stores files of an upload; any refusal ends the upload (nothing it received stays). */
  receive(uploadId: unknown, files: unknown): Promise<{ files: number; bytes: number }> {
    const upload = this.get(uploadId);
    return this.serial(upload, async () => {
      try {
        if (!Array.isArray(files)) throw new UserError('upload.files needs a list of files.');
        for (const file of files as UploadFile[]) {
          if (upload.dropped) throw new UserError('The upload was cancelled.', 'cancelled');
          await this.store(upload, file);
        }
        return { files: upload.files.size, bytes: upload.bytes };
      } catch (error) {
        await this.drop(upload, true);
        if (error instanceof UnsafePathError) throw new UserError(`Upload refused: ${error.message}.`);
        throw error;
      }
    });
  }

  async finish(uploadId: unknown): Promise<{ path: string; files: number; bytes: number; reused: boolean }> {
    const upload = this.get(uploadId);
    return this.serial(upload, async () => {
      this.open.delete(upload.id);
      clearTimeout(upload.idle);
      try {
        if (upload.files.size !== upload.declared.files || upload.bytes !== upload.declared.bytes) {
          throw new UserError(`The upload ended with ${upload.files.size} of ${upload.declared.files} files (${upload.bytes} of ${upload.declared.bytes} bytes); nothing was kept.`);
        }
        // Same files (paths and contents), same folder: a second upload reuses the first.
        const content = createHash('sha256');
        for (const [path, f] of [...upload.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) content.update(`${path}\0${f.bytes}\0${f.hash.digest('hex')}\n`);
        const path = join(uploadsDir(), `${upload.name}-${content.digest('hex').slice(0, 12)}`);
        const reused = existsSync(path);
        if (reused) await rm(upload.staging, { recursive: true, force: true });
        else {
          await rename(upload.staging, path);
          writeMeta(basename(path), { files: upload.files.size, bytes: upload.bytes, uploadedAt: new Date().toISOString() });
        }
        return { path, files: upload.files.size, bytes: upload.bytes, reused };
      } catch (error) {
        await rm(upload.staging, { recursive: true, force: true });
        throw error;
      }
    });
  }

  /** Stops an upload; resolves once what it received is removed (after a write in progress ends). */
  async cancel(uploadId: unknown): Promise<{ cancelled: boolean }> {
    const upload = typeof uploadId === 'string' ? this.open.get(uploadId) : undefined;
    if (!upload) return { cancelled: false };
    await this.drop(upload);
    return { cancelled: true };
  }

  /** Drops every upload (engine shutdown). */
  dropAll(): void {
    for (const upload of [...this.open.values()]) void this.drop(upload);
  }

  private async store(upload: Upload, file: UploadFile): Promise<void> {
    if (!file || typeof file !== 'object' || !(file.bytes instanceof Uint8Array)) throw new UserError('Each uploaded file needs a path and its bytes.');
    const parts = safeRelativePath(file.path);
    const rel = parts.join('/');
    const target = resolve(upload.staging, ...parts);
    // Belt and braces: the sanitised parts cannot leave the staging folder.
    if (!target.startsWith(upload.staging + sep)) throw new UnsafePathError(`${JSON.stringify(file.path)}: outside the upload`);
    const known = upload.files.get(rel);
    if (file.append && !known) throw new UserError(`Upload refused: ${rel} is continued before it was begun.`);
    if (!file.append && known) throw new UserError(`Upload refused: ${rel} is sent twice (two names that differ only in characters made safe?).`);
    const size = (known?.bytes ?? 0) + file.bytes.byteLength;
    if (size > this.limits.fileBytes) throw new UserError(`Upload refused: ${rel} is larger than ${gb(this.limits.fileBytes)}.`);
    if (upload.bytes + file.bytes.byteLength > upload.declared.bytes) throw new UserError('Upload refused: more bytes than it announced.');
    if (!known && upload.files.size + 1 > upload.declared.files) throw new UserError('Upload refused: more files than it announced.');
    if (known) {
      await appendFile(target, file.bytes);
      known.bytes = size;
      known.hash.update(file.bytes);
    } else {
      const dir = parts.slice(0, -1).join('/');
      if (dir && !upload.dirs.has(dir)) {
        await mkdir(resolve(upload.staging, ...parts.slice(0, -1)), { recursive: true });
        upload.dirs.add(dir);
      }
      // 'wx': never through an existing name (nothing but us writes in the staging folder anyway).
      await writeFile(target, file.bytes, { flag: 'wx' });
      upload.files.set(rel, { bytes: size, hash: createHash('sha256').update(file.bytes) });
    }
    upload.bytes += file.bytes.byteLength;
  }

  private get(uploadId: unknown): Upload {
    const upload = typeof uploadId === 'string' ? this.open.get(uploadId) : undefined;
    if (!upload) throw new UserError('No such upload (it finished, was cancelled, failed, or waited too long).', 'not-found');
    clearTimeout(upload.idle);
    upload.idle = this.idleTimer(upload.id);
    return upload;
  }

  /** Runs the requests of one upload one after another (appends must stay in order). */
  private serial<T>(upload: Upload, work: () => Promise<T>): Promise<T> {
    const next = upload.busy.then(work, work);
    upload.busy = next.catch(() => {});
    return next;
  }

  /**
   * Ends an upload: no request finds it any more, and its staging folder is removed once the write
   * in progress (if any) is over — removing it under a write would let mkdir bring it back.
   */
  private drop(upload: Upload, fromItsChain = false): Promise<void> {
    this.open.delete(upload.id);
    clearTimeout(upload.idle);
    upload.dropped = true;
    const remove = () => rmSync(upload.staging, { recursive: true, force: true });
    // From inside the upload's own chain (a failed receive) at once; else after the chain's work.
    if (fromItsChain) {
      remove();
      return Promise.resolve();
    }
    return upload.busy.then(remove, remove);
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const upload = this.open.get(id);
      if (upload) void this.drop(upload);
    }, IDLE_MS);
    timer.unref();
    return timer;
  }
}

/** Staging folders of engines that are gone (killed mid-upload). */
function removeStaleStaging(): void {
  for (const name of readdirSync(uploadsDir())) {
    const m = STAGING.exec(name);
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1]))) rmSync(join(uploadsDir(), name), { recursive: true, force: true });
  }
}

function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

function gb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(bytes / 2 ** 20)} MB`;
}
