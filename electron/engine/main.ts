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
  // After the host went away a send fails (EPIPE); the callback keeps that from crashing the engine
  // while it saves a training run on its way out.
  else if (process.send && process.connected) process.send(message, undefined, {}, () => {});
}

const engine = createEngine(send);

let leaving = false;
async function leave(): Promise<void> {
  if (leaving) return;
  leaving = true;
  await engine.shutdown();
  process.exit(0);
}
// Electron's utilityProcess.kill() and a plain `kill` send SIGTERM, Ctrl+C in the terminal that
// runs `serve` sends SIGINT to the whole group: the same orderly stop for all.
process.on('SIGTERM', () => void leave());
process.on('SIGINT', () => void leave());

if (parentPort) {
  parentPort.on('message', (event) => {
    if (isMessage(event.data)) void engine.receive(event.data);
  });
} else if (process.send) {
  process.on('message', (message) => {
    if (isMessage(message)) void engine.receive(message);
  });
  // The host went away: stop work (training saves a checkpoint and marks the run stopped), then leave.
  process.on('disconnect', () => void leave());
} else {
  console.error('latent-explorer engine: start me through a host (serve or the Electron app).');
  process.exit(2);
}
send({ kind: 'event', name: 'engine.ready', data: { pid: process.pid } });
