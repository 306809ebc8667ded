// The browser host: serves the built renderer over HTTP and bridges the contract over a WebSocket,
// so the same UI runs in any browser. Loopback only unless asked; every socket needs the token and
// the page's own origin (a web page elsewhere cannot drive the engine).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../contract/codec.ts';
import { isMessage, type Message, type ReplyMessage } from '../contract/messages.ts';
import { forkEngine } from './engine-process.ts';
import { superviseEngine, type EngineSupervisor } from './engine-supervisor.ts';
import { appMimeType } from './app-mime.ts';

export interface BrowserHostOptions {
  rendererDir: string;
  host?: string;
  port?: number;
  token?: string;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  /** The engine process's id (it changes when a crashed engine is restarted). */
  enginePid(): number | undefined;
  close(): Promise<void>;
}


/** The same policy the Electron window gets from its meta tag: no eval, no remote code. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Constant-time token check; exported for its unit test (same-length wrong tokens must fail). */
export function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::']);

/** The address to listen on: '0' (as in `serve --host 0`) and other spellings of "every interface" made explicit. */
export function listenHost(host: string): string {
  const h = host.trim().toLowerCase();
  if (h === '0' || h === '0.0.0.0' || h === '*') return '0.0.0.0';
  if (/^[0:]+$/.test(h) && h.includes('::')) return '::'; // ::, ::0, 0::0
  return host.trim();
}

/** Whether only this machine can reach the address: 127.0.0.0/8, ::1, localhost (and IPv4-mapped 127.x). */
export function isLoopbackHost(host: string): boolean {
  const h = listenHost(host).toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** One line for the terminal when the host listens beyond this machine; null on loopback. */
export function exposureWarning(host: string): string | null {
  if (isLoopbackHost(host)) return null;
  const bound = listenHost(host);
  const where = WILDCARD.has(bound) ? `${bound} (every network interface)` : bound;
  return `Warning: listening on ${where}: the traffic and its access token are unencrypted (plain HTTP), so anyone who can see the network traffic can use the app; use this only on a network you trust.`;
}

/**
 * Which Host headers a socket may name. On loopback only the loopback names (a web page that
 * rebinds its own DNS name to 127.0.0.1 is refused); on a wildcard address whatever the browser
 * used, since the machine's names are not known here — the token and the origin check still apply.
 */
export function hostHeaderAllowed(bound: string, port: number, header: string | undefined): boolean {
  if (!header) return false;
  if (WILDCARD.has(bound)) return true;
  const names = LOOPBACK.has(bound) ? ['127.0.0.1', 'localhost', '[::1]'] : [bound.includes(':') ? `[${bound}]` : bound];
  return names.some((name) => header === `${name}:${port}`);
}

/**
 * Requests the browser host answers with a refusal instead of passing them on: a browser downloads
 * its exports, so an `out` path (the engine would write wherever it says, any extension) is refused.
 */
export function refusedFromBrowser(message: Message): string | null {
  if (message.kind !== 'request') return null;
  const params = message.params as { out?: unknown } | null | undefined;
  if (message.method === 'export.start' && params && typeof params === 'object' && params.out !== undefined)
    return 'The browser app downloads its exports; it does not write to a path on this machine (remove "out").';
  return null;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${rendererDir}/index.html is missing): run \`npm run build\` first.`);
  }
  const host = listenHost(options.host ?? '127.0.0.1');
  const token = options.token ?? randomBytes(18).toString('base64url');

  const server = createServer((req, res) => void serveFile(rendererDir, req, res));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const broadcast = (message: Message) => {
    const frame = encodeFrame(message);
    for (const socket of sockets.clients) if (socket.readyState === socket.OPEN) socket.send(frame);
  };

  // Requests from many sockets share one engine: remap ids so replies find their way back.
  let nextEngineId = 1;
  const routes = new Map<number, { socket: WebSocket; id: number }>();
  const reply = (route: { socket: WebSocket; id: number }, message: ReplyMessage) => {
    if (route.socket.readyState === route.socket.OPEN) route.socket.send(encodeFrame({ ...message, id: route.id }));
  };

  let engine: EngineSupervisor | null = null;
  /** Replies go back to the socket that asked; events (the supervisor's among them) to every socket. */
  const fromEngine = (message: Message) => {
    if (message.kind === 'reply') {
      const route = routes.get(message.id);
      if (!route) return;
      routes.delete(message.id);
      reply(route, message);
    } else if (message.kind === 'event') broadcast(message);
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    let refusal: string | null = null;
    if (url.pathname !== '/ws') refusal = '404 Not Found';
    else if (!sameToken(url.searchParams.get('token'), token)) refusal = '401 Unauthorized';
    else if (!hostHeaderAllowed(host, port, req.headers.host) || origin !== `http://${req.headers.host}`) refusal = '403 Forbidden';
    if (refusal) {
      socket.write(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.binaryType = 'nodebuffer';
      // A malformed or oversized frame: drop that socket, never the host.
      ws.on('error', () => ws.terminate());
      ws.on('message', (data: Buffer) => {
        let message: unknown;
        try {
          message = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        } catch {
          return; // not a frame of ours
        }
        if (!isMessage(message) || message.kind !== 'request') return;
        const refusal = refusedFromBrowser(message);
        if (refusal) {
          reply({ socket: ws, id: message.id }, { kind: 'reply', id: message.id, error: { message: refusal, code: 'bad-input' } });
          return;
        }
        const engineId = nextEngineId++;
        routes.set(engineId, { socket: ws, id: message.id });
        engine?.send({ ...message, id: engineId });
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
  // Only now, with the port ours: a taken port must not leave an engine process behind.
  engine = superviseEngine({
    start: () => forkEngine(),
    deliver: fromEngine,
    giveUpAdvice: 'Restart latent-explorer serve; the terminal shows why it failed.',
  });
  // A wildcard address is no place to browse to: this machine reaches it on loopback.
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    enginePid: () => engine?.pid(),
    async close() {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      await new Promise((r) => server.close(() => r(null)));
      await engine?.stop();
    },
  };
}

async function serveFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    res.writeHead(400).end(); // a malformed %-escape
    return;
  }
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep) || req.method !== 'GET') {
    res.writeHead(req.method === 'GET' ? 404 : 405).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': appMimeType(file),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  }
}
