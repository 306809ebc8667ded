// Models in use by requests in flight. A request may hold a session's model across awaits (every result
// is read back asynchronously, as WebGPU requires in Node), while a newer epoch replaces it, a snapshot
// leaves the cache or the session closes. A model so replaced is disposed once no request that took it
// is still running, never under one.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Disposable {
  dispose(): void;
}

const requestModels = new AsyncLocalStorage<Set<Disposable>>();
const holders = new Map<Disposable, number>();
const retired = new Set<Disposable>();

/** Runs one request (or work that outlives the request that started it): the models it leases stay whole until it settles. */
export async function inRequest<T>(run: () => T | Promise<T>): Promise<T> {
  const held = new Set<Disposable>();
  try {
    return await requestModels.run(held, run);
  } finally {
    for (const model of held) release(model);
  }
}

/** `model`, marked in use by the request running (nothing outside a request). */
export function lease<T extends Disposable>(model: T): T {
  const held = requestModels.getStore();
  if (held && !held.has(model)) {
    held.add(model);
    holders.set(model, (holders.get(model) ?? 0) + 1);
  }
  return model;
}

/** Disposes `model` now, or when the last request that leased it settles. */
export function retire(model: Disposable): void {
  if (holders.has(model)) retired.add(model);
  else model.dispose();
}

function release(model: Disposable): void {
  const left = (holders.get(model) ?? 1) - 1;
  if (left > 0) {
    holders.set(model, left);
    return;
  }
  holders.delete(model);
  if (retired.delete(model)) model.dispose();
}
