// The client object the renderer (and tests) talk to. It knows only a Transport, never the host.
import type { EventName, Events, Method, Params, Result } from './api.ts';
import type { ErrorInfo } from './errors.ts';
import type { Message } from './messages.ts';

export interface Transport {
  send(message: Message): void;
  onMessage(handler: (message: Message) => void): void;
}

export class RequestError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'RequestError';
  }
}

export interface Client {
  request<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(name: E, handler: (data: Events[E]) => void): () => void;
}

export function createClient(transport: Transport): Client {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<string, Set<(data: unknown) => void>>();

  transport.onMessage((message) => {
    if (message.kind === 'reply') {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.error) waiter.reject(new RequestError(message.error));
      else waiter.resolve(message.result);
    } else if (message.kind === 'event') {
      for (const handler of listeners.get(message.name) ?? []) handler(message.data);
    }
  });

  return {
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        transport.send({ kind: 'request', id, method, params });
      });
    },
    on(name, handler) {
      const set = listeners.get(name) ?? new Set();
      set.add(handler as (data: unknown) => void);
      listeners.set(name, set);
      return () => set.delete(handler as (data: unknown) => void);
    },
  };
}
