// The wire format shared by every host: one message channel carries requests, replies and events.
// Over Electron IPC and child_process/utilityProcess channels messages go by structured clone (typed
// arrays stay typed arrays); over the browser host's WebSocket they go through codec.ts.
// Errors travel as ErrorInfo; their vocabulary (UserError, CancelledError, toErrorInfo) is errors.ts.
import type { ErrorInfo } from './errors.ts';

export interface RequestMessage {
  kind: 'request';
  id: number;
  method: string;
  params: unknown;
}

export interface ReplyMessage {
  kind: 'reply';
  id: number;
  result?: unknown;
  error?: ErrorInfo;
}

export interface EventMessage {
  kind: 'event';
  name: string;
  data: unknown;
}

export type Message = RequestMessage | ReplyMessage | EventMessage;

export function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'request' || kind === 'reply' || kind === 'event';
}
