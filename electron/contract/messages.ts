// The wire format shared by every host: one message channel carries requests, replies and events.
// Over Electron IPC and child_process/utilityProcess channels messages go by structured clone (typed
// arrays stay typed arrays); over the browser host's WebSocket they go through codec.ts.

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

export interface ErrorInfo {
  message: string;
  /** 'bad-input' for the user's mistakes, 'cancelled' for cancelled work, 'internal' otherwise. */
  code: 'bad-input' | 'cancelled' | 'not-found' | 'internal';
}

export type Message = RequestMessage | ReplyMessage | EventMessage;

export function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'request' || kind === 'reply' || kind === 'event';
}

/** An error whose message is meant for the user as it is (names the file and the reason). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: ErrorInfo['code'] = 'bad-input',
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof UserError) return { message: error.message, code: error.code };
  if (error instanceof Error && error.name === 'AbortError') return { message: 'Cancelled.', code: 'cancelled' };
  const message = error instanceof Error ? error.message : String(error);
  return { message, code: 'internal' };
}
