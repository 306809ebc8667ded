// Worker-thread entry of the t-SNE runner (node:worker_threads). Bundled builds must emit this file
// as its own entry, next to the chunk that contains tsne-runner.ts, under the name tsne-worker.js.
import { parentPort } from 'node:worker_threads';
import { serveTsneRequest, type TsneRequest } from './tsne-protocol.ts';

if (!parentPort) throw new Error('tsne-worker.ts must run as a worker thread');
const port = parentPort;
port.once('message', (request: TsneRequest) => {
  serveTsneRequest(request, (reply, transfer) => port.postMessage(reply, transfer));
});
