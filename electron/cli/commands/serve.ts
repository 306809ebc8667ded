// latent-explorer serve [--port P] [--host H] [--json]: the browser host.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exposureWarning, startBrowserHost } from '../../host/browser-host.ts';
import { intOption, parseCommand } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';

const DEFAULT_PORT = 5757;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, open: { type: 'string' } },
    'Usage: latent-explorer serve [--port P] [--host H] [--open FOLDER|sample:mnist] [--json]\nServes the app to a browser on this machine (127.0.0.1 unless --host is given) and prints its URL with an access token.\n--open makes the app open that dataset when the page loads.',
    false,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PORT;
  const out = createOutput(values.json);
  const rendererDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'out', 'renderer');

  let host;
  try {
    host = await startBrowserHost({ rendererDir, host: values.host, port });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' && values.port === undefined) {
      // The default port is taken (another copy running?): take any free one rather than fail.
      host = await startBrowserHost({ rendererDir, host: values.host, port: 0 });
    } else if (code === 'EADDRINUSE') {
      throw new UsageError(`port ${port} is already in use; choose another with --port`);
    } else if (code === 'EADDRNOTAVAIL') {
      throw new UsageError(`cannot listen on ${values.host}: not an address of this machine`);
    } else throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const warning = exposureWarning(values.host);
  if (warning) out.event('warning', { message: warning }, warning);
  const url = values.open ? `${host.url}&open=${encodeURIComponent(values.open)}` : host.url;
  out.event('listening', { url, port: host.port }, `Latent Explorer is running at ${url}\nOpen that address in a browser. Press Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  return 0;
}
