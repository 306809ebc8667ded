// Entry of the engine process. Electron main starts it with utilityProcess.fork (messages arrive on
// process.parentPort); the browser host with child_process.fork (process.send/on('message'),
// serialization 'advanced'). Both carry structured clones, so typed arrays cross as they are.
import type { Message } from '../contract/messages.ts';
import { isMessage } from '../contract/messages.ts';
import { createEngine } from './engine.ts';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: Message): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
}

const engine = createEngine(send);

if (parentPort) {
  parentPort.on('message', (event) => {
    if (isMessage(event.data)) void engine.receive(event.data);
  });
} else if (process.send) {
  process.on('message', (message) => {
    if (isMessage(message)) void engine.receive(message);
  });
  // The host went away: stop work and leave.
  process.on('disconnect', () => {
    engine.shutdown();
    process.exit(0);
  });
} else {
  console.error('latent-explorer engine: start me through a host (serve or the Electron app).');
  process.exit(2);
}
send({ kind: 'event', name: 'engine.ready', data: { pid: process.pid } });
