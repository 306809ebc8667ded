// latent-explorer eval <run> [--iwae K]: test −ELBO, the IWAE bound on −log p(x), KL per dimension,
// active units, total correlation of the latent means and (semi-supervised) class accuracy.
import { privacyLine } from '../privacy-line.ts';
import { bitsPerDim, lossUnitsNote } from '../../contract/units.ts';
import { EXIT_CANCELLED, intOption, onePositional, openRunForCli, parseCommand, withCancel } from '../args.ts';
import { createOutput } from '../output.ts';
import type { FactorMetrics } from '../../contract/factors.ts';
import { initBackend } from '../../engine/backend.ts';
import { evaluateRun, openRunDataset } from '../../engine/training/evaluate.ts';
import type { StyleDimensionReport } from '../../contract/style.ts';
import { STYLE_ACTIVE_KL, STYLE_LEAK_THRESHOLD } from '../../contract/style.ts';

const USAGE = `Usage: latent-explorer eval <run folder> [--iwae K] [--json]
  --iwae K   samples for the importance-weighted bound on log p(x) (default 50; 0 skips it)
  --json     progress and the report as JSON lines
Reports nats per image on the run's test split: −ELBO and the IWAE bound (lower is better; positive for
a Bernoulli likelihood, a density that can be negative for a Gaussian one, then also in bits/dim;
the IWAE bound is at most −ELBO and tightens as K grows).`;

/** MIG, SAP, DCI and, per factor, the dimension that holds most of it. */
export function formatFactorMetrics(m: FactorMetrics, names: string[] = []): string {
  const dim = (j: number) => names[j] ?? `z${j + 1}`;
  const lines = [
    `  factors (${m.factors.length}, on ${m.images} images): MIG ${m.mig.score.toFixed(3)}, SAP ${m.sap.score.toFixed(3)}, DCI disentanglement ${m.dci.disentanglement.toFixed(3)}, completeness ${m.dci.completeness.toFixed(3)}, informativeness ${m.dci.informativeness.toFixed(3)}`,
  ];
  m.factors.forEach((f, k) => {
    let best = 0;
    for (let j = 1; j < m.dims; j++) if (m.normalisedMi[j][k] > m.normalisedMi[best][k]) best = j;
    const auc = m.auc[best][k];
    lines.push(
      `    ${f.name.padEnd(14)} MIG ${m.mig.perFactor[k].toFixed(3)}  SAP ${m.sap.perFactor[k].toFixed(3)}  most in ${dim(best)} (MI/H ${m.normalisedMi[best][k].toFixed(2)}${auc !== null ? `, AUC ${auc.toFixed(2)}` : ''})`,
    );
  });
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { iwae: { type: 'string' } }, USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const runArg = onePositional(positionals, 'eval', 'run folder');
  const iwae = intOption(values, 'iwae', { min: 0, max: 5000 }) ?? 50;
  const out = createOutput(values.json);
  const loaded = await openRunForCli(runArg, 'eval');
  const backend = await initBackend(); // already started by openRunForCli: this only reads which one
  try {
    const code = await withCancel(out, 'Evaluation cancelled.', async (signal) => {
      const dataset = await openRunDataset(loaded.run, { signal });
      let last = 0;
      const report = await evaluateRun(loaded, dataset, {
        iwae,
        signal,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 100 && p.done < p.total) return;
          last = now;
          if (out.json) out.event('progress', p);
          else out.progressLine(`Evaluating ${p.done}/${p.total}`);
        },
      });
      out.endProgressLine();
      const r = report;
      const names = loaded.run.dimensionNames;
      // A Gaussian likelihood's figures are densities: say so, and add bits/dim (the literature's unit).
      const gaussian = loaded.run.model.likelihood === 'gaussian';
      const dims = dataset.images.size * dataset.images.size * dataset.images.channels;
      const bpd = (nats: number) => (gaussian ? `, ${bitsPerDim(nats, dims).toFixed(3)} bits/dim` : '');
      const human = [
        `Run ${loaded.dir} (${loaded.run.model.objective}, ${loaded.run.model.latent}-D latent, ${loaded.run.history.length} epochs) on ${r.images} ${r.split} images of ${loaded.run.dataset.ref}:`,
        r.negLogLikelihood !== undefined
          ? `${'  −log p(x)'.padEnd(19)}${r.negElbo.toFixed(2)} nats/image${bpd(r.negElbo)}  exact (reconstruction ${r.recon.toFixed(2)} + KL ${r.kl.toFixed(2)})`
          : loaded.run.model.objective === 'dae'
            ? `${'  reconstruction'.padEnd(19)}${r.negElbo.toFixed(2)} nats/image  (−log p(x | g(f(x))) of clean images)`
            : `${'  −ELBO'.padEnd(19)}${r.negElbo.toFixed(2)} nats/image${bpd(r.negElbo)}  (reconstruction ${r.recon.toFixed(2)} + KL ${r.kl.toFixed(2)})`,
        r.negIwae !== undefined ? `${`  −IWAE (K=${r.iwaeSamples})`.padEnd(19)}${r.negIwae.toFixed(2)} nats/image${bpd(r.negIwae)}  (bound on −log p(x), ${(r.negElbo - r.negIwae).toFixed(2)} below −ELBO)` : '',
        ...r.notes.map((note) => `  ${note}`),
        // the denoising autoencoder has no KL (its codes are points): the note above says so
        loaded.run.model.objective === 'dae' ? '' : `${'  active units'.padEnd(19)}${r.activeUnits} of ${r.klPerDim.length} (mean KL > ${r.activeThreshold} nats)`,
        loaded.run.model.objective === 'dae' ? '' : `${'  KL per dimension'.padEnd(19)}${r.klPerDim.map((v, i) => `${names[i] ?? `z${i + 1}`}: ${v.toFixed(3)}`).join(', ')}`,
        `  total correlation of the latent means (Gaussian fit) ${Number.isFinite(r.meansTotalCorrelation) ? `${r.meansTotalCorrelation.toFixed(3)} nats` : 'n/a (too few test images for the latent size)'}`,
        gaussian ? `  ${lossUnitsNote('gaussian', dims, loaded.run.model.objective)}` : '',
        r.privacy ? `  ${privacyLine(r.privacy)}` : '',
        r.accuracy !== undefined ? `  class head accuracy ${(100 * r.accuracy).toFixed(1)}% on ${r.labelled} held-out labels` : '',
        r.styleDimensions ? styleTable(r.styleDimensions, names) : '',
        r.factors ? formatFactorMetrics(r.factors, names) : '',
      ].filter(Boolean).join('\n');
      const units = gaussian ? { bitsPerDim: { negElbo: bitsPerDim(r.negElbo, dims), ...(r.negIwae !== undefined ? { negIwae: bitsPerDim(r.negIwae, dims) } : {}) } } : {};
      out.result({ event: 'summary', ...report, likelihood: loaded.run.model.likelihood, ...units, backend: backend.backend }, human);
      return 0;
    });
    return code ?? EXIT_CANCELLED;
  } finally {
    loaded.dispose();
  }
}

