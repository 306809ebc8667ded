// Files sent by the renderer into a new folder of the engine's data directory. A browser gives
// dropped or picked folders as files, not paths; this turns them into a folder on disk that every
// other request (dataset.open, placing images…) takes by path. Bytes travel as typed arrays (binary
// WebSocket frames, structured clone over IPC), never as JSON numbers.

/** One file, or one piece of a large one. */
export interface UploadFile {
  /** Relative to the uploaded folder, '/'-separated ('cats/1.jpg'); '..', absolute paths and empty parts are refused. */
  path: string;
  bytes: Uint8Array;
  /** Appends to the file of this path sent earlier in the same upload (files larger than a frame come in pieces). */
  append?: boolean;
}

/** What one upload may hold; `upload.begin` refuses more, and the engine enforces it while receiving. */
export const UPLOAD_LIMITS = {
  /** Largest file (the importer skips bigger ones anyway). */
  fileBytes: 1024 * 2 ** 20,
  files: 250_000,
  totalBytes: 32 * 2 ** 30,
  /** Bytes of files per `upload.files` request: keeps each frame far below the host's 64 MB limit. */
  frameBytes: 8 * 2 ** 20,
} as const;

export interface UploadRequests {
  /**
   * Starts an upload of `files` files of `bytes` bytes in all (checked against UPLOAD_LIMITS and the
   * free disk space). `name` names the folder (sanitised). The files go to a hidden staging folder.
   */
  'upload.begin': { params: { name: string; files: number; bytes: number }; result: { uploadId: string } };
  /** Some of its files, in order; an error (bad name, over a limit) ends the upload and removes what it received. */
  'upload.files': { params: { uploadId: string; files: UploadFile[] }; result: { files: number; bytes: number } };
  /**
   * Ends it: the folder appears at `path` at once (a rename). The same files uploaded again give the
   * same folder (`reused`), so its import cache and Recent entry still apply.
   */
  'upload.finish': { params: { uploadId: string }; result: { path: string; files: number; bytes: number; reused: boolean } };
  /** Stops it and removes what it received. */
  'upload.cancel': { params: { uploadId: string }; result: { cancelled: boolean } };
  /** The uploaded folders kept in the data folder, newest first. */
  'upload.list': { params: Record<string, never>; result: { uploads: UploadListing[] } };
  /**
   * Deletes an uploaded folder (only a folder of the data folder's uploads/, never anything else) and its
   * Recent entry. Runs trained on it keep their models; views that show its images need it uploaded again.
   */
  'upload.remove': { params: { path: string }; result: { removed: boolean; bytes: number } };
}

/** One uploaded folder. */
export interface UploadListing {
  path: string;
  /** The folder's name as chosen in the browser (without the content hash). */
  name: string;
  files: number;
  bytes: number;
  /** ISO time it finished uploading. */
  uploadedAt: string;
  /** Runs of the data folder trained on it. */
  runs: number;
}
