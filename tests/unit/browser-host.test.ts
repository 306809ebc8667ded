// The browser host as a user meets it: the socket rules, bad URLs, and an engine that dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import type { Message } from '../../electron/contract/messages.ts';
import { hostHeaderAllowed, sameToken, startBrowserHost, type BrowserHost } from '../../electron/host/browser-host.ts';

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer');
let host: BrowserHost;
let dataDir: string;

beforeAll(async () => {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` first (npm test does).');
  dataDir = mkdtempSync(join(tmpdir(), 'le-host-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
  host = await startBrowserHost({ rendererDir, port: 0 });
});
afterAll(async () => {
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The HTTP status a WebSocket upgrade gets, or 'open'. */
function attempt(token: string, origin = `http://127.0.0.1:${host.port}`): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${encodeURIComponent(token)}`, { origin });
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    socket.on('error', () => resolve('error'));
  });
}

function connect(): Promise<{ inbox: Message[]; request(method: string): Promise<Message>; close(): void }> {
  const origin = `http://127.0.0.1:${host.port}`;
  const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin });
  const inbox: Message[] = [];
  socket.on('message', (data: Buffer) => inbox.push(decodeFrame(new Uint8Array(data)) as Message));
  let id = 0;
  const request = async (method: string) => {
    const mine = ++id;
    socket.send(encodeFrame({ kind: 'request', id: mine, method, params: {} }));
    for (let waited = 0; waited < 60_000; waited += 20) {
      const reply = inbox.find((m) => m.kind === 'reply' && m.id === mine);
      if (reply) return reply;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no reply to ${method}`);
  };
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve({ inbox, request, close: () => socket.close() }));
    socket.on('error', reject);
  });
}

describe('browser host', () => {
  it('answers over the socket, and restarts a killed engine with a reason for the user', async () => {
    const client = await connect();
    const first = await client.request('app.info');
    expect(first.kind === 'reply' && !first.error).toBe(true);
    const pid = host.enginePid()!;
    process.kill(pid, 'SIGKILL');
    for (let waited = 0; waited < 30_000 && !client.inbox.some((m) => m.kind === 'event' && m.name === 'engine.restarted'); waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const restarted = client.inbox.find((m) => m.kind === 'event' && m.name === 'engine.restarted');
    expect((restarted as { data: { message: string } } | undefined)?.data.message).toMatch(/engine stopped \(SIGKILL\) and restarts/);
    expect(host.enginePid()).not.toBe(pid);
    const again = await client.request('app.info');
    expect(again.kind === 'reply' && !again.error).toBe(true);
    client.close();
  });

  it('answers a malformed address with 400 and never leaves the renderer folder', async () => {
    const base = `http://127.0.0.1:${host.port}`;
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${base}/..%2F..%2Fpackage.json`)).status).toBe(404);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-eval/);
  });

  it('compares tokens by their bytes: a wrong token of the same length is refused', async () => {
    const token = host.token;
    expect(sameToken(token, token)).toBe(true);
    // every position matters, including the first and the last
    for (const at of [0, Math.floor(token.length / 2), token.length - 1]) {
      const wrong = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      expect(wrong).toHaveLength(token.length);
      expect(sameToken(wrong, token)).toBe(false);
    }
    expect(sameToken(token.slice(0, -1), token)).toBe(false);
    expect(sameToken(`${token}x`, token)).toBe(false);
    expect(sameToken('', token)).toBe(false);
    expect(sameToken(null, token)).toBe(false);
    // multi-byte characters: same length in UTF-16 units, not in bytes
    expect(sameToken('é'.repeat(token.length), token)).toBe(false);
    // and through the real upgrade path
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await attempt(wrong)).toBe('401');
    expect(await attempt(token, 'http://evil.example')).toBe('403');
    expect(await attempt(token)).toBe('open');
  });

  it('accepts only loopback Host names on loopback, and any name on a wildcard address', () => {
    expect(hostHeaderAllowed('127.0.0.1', 5757, '127.0.0.1:5757')).toBe(true);
    expect(hostHeaderAllowed('127.0.0.1', 5757, 'localhost:5757')).toBe(true);
    expect(hostHeaderAllowed('127.0.0.1', 5757, 'evil.example:5757')).toBe(false);
    expect(hostHeaderAllowed('127.0.0.1', 5757, '127.0.0.1:80')).toBe(false);
    expect(hostHeaderAllowed('0.0.0.0', 5757, 'studio.lan:5757')).toBe(true);
    expect(hostHeaderAllowed('192.168.1.5', 5757, '192.168.1.5:5757')).toBe(true);
    expect(hostHeaderAllowed('192.168.1.5', 5757, 'other:5757')).toBe(false);
    expect(hostHeaderAllowed('0.0.0.0', 5757, undefined)).toBe(false);
    // IPv6: a browser writes the address in brackets
    expect(hostHeaderAllowed('127.0.0.1', 5757, '[::1]:5757')).toBe(true);
    expect(hostHeaderAllowed('fd00::5', 5757, '[fd00::5]:5757')).toBe(true);
    expect(hostHeaderAllowed('fd00::5', 5757, 'fd00::5:5757')).toBe(false);
  });

  it('opens a socket only at /ws: the right token and origin elsewhere get 404', async () => {
    const status = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${host.port}/other?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
      socket.on('open', () => {
        socket.close();
        resolve('open');
      });
      socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      socket.on('error', () => resolve('error'));
    });
    expect(status).toBe('404');
  });
});
