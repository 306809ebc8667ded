// The worker side of a UMAP layout, apart from tsne-protocol.ts so that a t-SNE worker never loads
// umap-js (the worker imports this module only when a UMAP request comes).
import type { PostReply, UmapRequest } from './tsne-protocol.ts';
import { umap } from './umap.ts';

/** Runs one UMAP layout to completion, posting frames (coords transferred) and the final frame, or an error. */
export function serveUmapRequest(request: UmapRequest, post: PostReply): void {
  try {
    umap(request.data, request.n, request.dim, request.options, (frame) => {
      post({ type: 'frame', frame }, [frame.coords.buffer as ArrayBuffer]);
    });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', name: e.name, message: e.message }, []);
  }
}
