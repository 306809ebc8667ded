// latent-explorer encode <run> <folder | image> --out latents.csv: encodes images from outside the
// run's data set with the run's own preprocessing and writes file,mean_1..L,logvar_1..L per image.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkOutput, EXIT_CANCELLED, openRunForCli, OUT_FLAGS, parseCommand, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { writeFileAtomic } from '../../engine/files.ts';

const USAGE = `Usage: latent-explorer encode <run folder> <folder | image> --out latents.csv [options]
  --out FILE     where to write the CSV (required)
  --force        overwrite FILE if it exists
  --json         progress and the summary as JSON lines
Each image is read as the run's training images were (size, channels, fit; dark ink on light paper
is inverted when the training images are light on dark) and
encoded; the CSV has one row per image: file,mean_1..mean_L,logvar_1..logvar_L. Files that are not
readable images are skipped and listed.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...OUT_FLAGS }, USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new UsageError(`encode needs a run folder and a folder or image (got ${positionals.length} arguments); see latent-explorer encode --help`);
  const [runArg, inputArg] = positionals;
  if (!values.out) throw new UsageError('encode needs --out <latents.csv>');
  const input = resolve(inputArg);
  if (!existsSync(input)) throw new UsageError(`${input}: no such file or folder`);
  const out = checkOutput(values.out, { force: values.force, input });
  const output = createOutput(values.json);
  const started = performance.now();
  const code = await withCancel(output, 'Encoding cancelled; nothing written.', async (signal) => {
    const loaded = await openRunForCli(runArg, 'encode');
    try {
      const { readNewImages } = await import('../../engine/explorer/new-images.ts');
      const { latentsCsv } = await import('../../engine/explorer/latents-csv.ts');
      output.progressLine(`Reading ${input}`);
      const images = await readNewImages(input, loaded.run, signal);
      output.progressLine(`Encoding ${images.count} images`);
      const { means, logVars } = await loaded.encode(images.pixels, images.count);
      output.endProgressLine();
      writeFileAtomic(out, latentsCsv(images.files, means, logVars, loaded.latent));
      for (const s of images.skipped) output.event('skipped', { path: s.path, reason: s.reason }, `skipped ${s.path}: ${s.reason}`);
      const seconds = (performance.now() - started) / 1000;
      output.result(
        { event: 'summary', run: loaded.dir, input, out, images: images.count, skipped: images.skipped.length, latent: loaded.latent, seconds },
        `Wrote ${out}: ${images.count} images encoded to ${loaded.latent}-D (mean and log-variance)${images.skipped.length ? `, ${images.skipped.length} skipped` : ''}`,
      );
      return 0;
    } finally {
      loaded.dispose();
    }
  });
  return code ?? EXIT_CANCELLED;
}
