// Run as a child process (node <flags> --import tsx start-worker.ts NAME CALLER): starts the worker NAME
// the way the engine does (workerEntry next to the source file CALLER, startWorker), sends it a request
// its code answers (a bad one: any reply proves the module loaded and runs), and prints "replied", or
// the error or exit that came first. The tests give it the engine's V8 flags, which a worker refuses as
// its own. ('online' alone fires before the worker's modules load, so it cannot tell a broken bundle.)
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { startWorker, workerEntry } from '../../../electron/engine/worker-entry.ts';

const PROBES: Record<string, unknown> = {
  'train-worker': { type: 'step' }, // "step before init"
  'decode-worker': { id: 1, target: { size: 4, channels: 1 }, paths: [] }, // an empty chunk
  'tsne-worker': {}, // no points: an error reply
};
const [name, caller] = process.argv.slice(2);
const end = (line: string, code: number) => {
  console.log(line);
  process.exit(code);
};
try {
  const worker = startWorker(workerEntry(name, pathToFileURL(resolve(caller)).href));
  worker.on('message', () => end('replied', 0));
  worker.on('error', (e) => end(`error: ${e.message}`, 1));
  worker.on('exit', (code) => end(`exit ${code} before a reply`, 1));
  worker.postMessage(PROBES[name]);
  setTimeout(() => end('no reply in 60 s', 1), 60_000).unref();
} catch (error) {
  end(`error: ${(error as Error).message}`, 1);
}
