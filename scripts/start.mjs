// npm start: the Electron app where its binary exists, else the browser host (prints the URL).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath = null;
try {
  const path = require('electron');
  if (typeof path === 'string' && existsSync(path)) electronPath = path;
} catch {
  // not installed
}

// With no arguments the app opens on the bundled MNIST sample, ready to train.
const args = process.argv.slice(2);
if (!args.includes('--open')) args.push('--open', 'sample:mnist');
const child = electronPath && !process.env.LATENT_EXPLORER_BROWSER
  ? spawn(electronPath, ['.', ...args], { stdio: 'inherit' })
  : (console.log('No Electron binary here: starting the browser host.'),
    spawn(process.execPath, ['bin/latent-explorer.mjs', 'serve', ...args], { stdio: 'inherit' }));
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code) => process.exit(code ?? 0));
