// latent-explorer bundle <run> --out FILE.zip|FOLDER: the run's TF.js encoder and decoder with run.json
// and a README, as a zip (when FILE ends in .zip) or as a folder, to use the model outside the app.
import { extname } from 'node:path';
import { formatBytes } from '../../engine/exports/exporter.ts';
import { EXIT_CANCELLED, onePositional, OUT_FLAGS, parseCommand } from '../args.ts';
import { checkOutputFolder } from '../../engine/exports/write.ts';
import { createOutput } from '../output.ts';
import { openRun, outputPath, runExport } from './_exports.ts';

const USAGE = `Usage: latent-explorer bundle <run> --out FILE.zip|FOLDER [--force] [--json]
  Writes the run's encoder/ and decoder/ (TF.js layers format; the decoder outputs logits, pixels are
  their sigmoid), the class head of semi-supervised runs, run.json and a README: a zip when the name
  ends in .zip, else a new folder.
  --force   replace FILE.zip, or a FOLDER that holds an earlier bundle (never a folder of other files)
  --json    the summary as JSON`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OUT_FLAGS, USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runArg = onePositional(positionals, 'bundle', 'run folder');
  const force = values.force;
  const out = outputPath(values.out, null, force, 'bundle', runArg);
  const format = extname(out).toLowerCase() === '.zip' ? 'zip' : 'folder';
  if (format === 'folder') {
    checkOutputFolder(out, force); // --force replaces only a folder holding an earlier bundle
  }
  const source = await openRun(runArg, 'bundle');
  const output = createOutput(values.json);
  const done = await runExport(source, { kind: 'bundle', options: { format } }, out, force, output);
  if (!done) return EXIT_CANCELLED;
  const { result, path } = done;
  const bytes = result.data?.length ?? result.files!.reduce((a, f) => a + f.data.length, 0);
  output.result(
    { event: 'done', kind: 'bundle', format, path, files: result.frames, bytes },
    `Wrote ${path}: ${format === 'zip' ? 'zip' : 'folder'} of ${result.frames} files, ${formatBytes(bytes)}`,
  );
  return 0;
}
