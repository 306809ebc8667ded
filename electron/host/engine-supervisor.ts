// The engine's lifecycle, once for both hosts (the Electron shell and the browser host): start it,
// pass messages, and when it dies fail the requests in flight with the reason, tell every window
// (engine.restarted), and start a new one after a growing pause; an engine that keeps dying at start
// (a broken native TensorFlow, say) is not restarted forever. Knows nothing of Electron or sockets:
// a host hands it a way to start an engine process and a way to deliver what comes back.
import type { Message } from '../contract/messages.ts';

/** One engine process as a host started it (child_process.fork, Electron's utilityProcess.fork). */
export interface EngineChild {
  send(message: Message): void;
  onMessage(handler: (message: Message) => void): void;
  onExit(handler: (code: number | null, signal: string | null) => void): void;
  /** Asks the engine to finish (it checkpoints a training run) and resolves when it has exited. */
  stop(): Promise<void>;
  readonly pid: number | undefined;
}

export interface SupervisorOptions {
  /** Starts an engine process. */
  start(): EngineChild;
  /** Everything for the host's windows: the engine's replies and events, and the supervisor's own. */
  deliver(message: Message): void;
  /** What the user can do after the supervisor gives up, e.g. "Restart latent-explorer serve." */
  giveUpAdvice: string;
  /** Crashes within `crashWindowMs` after which no restart is tried (default: more than 3 in 30 s). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Pause before the first restart; it doubles with each crash in the window (default 250 ms). */
  firstDelayMs?: number;
}

export interface EngineSupervisor {
  /** Sends a message to the engine; requests wait while a new engine starts. */
  send(message: Message): void;
  /** The engine process's id (it changes when a crashed engine is restarted). */
  pid(): number | undefined;
  /** Stops the engine for good (it checkpoints a training run first). */
  stop(): Promise<void>;
}

export function superviseEngine(options: SupervisorOptions): EngineSupervisor {
  const maxCrashes = options.maxCrashes ?? 3;
  const windowMs = options.crashWindowMs ?? 30_000;
  const firstDelay = options.firstDelayMs ?? 250;
  let engine: EngineChild | null = null;
  let stopping = false;
  /** Why no engine will come back (after too many crashes); later requests fail with it at once. */
  let gaveUp: string | null = null;
  /** Requests sent to the current engine and not yet answered. */
  const inFlight = new Set<number>();
  /** Messages that arrived while a new engine was starting. */
  const queued: Message[] = [];
  const crashes: number[] = [];

  const fail = (id: number, message: string) => options.deliver({ kind: 'reply', id, error: { message, code: 'internal' } });

  const attach = (child: EngineChild) => {
    engine = child;
    child.onMessage((message) => {
      if (engine !== child) return;
      if (message.kind === 'reply') inFlight.delete(message.id);
      options.deliver(message);
    });
    child.onExit((code, signal) => {
      if (engine !== child) return;
      engine = null;
      if (stopping) return;
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && now - crashes[0] > windowMs) crashes.shift();
      const how = signal ?? `exit code ${code}`;
      const giveUp = crashes.length > maxCrashes;
      const why = giveUp
        ? `The engine stopped (${how}) ${crashes.length} times in ${Math.round(windowMs / 1000)} s; it is not restarted again. ${options.giveUpAdvice}`
        : `The engine stopped (${how}) and restarts now; training runs resume from their last checkpoint.`;
      for (const id of inFlight) fail(id, why);
      inFlight.clear();
      options.deliver({ kind: 'event', name: 'engine.restarted', data: { message: why } });
      if (giveUp) {
        gaveUp = why;
        for (const message of queued.splice(0)) if (message.kind === 'request') fail(message.id, why);
        return;
      }
      setTimeout(() => {
        if (stopping) return;
        attach(options.start());
        for (const message of queued.splice(0)) send(message);
      }, firstDelay * 2 ** (crashes.length - 1)).unref?.();
    });
  };

  function send(message: Message): void {
    if (gaveUp !== null) {
      if (message.kind === 'request') fail(message.id, gaveUp);
      return;
    }
    if (!engine) {
      queued.push(message);
      return;
    }
    if (message.kind === 'request') inFlight.add(message.id);
    engine.send(message);
  }

  attach(options.start());

  return {
    send,
    pid: () => engine?.pid,
    async stop() {
      stopping = true;
      const current = engine;
      await current?.stop();
    },
  };
}
