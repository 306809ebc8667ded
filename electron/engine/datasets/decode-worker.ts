// Worker-thread entry of the import's decode pool (decode-pool.ts): reads files and decodes them with
// the fast paths (fast-decode.ts). Files those decline are reported back for sharp on the engine's
// thread. Bundled builds emit this file as its own entry, decode-worker.js, next to the engine.
import { parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { decodeFast, type DecodeTarget } from './fast-decode.ts';

export interface DecodeChunk {
  id: number;
  target: DecodeTarget;
  paths: string[];
}

export interface DecodedChunk {
  id: number;
  /** paths.length images of size*size*channels bytes; only those with done[i] = 1 are filled. */
  pixels: Uint8Array;
  /** 1 = decoded here; 0 = left to sharp (unreadable, not JPEG/PNG, or declined by a fast path). */
  done: Uint8Array;
  borderMean: Float32Array;
  borderStd: Float32Array;
}

if (!parentPort) throw new Error('decode-worker.ts must run as a worker thread');
const port = parentPort;
port.on('message', (chunk: DecodeChunk) => {
  const { size, channels } = chunk.target;
  const imageBytes = size * size * channels;
  const n = chunk.paths.length;
  const reply: DecodedChunk = {
    id: chunk.id,
    pixels: new Uint8Array(n * imageBytes),
    done: new Uint8Array(n),
    borderMean: new Float32Array(n),
    borderStd: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    let buf: Buffer;
    try {
      buf = readFileSync(chunk.paths[i]);
    } catch {
      continue; // sharp's path reads it again and names the reason
    }
    const border = decodeFast(buf, chunk.target, reply.pixels.subarray(i * imageBytes, (i + 1) * imageBytes));
    if (!border) continue;
    reply.done[i] = 1;
    reply.borderMean[i] = border.mean;
    reply.borderStd[i] = border.std;
  }
  port.postMessage(reply, [reply.pixels.buffer, reply.done.buffer, reply.borderMean.buffer, reply.borderStd.buffer] as ArrayBuffer[]);
});
