// npm run setup: install packages, try to fetch the Electron binary, build the native CPU kernels and the app.
// Electron's binary comes from GitHub; where that is unreachable the app runs in the browser host
// instead, and we say so in one line rather than fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

// npm 11 does not run install scripts it has not been told to allow; Electron's download is one,
// run below on its own terms, so skip it here.
if (run('npm', ['install', '--no-audit', '--no-fund'], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }) !== 0) {
  console.error('setup: npm install failed');
  process.exit(1);
}

console.log(electronStatus());

// The native CPU kernels: optional, one line either way.
run('npm', ['run', '--silent', 'build:native']);

if (run('npm', ['run', 'build']) !== 0) {
  console.error('setup: the build failed');
  process.exit(1);
}

function electronStatus() {
  const require = createRequire(import.meta.url);
  const binary = () => {
    try {
      const path = require('electron'); // the package's index returns the binary's path
      return typeof path === 'string' && existsSync(path) ? path : null;
    } catch {
      return null;
    }
  };
  if (binary()) return 'setup: Electron binary present.';
  if (process.env.LATENT_EXPLORER_SKIP_ELECTRON) return 'setup: Electron binary skipped (LATENT_EXPLORER_SKIP_ELECTRON); `npm start` will use the browser host.';
  const installer = require.resolve('electron/install.js');
  const result = spawnSync(process.execPath, [installer], { encoding: 'utf8', timeout: 120_000 });
  if (result.status === 0 && binary()) return 'setup: Electron binary downloaded.';
  const why = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').find((l) => /error|ENOTFOUND|ECONN|EAI_AGAIN|timed out|refused/i.test(l)) ?? 'download failed';
  return `setup: no Electron binary (${why.trim().slice(0, 120)}); \`npm start\` will use the browser host instead.`;
}
