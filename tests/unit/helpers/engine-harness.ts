// An engine in this process, driven the way a host drives it: requests in, replies and events out.
// One helper for every unit test that talks to the engine through the contract, so they all read a reply
// (and its error) the same way.
import type { EventMessage, Message, ReplyMessage } from '../../../electron/contract/messages.ts';
import { createEngine } from '../../../electron/engine/engine.ts';

export interface EngineHarness {
  engine: ReturnType<typeof createEngine>;
  /** Every message the engine has sent, in order. */
  out: Message[];
  /** The reply's result; a reply with an error throws it (message and code). */
  request: (method: string, params?: unknown) => Promise<any>;
  /** The data of every event of this name so far. */
  events: (name: string) => any[];
  /** Every event about this job so far. */
  jobEvents: (jobId: string) => EventMessage[];
  /** Resolves with the first event of this name whose data passes `predicate`; throws after `ms`. */
  waitFor: (name: string, predicate?: (data: any) => boolean, ms?: number) => Promise<any>;
  /** Resolves with the job's events once it has ended (job.done or job.failed). */
  ended: (jobId: string, ms?: number) => Promise<EventMessage[]>;
}

export function engineHarness(): EngineHarness {
  const out: Message[] = [];
  const engine = createEngine((m) => out.push(m));
  let id = 0;
  const request = async (method: string, params: unknown = {}): Promise<any> => {
    const myId = ++id;
    await engine.receive({ kind: 'request', id: myId, method, params });
    const reply = out.find((m): m is ReplyMessage => m.kind === 'reply' && m.id === myId)!;
    if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.result;
  };
  const events = (name: string) => out.filter((m): m is EventMessage => m.kind === 'event' && m.name === name).map((m) => m.data as any);
  const jobEvents = (jobId: string) => out.filter((m): m is EventMessage => m.kind === 'event' && (m.data as { jobId?: string }).jobId === jobId);
  const until = async <T>(what: string, probe: () => T | undefined, ms: number): Promise<T> => {
    const start = Date.now();
    for (;;) {
      const hit = probe();
      if (hit !== undefined) return hit;
      if (Date.now() - start > ms) throw new Error(`no ${what} in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const waitFor = (name: string, predicate: (data: any) => boolean = () => true, ms = 60_000) => until(`${name} event`, () => events(name).find(predicate), ms);
  const ended = (jobId: string, ms = 600_000) =>
    until(`end of job ${jobId}`, () => {
      const mine = jobEvents(jobId);
      return mine.some((e) => e.name === 'job.done' || e.name === 'job.failed') ? mine : undefined;
    }, ms);
  return { engine, out, request, events, jobEvents, waitFor, ended };
}
