// Flips Electron's fuses in a packaged app (electron-builder afterPack hook, or by hand:
// node scripts/flip-fuses.mjs path/to/Latent\ Explorer). The settings are electron/shell/fuses.ts.
// Needs @electron/fuses, installed with the packager (npm i -D @electron/fuses); not used at runtime.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '..', 'electron', 'shell', 'fuses.ts'), 'utf8');
const setting = (name) => new RegExp(`${name}: (true|false)`).exec(source)[1] === 'true';

export default async function flip(context) {
  const binary = typeof context === 'string' ? context : join(context.appOutDir, context.packager.appInfo.productFilename);
  const { flipFuses, FuseVersion, FuseV1Options } = await import('@electron/fuses');
  await flipFuses(binary, {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: setting('runAsNode'),
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: setting('enableNodeOptionsEnvironmentVariable'),
    [FuseV1Options.EnableNodeCliInspectArguments]: setting('enableNodeCliInspectArguments'),
    [FuseV1Options.OnlyLoadAppFromAsar]: setting('onlyLoadAppFromAsar'),
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: setting('enableEmbeddedAsarIntegrityValidation'),
    [FuseV1Options.EnableCookieEncryption]: setting('enableCookieEncryption'),
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: setting('grantFileProtocolExtraPrivileges'),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await flip(process.argv[2]);