/** Style dimensions by KL: leakage flagged, inactive ones counted (their rows are in --json). */
function styleTable(dims: StyleDimensionReport[], names: string[]): string {
  const active = dims.filter((d) => d.active);
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  const lines = [
    `  style dimensions   ${active.length} of ${dims.length} active (KL > ${STYLE_ACTIVE_KL} nats); class leakage = share of the ±2 sd sweeps from each class mean whose class the model's classifier sees change`,
    ...active.map((d) => {
      const best = d.measure ?? d.strongest;
      const r = d.correlations[best];
      const flag = d.leaks ? `  LEAKS into the class (> ${pct(STYLE_LEAK_THRESHOLD)}: classes ${d.leakingClasses.join(', ')})` : '';
      return `    ${(names[d.dim] ?? `z${d.dim + 1}`).padEnd(14)} KL ${d.kl.toFixed(2)}  leakage ${pct(d.leakage).padStart(4)}  ${d.suggestedName ? `suggested name: ${d.suggestedName}` : 'no name'} (${best} r = ${r.toFixed(2)})${flag}`;
    }),
  ];
  if (active.length < dims.length) lines.push(`    ${dims.length - active.length} inactive (KL ≤ ${STYLE_ACTIVE_KL}): ${dims.filter((d) => !d.active).map((d) => names[d.dim] ?? `z${d.dim + 1}`).join(', ')}`);
  return lines.join('\n');
}
