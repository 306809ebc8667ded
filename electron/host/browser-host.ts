// The browser host: serves the built renderer over HTTP and bridges the contract over a WebSocket,
// so the same UI runs in any browser. Loopback only unless asked; every socket needs the token and
// the page's own origin (a web page elsewhere cannot drive the engine).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../contract/codec.ts';
import { isMessage, type Message } from '../contract/messages.ts';
import { forkEngine, type EngineProcess } from './engine-process.ts';

export interface BrowserHostOptions {
  rendererDir: string;
  host?: string;
  port?: number;
  token?: string;
  engine?: EngineProcess;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** The same policy the Electron window gets from its meta tag: no eval, no remote code. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${rendererDir}/index.html is missing): run \`npm run build\` first.`);
  }
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(18).toString('base64url');
  const engine = options.engine ?? forkEngine();

  const server = createServer((req, res) => void serveFile(rendererDir, req, res));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });

  // Requests from many sockets share one engine: remap ids so replies find their way back.
  let nextEngineId = 1;
  const routes = new Map<number, { socket: WebSocket; id: number }>();
  engine.onMessage((message: Message) => {
    if (message.kind === 'reply') {
      const route = routes.get(message.id);
      if (!route) return;
      routes.delete(message.id);
      if (route.socket.readyState === route.socket.OPEN) route.socket.send(encodeFrame({ ...message, id: route.id }));
    } else if (message.kind === 'event') {
      const frame = encodeFrame(message);
      for (const socket of sockets.clients) if (socket.readyState === socket.OPEN) socket.send(frame);
    }
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const expectedOrigins = new Set([`http://${req.headers.host}`]);
    const hostHeaderOk = req.headers.host === `${host}:${port}` || req.headers.host === `localhost:${port}` || req.headers.host === `127.0.0.1:${port}`;
    let refusal: string | null = null;
    if (url.pathname !== '/ws') refusal = '404 Not Found';
    else if (!sameToken(url.searchParams.get('token'), token)) refusal = '401 Unauthorized';
    else if (!hostHeaderOk || !origin || !expectedOrigins.has(origin)) refusal = '403 Forbidden';
    if (refusal) {
      socket.write(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.binaryType = 'nodebuffer';
      ws.on('message', (data: Buffer) => {
        let message: unknown;
        try {
          message = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        } catch {
          return; // not a frame of ours
        }
        if (!isMessage(message) || message.kind !== 'request') return;
        const engineId = nextEngineId++;
        routes.set(engineId, { socket: ws, id: message.id });
        engine.send({ ...message, id: engineId });
      });
      ws.on('close', () => {
        for (const [id, route] of routes) if (route.socket === ws) routes.delete(id);
      });
    });
  });

  let port = options.port ?? 0;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise());
  });
  port = (server.address() as { port: number }).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    async close() {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      await new Promise((r) => server.close(() => r(null)));
      if (!options.engine) await engine.stop();
    },
  };
}

async function serveFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep) || req.method !== 'GET') {
    res.writeHead(req.method === 'GET' ? 404 : 405).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  }
}
