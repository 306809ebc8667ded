// latent-explorer <command> [options]. Each command is one file in ./commands, loaded by name, so
// adding a command touches no shared registry.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../contract/errors.ts';
import { UsageError } from './errors.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function availableCommands(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function usage(): string {
  return [
    'Usage: latent-explorer <command> [options]   (every command takes --json)',
    '',
    'Commands:',
    ...availableCommands().map((c) => `  ${c}`),
    '',
    'Run `latent-explorer <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (!/^[a-z][a-z-]*$/.test(name) || !availableCommands().includes(name)) {
    throw new UsageError(`unknown command '${name}' (commands: ${availableCommands().join(', ')})`);
  }
  const command = (await import(pathToFileURL(join(commandsDir, `${name}.ts`)).href)) as {
    run(argv: string[]): Promise<number>;
  };
  return command.run(rest);
}

/** One line on stderr for the user's mistakes; the stack only for our own bugs (with DEBUG set). */
export function reportError(error: unknown): number {
  const json = process.argv.includes('--json');
  const message = error instanceof Error ? error.message : String(error);
  const known = error instanceof UserError || (error as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string })?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || (error as { code?: string })?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
  if (json) console.log(JSON.stringify({ event: 'error', message }));
  console.error(`latent-explorer: ${message.split('\n')[0]}`);
  if (!known && process.env.DEBUG) console.error(error);
  return known ? 2 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => process.exit(reportError(error)),
  );
}
