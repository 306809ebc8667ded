#!/usr/bin/env -S node --max-semi-space-size=4 --single-threaded-gc
// The CLI runs from the TypeScript sources through tsx: no build step can go stale behind it. It trains in
// its own process, so started as a command it takes the engine process's V8 flags (the line above, kept
// equal to electron/host/engine-flags.ts by a test); `node bin/latent-explorer.mjs` runs without them.
import { register } from 'tsx/esm/api';

register();
const { main, reportError } = await import('../electron/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error)),
);
