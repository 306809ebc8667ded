// The engine: answers contract requests, one handler map per area. It knows nothing of windows,
// sockets or Electron; a host hands it messages and forwards what it emits.
import type { Method } from '../contract/api.ts';
import type { Message, ReplyMessage } from '../contract/messages.ts';
import { UserError, toErrorInfo } from '../contract/errors.ts';
import { initBackend } from './backend.ts';
import { recoverInterruptedRuns } from './training/recover.ts';
import { createContext, type Handler, type HandlerMap } from './context.ts';
import { systemHandlers } from './handlers/system.ts';
import { datasetHandlers } from './handlers/datasets.ts';
import { trainingHandlers } from './handlers/training.ts';
import { explorerHandlers } from './handlers/explorer.ts';
import { exportHandlers } from './handlers/exports.ts';
import { styleHandlers } from './handlers/style.ts';
import { uploadHandlers } from './handlers/uploads.ts';
import { compareHandlers } from './handlers/compare.ts';
import { inRequest } from './explorer/model-leases.ts';

const AREAS: HandlerMap[] = [systemHandlers, datasetHandlers, trainingHandlers, explorerHandlers, exportHandlers, styleHandlers, compareHandlers, uploadHandlers];

export interface Engine {
  /** Handles one incoming message; replies and events go out through `send`. */
  receive(message: Message): Promise<void>;
  /** Cancels all work and waits for it to save what it must (a training checkpoint). */
  shutdown(): Promise<void>;
}

export function createEngine(send: (message: Message) => void): Engine {
  const handlers: HandlerMap = Object.assign({}, ...AREAS);
  const ctx = createContext((name, data) => send({ kind: 'event', name, data }));
  // Requests wait once, at start-up, for the backend and for runs a crashed engine left 'running'
  // to be marked interrupted (so no view says they train); nothing else blocks them.
  const ready = Promise.all([initBackend(), recoverInterruptedRuns().catch(() => [])]);

  return {
    async receive(message) {
      if (message.kind !== 'request') return;
      const reply: ReplyMessage = { kind: 'reply', id: message.id };
      try {
        await ready;
        // Own properties only: 'constructor' or '__proto__' must not reach Object.prototype.
        const handler = typeof message.method === 'string' && Object.hasOwn(handlers, message.method) ? (handlers[message.method as Method] as Handler<Method>) : undefined;
        if (!handler) throw new UserError(`Unknown request '${message.method}'.`, 'not-found');
        // the models a request takes stay whole until it settles (explorer/model-leases.ts)
        reply.result = await inRequest(() => handler((message.params ?? {}) as never, ctx));
      } catch (error) {
        reply.error = toErrorInfo(error);
      }
      send(reply);
    },
    shutdown() {
      ctx.uploads.dropAll();
      return ctx.jobs.cancelAll();
    },
  };
}
