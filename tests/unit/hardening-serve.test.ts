// serve --host: '0' (every interface) works instead of refusing every socket; anything beyond
// loopback is warned about (plain HTTP: traffic and token unencrypted); 127.x addresses are loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import type { Message } from '../../electron/contract/messages.ts';
import { exposureWarning, isLoopbackHost, listenHost, startBrowserHost, type BrowserHost } from '../../electron/host/browser-host.ts';

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer');
let dataDir: string;
beforeAll(() => {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` first (npm test does).');
  dataDir = mkdtempSync(join(tmpdir(), 'le-serve-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('serve --host', () => {
  it('takes 0 as every interface and answers a socket from this machine', async () => {
    let host: BrowserHost | null = null;
    try {
      host = await startBrowserHost({ rendererDir, host: '0', port: 0 });
      expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const origin = `http://127.0.0.1:${host.port}`;
      const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin });
      const reply = await new Promise<Message>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('open', () => socket.send(encodeFrame({ kind: 'request', id: 1, method: 'dataset.recent', params: {} })));
        socket.on('message', (data: Buffer) => {
          const message = decodeFrame(new Uint8Array(data)) as Message;
          if (message.kind === 'reply') resolve(message);
        });
      });
      expect(reply).toMatchObject({ kind: 'reply', id: 1 });
      socket.close();
    } finally {
      await host?.close();
    }
  });

  it('names wildcard spellings and loopback addresses correctly', () => {
    expect(listenHost('0')).toBe('0.0.0.0');
    expect(listenHost('0.0.0.0')).toBe('0.0.0.0');
    expect(listenHost('::0')).toBe('::');
    expect(listenHost('127.0.0.1')).toBe('127.0.0.1');
    for (const h of ['127.0.0.1', '127.0.0.2', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'studio.lan', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('warns beyond loopback that traffic and token are unencrypted, and not for 127.x', () => {
    expect(exposureWarning('127.0.0.2')).toBeNull();
    expect(exposureWarning('localhost')).toBeNull();
    const wildcard = exposureWarning('0')!;
    expect(wildcard).toMatch(/every network interface/);
    expect(wildcard).toMatch(/unencrypted/);
    expect(wildcard).toMatch(/token/);
    expect(wildcard.split('\n')).toHaveLength(1);
    expect(exposureWarning('192.168.1.5')).toMatch(/192\.168\.1\.5.*unencrypted/);
  });
});
