import type { Method, Params, Result } from '../contract/api.ts';
import { type Emit, JobRegistry } from './jobs.ts';

/** What every request handler gets: a way to emit events and the registry of long jobs. */
export interface EngineContext {
  emit: Emit;
  jobs: JobRegistry;
}

export type Handler<M extends Method> = (params: Params<M>, ctx: EngineContext) => Promise<Result<M>> | Result<M>;
export type HandlerMap = { [M in Method]?: Handler<M> };

/** One engine's state: made once per engine (tests make their own), never shared through module scope. */
export function createContext(emit: Emit): EngineContext {
  return { emit, jobs: new JobRegistry(emit) };
}
