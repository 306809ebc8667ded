// Messages between the t-SNE runner and its worker, and the worker-side handler. Pure TS (no Node
// imports): the same handler serves a Node worker_thread (tsne-worker.ts) or a browser Web Worker.
import { tsne, type TsneFrame, type TsneOptions } from './tsne.ts';

export interface TsneRequest {
  type: 'run';
  /** N x dim, row-major; transferred to the worker. */
  data: Float32Array;
  n: number;
  dim: number;
  options: TsneOptions;
}

export type TsneReply =
  | { type: 'frame'; frame: TsneFrame }
  | { type: 'error'; name: string; message: string };

export type PostReply = (reply: TsneReply, transfer: ArrayBuffer[]) => void;

/** Runs one request to completion, posting frames (coords transferred) and the final frame, or an error. */
export function serveTsneRequest(request: TsneRequest, post: PostReply): void {
  try {
    tsne(request.data, request.n, request.dim, request.options, (frame) => {
      post({ type: 'frame', frame }, [frame.coords.buffer as ArrayBuffer]);
    });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', name: e.name, message: e.message }, []);
  }
}
