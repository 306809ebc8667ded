// latent-explorer eval <run> [--iwae K]: test −ELBO, the IWAE bound on −log p(x), KL per dimension,
// active units, total correlation of the latent means and (semi-supervised) class accuracy.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import { initBackend } from '../../engine/backend.ts';
import { loadRun, RunLoadError } from '../../engine/training/run-file.ts';
import { evaluateRun, openRunDataset } from '../../engine/training/evaluate.ts';

const USAGE = `Usage: latent-explorer eval <run folder> [--iwae K] [--json]
  --iwae K   samples for the importance-weighted bound on log p(x) (default 50; 0 skips it)
  --json     progress and the report as JSON lines
Reports positive nats per image on the run's test split: −ELBO and the IWAE bound (lower is better;
the IWAE bound is at most −ELBO and tightens as K grows).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { iwae: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('eval needs one run folder; see latent-explorer eval --help');
  const iwae = values.iwae === undefined ? 50 : Number(values.iwae);
  if (!Number.isInteger(iwae) || iwae < 0 || iwae > 5000) throw new UsageError(`--iwae must be a whole number from 0 to 5000 (got '${values.iwae}')`);
  const runDir = resolve(positionals[0]);
  const json = values.json ?? false;
  const out = createOutput(json);
  const backend = await initBackend();
  let loaded;
  try {
    loaded = await loadRun(runDir);
  } catch (e) {
    if (e instanceof RunLoadError) throw new UsageError(e.message);
    throw e;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const dataset = await openRunDataset(loaded.run, { signal: controller.signal });
    const tty = !json && process.stderr.isTTY;
    let last = 0;
    const report = await evaluateRun(loaded, dataset, {
      iwae,
      signal: controller.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - last < 100 && p.done < p.total) return;
        last = now;
        if (json) out.event('progress', p);
        else if (tty) process.stderr.write(`\r\x1b[KEvaluating ${p.done}/${p.total}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    const r = report;
    const names = loaded.run.dimensionNames;
    const human = [
      `Run ${runDir} (${loaded.run.model.objective}, ${loaded.run.model.latent}-D latent, ${loaded.run.history.length} epochs) on ${r.images} ${r.split} images of ${loaded.run.dataset.ref}:`,
      `${'  −ELBO'.padEnd(19)}${r.negElbo.toFixed(2)} nats/image  (reconstruction ${r.recon.toFixed(2)} + KL ${r.kl.toFixed(2)})`,
      r.negIwae !== undefined ? `${`  −IWAE (K=${r.iwaeSamples})`.padEnd(19)}${r.negIwae.toFixed(2)} nats/image  (bound on −log p(x), ${(r.negElbo - r.negIwae).toFixed(2)} below −ELBO)` : '',
      `${'  active units'.padEnd(19)}${r.activeUnits} of ${r.klPerDim.length} (mean KL > ${r.activeThreshold} nats)`,
      `${'  KL per dimension'.padEnd(19)}${r.klPerDim.map((v, i) => `${names[i] ?? `z${i + 1}`}: ${v.toFixed(3)}`).join(', ')}`,
      `  total correlation of the latent means (Gaussian fit) ${Number.isFinite(r.meansTotalCorrelation) ? `${r.meansTotalCorrelation.toFixed(3)} nats` : 'n/a (too few test images for the latent size)'}`,
      r.accuracy !== undefined ? `  class head accuracy ${(100 * r.accuracy).toFixed(1)}% on ${r.labelled} held-out labels` : '',
    ].filter(Boolean).join('\n');
    out.result({ event: 'summary', ...report, backend: backend.backend }, human);
    return 0;
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') {
      out.event('cancelled', {}, 'Evaluation cancelled.');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    loaded.dispose();
  }
}
