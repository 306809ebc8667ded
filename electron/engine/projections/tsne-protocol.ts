// Messages between the t-SNE runner and its workers, and the worker-side handlers. Pure TS (no Node
// imports): the same handlers serve Node worker_threads (tsne-worker.ts) or browser Web Workers.
import { tsne, type TsneFrame, type TsneOptions } from './tsne.ts';
import { HelperLink, serveHelper, type HelperBuffers } from './tsne-parallel.ts';
import type { UmapOptions } from './umap.ts';

/** To the t-SNE worker: run one layout. */
export interface TsneRequest {
  type: 'run';
  /** N x dim, row-major; transferred to the worker. */
  data: Float32Array;
  n: number;
  dim: number;
  options: TsneOptions;
  /** Buffers shared with a helper worker, when the runner started one. */
  helper?: HelperBuffers;
}

/** To the worker: run one UMAP layout (the same worker entry serves both layouts). */
export interface UmapRequest {
  type: 'umap';
  /** N x dim, row-major; transferred to the worker. */
  data: Float32Array;
  n: number;
  dim: number;
  options: UmapOptions;
}

/** To the helper worker: serve commands on these buffers until told to exit. */
export interface HelperRequest {
  type: 'helper';
  buffers: HelperBuffers;
}

export type TsneReply =
  | { type: 'frame'; frame: TsneFrame }
  | { type: 'error'; name: string; message: string };

export type PostReply = (reply: TsneReply, transfer: ArrayBuffer[]) => void;

/** Runs one request to completion, posting frames (coords transferred) and the final frame, or an error. */
export function serveTsneRequest(request: TsneRequest, post: PostReply): void {
  const helper = request.helper ? new HelperLink(request.helper) : undefined;
  try {
    tsne(request.data, request.n, request.dim, request.options, (frame) => {
      post({ type: 'frame', frame }, [frame.coords.buffer as ArrayBuffer]);
    }, undefined, helper);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', name: e.name, message: e.message }, []);
  } finally {
    helper?.close();
  }
}

export function serveHelperRequest(request: HelperRequest): void {
  serveHelper(request.buffers);
}
