import type { EventName, Events, Method, Params, Result } from '../contract/api.ts';
import type { JobRegistry } from './jobs.ts';

/** What every request handler gets: a way to emit events and the registry of long jobs. */
export interface EngineContext {
  emit<E extends EventName>(name: E, data: Events[E]): void;
  jobs: JobRegistry;
}

export type Handler<M extends Method> = (params: Params<M>, ctx: EngineContext) => Promise<Result<M>> | Result<M>;
export type HandlerMap = { [M in Method]?: Handler<M> };
