// Finds the way to the engine: the Electron preload's bridge, or the browser host's WebSocket.
// Everything above this file sees only the contract's Client.
import { createClient, type Client, type Transport } from '../../../electron/contract/client.ts';
import { decodeFrame, encodeFrame } from '../../../electron/contract/codec.ts';
import { isMessage, type Message } from '../../../electron/contract/messages.ts';

interface Bridge {
  send(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  /** The file-system path of a dropped file or folder (Electron only). */
  pathForFile?(file: File): string;
}

declare global {
  interface Window {
    latentExplorerBridge?: Bridge;
  }
}

function bridgeTransport(bridge: Bridge): Transport {
  return {
    send: (message) => bridge.send(message),
    onMessage: (handler) => bridge.onMessage((m) => isMessage(m) && handler(m)),
  };
}

function socketTransport(url: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    const handlers: ((m: Message) => void)[] = [];
    const queue: Message[] = [];
    socket.onmessage = (event) => {
      const message = decodeFrame(new Uint8Array(event.data as ArrayBuffer));
      if (isMessage(message)) for (const h of handlers) h(message);
    };
    socket.onopen = () => {
      for (const m of queue.splice(0)) socket.send(encodeFrame(m));
      resolve({
        send: (m) => (socket.readyState === WebSocket.OPEN ? socket.send(encodeFrame(m)) : queue.push(m)),
        onMessage: (h) => handlers.push(h),
      });
    };
    socket.onerror = () => reject(new Error('Cannot reach the Latent Explorer engine (is `latent-explorer serve` still running, and is the token in the address right?).'));
    socket.onclose = (event) => {
      if (event.code !== 1000) onDisconnect?.(event.reason || 'The connection to the engine closed.');
    };
  });
}

let onDisconnect: ((reason: string) => void) | null = null;
export function whenDisconnected(handler: (reason: string) => void): void {
  onDisconnect = handler;
}

export async function connect(): Promise<Client> {
  if (window.latentExplorerBridge) return createClient(bridgeTransport(window.latentExplorerBridge));
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('latent-explorer-token');
  if (!token) throw new Error('This address has no access token: open the URL that `latent-explorer serve` printed.');
  sessionStorage.setItem('latent-explorer-token', token);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createClient(await socketTransport(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`));
}
