// Builds the native CPU kernels (models/native/kernels.cc) with node-gyp and the machine's C++ compiler.
// They are optional: where the build fails, training runs on TF.js's wasm kernels and this says why in
// one line, so setup goes on. Run inside npm (npm run setup / npm run build:native), which provides
// node-gyp (npm_config_node_gyp) and, where configured, the Node headers (npm_config_nodedir).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'native');
const addon = join(dir, 'build', 'Release', 'kernels.node');
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['npx', ['--yes', 'node-gyp@11', 'rebuild']];
const result = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
if (result.status === 0 && existsSync(addon)) {
  console.log('setup: native CPU kernels built (models/native); training uses them under the wasm backend.');
} else {
  rmSync(join(dir, 'build'), { recursive: true, force: true }); // never leave a half-built addon behind
  const text = `${result.stderr ?? ''}\n${result.stdout ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  const why = text.split('\n').find((l) => /error/i.test(l))?.trim().slice(0, 160) ?? `node-gyp exited with ${result.status}`;
  console.log(`setup: native CPU kernels not built (${why}); training uses TF.js's wasm kernels.`);
}
