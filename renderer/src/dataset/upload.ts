// A folder the browser gives as files (a drop, or the folder picker): the files the import would
// read are sent to the engine in frames of a few megabytes (upload.* requests), which keeps them in
// a folder of its data directory and answers with its path. Large files go in pieces.
import type { Client } from '../../../electron/contract/client.ts';
import { FOLDER_SIDE_FILES, IMAGE_EXTENSIONS } from '../../../electron/contract/datasets.ts';
import { UPLOAD_LIMITS, type UploadFile } from '../../../electron/contract/uploads.ts';

/** A file and its path inside the chosen folder ('cats/1.jpg'). */
export interface PickedFile {
  path: string;
  file: File;
}

export interface UploadProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/** Most files per request, whatever their size (small files: one frame of many). */
const FILES_PER_FRAME = 512;
const HIDDEN = new Set(['__MACOSX', 'Thumbs.db', 'desktop.ini', '@eaDir']);

/** The files an import reads: images by name, and labels.csv / factors.csv at the top; not hidden ones. */
export function filesToSend(files: PickedFile[]): { send: PickedFile[]; ignored: number } {
  const send = files.filter(({ path }) => {
    const parts = path.split('/');
    if (parts.some((p) => p.startsWith('.') || HIDDEN.has(p))) return false;
    const name = parts[parts.length - 1].toLowerCase();
    if (parts.length === 1 && FOLDER_SIDE_FILES.includes(name)) return true;
    const dot = name.lastIndexOf('.');
    return dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot));
  });
  return { send: send.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), ignored: files.length - send.length };
}

/** Files of an <input webkitdirectory>: each path starts with the chosen folder's name, which names the upload. */
export function fromDirectoryInput(list: FileList): { name: string; files: PickedFile[] } {
  const files = [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  const first = files[0]?.path.split('/') ?? [];
  const name = first.length > 1 ? first[0] : 'upload';
  const prefix = `${name}/`;
  return { name, files: files.map((f) => ({ ...f, path: f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path })) };
}

/** Files of a drop: a dropped folder is walked (webkitGetAsEntry); loose files stand at the top. */
export async function fromDrop(data: DataTransfer): Promise<{ name: string; files: PickedFile[] }> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return { name: 'dropped', files: [...data.files].map((file) => ({ path: file.name, file })) };
  const single = entries.length === 1 && entries[0].isDirectory ? entries[0] : null;
  const files: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      const inside = entry === single ? '' : `${prefix}${entry.name}/`;
      // readEntries answers in batches (100 in Chromium) until an empty one.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, inside);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return { name: single?.name ?? 'dropped', files };
}

/**
 * Sends `files` as a folder named `name`; resolves with its path in the engine's data directory.
 * Aborting `signal` stops sending and removes what the engine received.
 */
export async function uploadFolder(client: Client, name: string, files: PickedFile[], onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<string> {
  const totalBytes = files.reduce((n, f) => n + f.file.size, 0);
  const { uploadId } = await client.request('upload.begin', { name, files: files.length, bytes: totalBytes });
  const progress: UploadProgress = { files: 0, totalFiles: files.length, bytes: 0, totalBytes };
  onProgress({ ...progress });
  let batch: UploadFile[] = [];
  let batchBytes = 0;
  let batchFiles = 0;
  // One request in flight while the next batch is read from disk (the engine keeps their order).
  let inFlight: Promise<unknown> = Promise.resolve();
  const send = async (files: UploadFile[], bytes: number, count: number) => {
    await inFlight;
    signal.throwIfAborted();
    inFlight = client.request('upload.files', { uploadId, files }).then(() => {
      progress.bytes += bytes;
      progress.files += count;
      onProgress({ ...progress });
    });
    inFlight.catch(() => {}); // awaited (and thrown) by the next send or at the end
  };
  const flush = async () => {
    if (!batch.length) return;
    await send(batch, batchBytes, batchFiles);
    batch = [];
    batchBytes = 0;
    batchFiles = 0;
  };
  try {
    for (const { path, file } of files) {
      if (file.size > UPLOAD_LIMITS.frameBytes) {
        await flush();
        for (let at = 0; at < file.size; at += UPLOAD_LIMITS.frameBytes) {
          signal.throwIfAborted();
          const piece = new Uint8Array(await file.slice(at, at + UPLOAD_LIMITS.frameBytes).arrayBuffer());
          await send([{ path, bytes: piece, append: at > 0 }], piece.byteLength, at + piece.byteLength >= file.size ? 1 : 0);
        }
        continue;
      }
      if (batchBytes + file.size > UPLOAD_LIMITS.frameBytes || batch.length >= FILES_PER_FRAME) await flush();
      signal.throwIfAborted();
      batch.push({ path, bytes: new Uint8Array(await file.arrayBuffer()) });
      batchBytes += file.size;
      batchFiles++;
    }
    await flush();
    await inFlight;
    signal.throwIfAborted();
    const { path } = await client.request('upload.finish', { uploadId });
    return path;
  } catch (error) {
    // Cancelled or refused: the engine drops what it has (already done when it refused).
    await client.request('upload.cancel', { uploadId }).catch(() => {});
    throw error;
  }
}
