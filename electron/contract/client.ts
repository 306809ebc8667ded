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

// ---- following a job ------------------------------------------------------------------------------
// The one way to follow long work: subscribe, send the request, match events by the job id in its
// reply (events that arrive before the reply wait for it), end on job.done / job.failed or when the
// engine dies, and stop listening.

/** Requests that start a job: their reply names it (null when nothing had to run). */
export type JobMethod = { [M in Method]: Result<M> extends { jobId: string | null } ? M : never }[Method];
/** Events that belong to one job (their data names it). */
export type JobEventName = { [E in EventName]: Events[E] extends { jobId: string } ? E : never }[EventName];

export interface JobListeners {
  /** This job's own events, e.g. 'dataset.progress', 'explorer.embedFrame', 'train.epoch'. */
  on?: { [E in JobEventName]?: (data: Events[E]) => void };
  progress?(p: Events['job.progress']): void;
  done?(d: Events['job.done']): void;
  /** job.failed, or the engine died with the job (its reason; engineStopped true). */
  failed?(f: { message: string; cancelled: boolean; engineStopped: boolean }): void;
}

export interface FollowedJob<R = unknown> {
  /** The start request's reply. */
  readonly result: R;
  /** null: nothing runs (a cached layout, an existing file); nothing more will be heard. */
  readonly jobId: string | null;
  /** Asks the engine to cancel; its job.failed (cancelled) ends the job. False if it had already ended. */
  cancel(): Promise<boolean>;
  /** Stops listening; the job itself goes on unless cancelled. */
  dispose(): void;
}

/**
 * Follows a job already running (a reloaded window taking over a training run): as followJob, for
 * an id known now. Returns the function that stops listening.
 */
export function watchJob(client: Client, jobId: string, listeners: JobListeners): () => void {
  let known: string | null = jobId;
  return subscribe(client, listeners, () => known, () => (known = null)).dispose;
}

/** Sends `method` and follows the job its reply names, calling `listeners` with that job's events only. */
export async function followJob<M extends JobMethod>(
  client: Client,
  method: M,
  params: Params<M>,
  listeners: JobListeners & { /** The reply, before any of the job's events. */ started?(result: Result<M>): void },
): Promise<FollowedJob<Result<M>>> {
  /** undefined until the reply: events meanwhile are kept, then matched. */
  let jobId: string | null | undefined;
  const early: { name: string; data: { jobId: string } }[] = [];
  const stop = subscribe(
    client,
    listeners,
    () => jobId,
    () => (jobId = null),
    (name, data) => early.push({ name, data }),
  );
  let result: Result<M>;
  try {
    result = await client.request(method, params);
  } catch (error) {
    stop.dispose();
    throw error;
  }
  jobId = (result as { jobId: string | null }).jobId ?? null;
  listeners.started?.(result);
  if (jobId === null) stop.dispose();
  else for (const { name, data } of early.splice(0)) if (data.jobId === jobId) stop.deliver(name, data);
  const id = jobId;
  return {
    result,
    jobId: id,
    cancel: async () => (id === null ? false : (await client.request('job.cancel', { jobId: id })).cancelled),
    dispose: () => stop.dispose(),
  };
}

type Subscription = (() => void) & { dispose(): void; deliver(name: string, data: { jobId: string }): void };

function subscribe(
  client: Client,
  listeners: JobListeners,
  current: () => string | null | undefined,
  ended: () => void,
  keep?: (name: string, data: { jobId: string }) => void,
): Subscription {
  const offs: (() => void)[] = [];
  let over = false;
  const dispose = () => {
    over = true;
    for (const off of offs.splice(0)) off();
    ended();
  };
  const deliver = (name: string, data: { jobId: string }) => {
    if (over) return;
    const own = listeners.on?.[name as JobEventName] as ((d: unknown) => void) | undefined;
    if (own) own(data);
    else if (name === 'job.progress') listeners.progress?.(data as Events['job.progress']);
    else if (name === 'job.done') {
      dispose();
      listeners.done?.(data as Events['job.done']);
    } else if (name === 'job.failed') {
      dispose();
      const { message, cancelled } = data as Events['job.failed'];
      listeners.failed?.({ message, cancelled, engineStopped: false });
    }
  };
  const names = new Set<string>([...Object.keys(listeners.on ?? {}), 'job.progress', 'job.done', 'job.failed']);
  for (const name of names) {
    offs.push(
      client.on(name as EventName, (data: unknown) => {
        const event = data as { jobId: string };
        const id = current();
        if (id === undefined) keep?.(name, event);
        else if (id !== null && event.jobId === id) deliver(name, event);
      }),
    );
  }
  // The engine died: the job went with it (requests in flight, the start among them, fail on their own).
  offs.push(
    client.on('engine.restarted', ({ message }) => {
      if (typeof current() !== 'string') return;
      dispose();
      listeners.failed?.({ message, cancelled: false, engineStopped: true });
    }),
  );
  const stop = dispose as Subscription;
  stop.dispose = dispose;
  stop.deliver = deliver;
  return stop;
}
