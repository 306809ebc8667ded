// Worker-thread entry of the t-SNE runner (node:worker_threads), for both roles: the t-SNE thread
// ('run') and its helper thread ('helper'). Bundled builds must emit this file as its own entry, next
// to the chunk that contains tsne-runner.ts, under the name tsne-worker.js.
import { parentPort } from 'node:worker_threads';
import { serveHelperRequest, serveTsneRequest, type HelperRequest, type TsneRequest } from './tsne-protocol.ts';

if (!parentPort) throw new Error('tsne-worker.ts must run as a worker thread');
const port = parentPort;
port.once('message', (request: TsneRequest | HelperRequest) => {
  if (request.type === 'helper') serveHelperRequest(request);
  else serveTsneRequest(request, (reply, transfer) => port.postMessage(reply, transfer));
});
