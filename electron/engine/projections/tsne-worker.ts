// Worker-thread entry of the projections (node:worker_threads), for three roles: the t-SNE thread
// ('run'), its helper thread ('helper') and a UMAP layout ('umap', umap-runner.ts). Bundled builds
// must emit this file as its own entry, next to the chunk that contains tsne-runner.ts, under the
// name tsne-worker.js. A worker serves one request after another: the runners keep finished
// workers warm for the next layout (projection-worker.ts).
import { parentPort } from 'node:worker_threads';
import { serveHelperRequest, serveTsneRequest, serveWarmup, type HelperRequest, type PostReply, type TsneRequest, type UmapRequest, type WarmupRequest } from './tsne-protocol.ts';

if (!parentPort) throw new Error('tsne-worker.ts must run as a worker thread');
const port = parentPort;
const post: PostReply = (reply, transfer) => port.postMessage(reply, transfer);
port.on('message', (request: TsneRequest | HelperRequest | UmapRequest | WarmupRequest) => {
  if (request.type === 'helper') serveHelperRequest(request);
  else if (request.type === 'warmup') {
    // Only speed is at stake: a failed warm-up leaves the worker as it was.
    try {
      serveWarmup(request);
    } catch {
      /* ignored */
    }
  }
  // umap-js is loaded only by a worker that lays out UMAP.
  else if (request.type === 'umap') {
    import('./umap-protocol.ts').then(
      (m) => m.serveUmapRequest(request, post),
      (error: Error) => post({ type: 'error', name: error.name, message: error.message }, []),
    );
  } else serveTsneRequest(request, post);
});
