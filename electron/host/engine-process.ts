// Starts the engine in a child process for Node hosts (the browser host, tests). From source it runs
// under tsx; from a build, the bundled engine.js next to this file.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from '../contract/messages.ts';
import { isMessage } from '../contract/messages.ts';
import type { EngineChild } from './engine-supervisor.ts';
import { ENGINE_V8_FLAGS } from './engine-flags.ts';

export interface EngineProcess extends EngineChild {
  readonly child: ChildProcess;
}

export function forkEngine(env: NodeJS.ProcessEnv = process.env): EngineProcess {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = join(here, '..', 'engine', 'main.ts');
  const built = join(here, 'engine.js');
  const fromSource = existsSync(source);
  const child = fork(fromSource ? source : built, [], {
    // Absolute loader URL: the engine must start whatever the working directory.
    execArgv: [...ENGINE_V8_FLAGS, ...(fromSource ? ['--import', import.meta.resolve('tsx')] : [])],
    serialization: 'advanced', // structured clone: typed arrays stay typed arrays
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
  const handlers: ((m: Message) => void)[] = [];
  child.on('message', (message) => {
    if (isMessage(message)) for (const h of handlers) h(message);
  });
  return {
    child,
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (handler) => handlers.push(handler),
    onExit: (handler) => child.on('exit', handler),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect?.();
        // The engine needs a moment to checkpoint a training run (it waits at most 5 s).
        setTimeout(() => child.kill('SIGKILL'), 8000).unref();
      }),
  };
}
