// Worker-thread entry of the t-SNE runner (node:worker_threads), for three roles: the t-SNE thread
// ('run'), its helper thread ('helper') and a UMAP layout ('umap', umap-runner.ts). Bundled builds must emit this file as its own entry, next
// to the chunk that contains tsne-runner.ts, under the name tsne-worker.js.
import { parentPort } from 'node:worker_threads';
import { serveHelperRequest, serveTsneRequest, serveUmapRequest, type HelperRequest, type TsneRequest, type UmapRequest } from './tsne-protocol.ts';

if (!parentPort) throw new Error('tsne-worker.ts must run as a worker thread');
const port = parentPort;
port.once('message', (request: TsneRequest | HelperRequest | UmapRequest) => {
  if (request.type === 'helper') serveHelperRequest(request);
  else if (request.type === 'umap') serveUmapRequest(request, (reply, transfer) => port.postMessage(reply, transfer));
  else serveTsneRequest(request, (reply, transfer) => port.postMessage(reply, transfer));
});
