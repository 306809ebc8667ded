// A contract client over the browser host's WebSocket, as a browser page would connect (token in
// the URL, the page's origin): benchmarks and end-to-end tests drive the real host with it.
import WebSocket from 'ws';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createClient, type Client } from '../../electron/contract/client.ts';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import { isMessage, type Message } from '../../electron/contract/messages.ts';
import type { TrainSettings } from '../../electron/contract/api.ts';

export interface HostClient {
  client: Client;
  close(): void;
}

export function connectHost(pageUrl: string): Promise<HostClient> {
  const url = new URL(pageUrl);
  const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { origin: `http://${url.host}` });
  ws.binaryType = 'nodebuffer';
  const handlers: ((m: Message) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const message = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (isMessage(message)) for (const h of handlers) h(message);
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        client: createClient({ send: (m) => ws.send(encodeFrame(m)), onMessage: (h) => handlers.push(h) }),
        close: () => ws.close(),
      }),
    );
  });
}

/** Resolves with a job's result when job.done arrives; rejects with its message on job.failed. */
export function jobDone(client: Client, jobId: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const offDone = client.on('job.done', (e) => {
      if (e.jobId !== jobId) return;
      offDone();
      offFailed();
      resolve(e.result);
    });
    const offFailed = client.on('job.failed', (e) => {
      if (e.jobId !== jobId) return;
      offDone();
      offFailed();
      reject(new Error(e.message));
    });
  });
}

/** Trains a run on `ref` (import `options` when the dataset is opened anew) and resolves with its folder once the job is done. */
export async function trainRun(client: Client, ref: string, settings: TrainSettings, options?: Record<string, unknown>): Promise<string> {
  const { jobId, runDir } = await client.request('train.start', { ref, settings, ...(options ? { options } : {}) } as never);
  await jobDone(client, jobId);
  return runDir;
}

/** `latent-explorer serve` on a free port with its own data folder; resolves with the page URL (token included). */
export function startServe(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/latent-explorer.mjs', 'serve', '--port', '0', '--json'], {
    env: { ...process.env, LATENT_EXPLORER_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const e = JSON.parse(line);
        if (e.event === 'listening') resolve({ url: e.url, child });
      } catch {
        // not JSON
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with code ${code}`)));
  });
}
