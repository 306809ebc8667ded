// Run as a child process (node <flags> --import tsx start-worker.ts NAME CALLER): starts the worker NAME
// the way the engine does (workerEntry next to the source file CALLER, startWorker) and prints "online"
// once it runs, or its error. The tests give it the engine's V8 flags, which a worker refuses as its own.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { startWorker, workerEntry } from '../../../electron/engine/worker-entry.ts';

const [name, caller] = process.argv.slice(2);
try {
  const worker = startWorker(workerEntry(name, pathToFileURL(resolve(caller)).href));
  worker.on('online', () => {
    console.log('online');
    process.exit(0);
  });
  worker.on('error', (e) => {
    console.log(`error: ${e.message}`);
    process.exit(1);
  });
} catch (error) {
  console.log(`error: ${(error as Error).message}`);
  process.exit(1);
}
