#!/usr/bin/env node
// The CLI runs from the TypeScript sources through tsx: no build step can go stale behind it.
import { register } from 'tsx/esm/api';

register();
const { main, reportError } = await import('../electron/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => process.exit(reportError(error)),
);
