// latent-explorer info [--json]: versions, the TF.js backend in use and why faster ones are not.
import { appInfo } from '../../engine/handlers/system.ts';
import { parseCommand } from '../args.ts';
import { createOutput } from '../output.ts';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {}, 'Usage: latent-explorer info [--json]\nPrints versions, the TF.js backend in use, and why faster backends are not used.', false);
  if (!parsed) return 0;
  const info = await appInfo();
  const lines = [
    `Latent Explorer ${info.version}`,
    `Node ${info.node}, TF.js ${info.tfjs}, ${info.platform}`,
    `Backend: ${info.backend.backend} — ${info.backend.label}`,
    ...info.backend.attempts.map((a) => `  ${a.ok ? '✓' : '✗'} ${a.name.padEnd(15)} ${a.package}${a.reason ? ` — ${a.reason}` : ''}`),
    info.backend.kernels
      ? `Kernels: ${info.backend.kernels.native ? `native CPU (${info.backend.kernels.isa}) for products and convolutions, TF.js wasm for the rest` : `TF.js wasm (native CPU kernels ${info.backend.kernels.reason})`}`
      : '',
    info.backend.threads
      ? `Training threads: ${info.backend.threads.threads} (${info.backend.threads.note ?? (info.backend.threads.source === 'cores' ? `the core count${info.backend.threads.threads < info.backend.threads.cores ? `, at most ${info.backend.threads.threads}` : ''}; set LATENT_EXPLORER_THREADS or --threads to change` : 'from LATENT_EXPLORER_THREADS')}; ${info.backend.threads.cores} cores)`
      : '',
    `Data folder: ${info.dataDir}`,
  ].filter(Boolean);
  createOutput(parsed.values.json).result(info, lines.join('\n'));
  return 0;
}
