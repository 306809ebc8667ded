// latent-explorer compare <run>... [--iwae K] [--sort COLUMN] [--json]: the runs side by side —
// test −ELBO, IWAE, active units, total correlation, accuracy, MIG/SAP/DCI where the data has
// factors — with when each dimension switched on and the seed agreement of same-settings runs.
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { choiceOption, EXIT_CANCELLED, intOption, parseCommand, withCancel } from '../args.ts';
import { UsageError } from '../errors.ts';
import { createOutput } from '../output.ts';
import type { CompareRow, Comparison } from '../../engine/disentanglement/compare.ts';

const COLUMNS = ['negElbo', 'negIwae', 'activeUnits', 'totalCorrelation', 'accuracy', 'mig', 'sap', 'dciDisentanglement', 'dciCompleteness', 'dciInformativeness', 'privateAuc'] as const;

const USAGE = `Usage: latent-explorer compare <run folder>... [--iwae K] [--sort COLUMN] [--json]
  Evaluates each run on its test split and prints one row per run: model, beta, seed, test −ELBO,
  −IWAE (with --iwae K > 0), active units, total correlation of the means, class accuracy
  (semi-supervised), and MIG, SAP and DCI where the dataset has factors (factors.csv); then the epoch
  each dimension switched on (test KL > 0.1 nats) and, for runs whose settings differ only by the
  seed, their seed agreement (matched |Spearman rho| of active dimensions; 1 = the same axes).
  --iwae K     samples for the IWAE bound (default 0: skipped)
  --sort C     ${COLUMNS.join(', ')} (descending for scores, ascending for losses)
  --json       the comparison as one JSON object`;

const fmt = (v: number | undefined, digits = 3) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

export function formatComparison(c: Comparison): string {
  // fair VAE runs add the probe's AUC of s (theirs, and their plain VAE reference's)
  const fair = c.rows.some((r) => r.privateAuc !== undefined);
  const header = ['run', 'model', 'β', 'seed', '−ELBO', '−IWAE', 'AU', 'TC', 'acc', 'MIG', 'SAP', 'DCI-D', 'DCI-C', 'DCI-I', ...(fair ? ['s-AUC', 's-AUC VAE'] : [])];
  const body = c.rows.map((r) => [
    r.name,
    `${r.objective} ${r.latent}-D`,
    fmt(r.beta, 1),
    String(r.seed),
    fmt(r.negElbo, 2),
    fmt(r.negIwae, 2),
    String(r.activeUnits),
    fmt(r.totalCorrelation, 2),
    r.accuracy === undefined ? '—' : `${(100 * r.accuracy).toFixed(1)}%`,
    fmt(r.mig),
    fmt(r.sap),
    fmt(r.dciDisentanglement),
    fmt(r.dciCompleteness),
    fmt(r.dciInformativeness),
    ...(fair ? [fmt(r.privateAuc), fmt(r.privateReferenceAuc)] : []),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...body.map((row) => row[k].length)));
  const line = (cells: string[]) => cells.map((s, k) => (k < 2 ? s.padEnd(widths[k]) : s.padStart(widths[k]))).join('  ');
  const lines = [line(header), ...body.map(line)];
  // the −ELBO column holds each model's own test loss: say which where it is not an ELBO
  for (const r of c.rows) {
    if (r.objective === 'ppca' || r.objective === 'fa') lines.push(`  ${r.name}: −ELBO column is the exact −log p(x) (the posterior is exact)`);
    if (r.objective === 'dae') lines.push(`  ${r.name}: −ELBO column is the reconstruction loss (deterministic codes: no ELBO, IWAE or KL)`);
    if (r.objective === 'fair-vae')
      lines.push(`  ${r.name}: −ELBO column is of p(x | s); s-AUC: probe AUC of ${r.privateAttribute} from z^X on the test images (0.5 = chance), s-AUC VAE the plain VAE trained beside it`);
  }
  lines.push('', 'Epoch each dimension switched on (test KL > 0.1 nats; – never):');
  for (const r of c.rows) lines.push(`  ${r.name}: ${r.switchOn.map((e, d) => `z${d + 1} ${e ?? '–'}`).join(', ')}`);
  if (c.seedGroups.length) {
    lines.push('', 'Seed agreement (runs differing only by seed; matched |Spearman ρ| of active dimensions, 1 = same axes up to order and sign):');
    for (const g of c.seedGroups) lines.push(`  ${g.agreement.toFixed(3)}  ${g.runs.map((d) => d.split(/[\\/]/).pop()).join(' vs ')}  (${g.settings})`);
    lines.push('  It says whether seeds find the same axes, not whether those axes are the true factors.');
  }
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { iwae: { type: 'string' }, sort: { type: 'string' } }, USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('compare needs one or more run folders; see latent-explorer compare --help');
  const dirs = positionals.map((p) => resolve(p));
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`${d}: no such run folder`);
  const iwae = intOption(values, 'iwae', { min: 0, max: 5000 }) ?? 0;
  const sort = choiceOption(values, 'sort', COLUMNS);
  const out = createOutput(values.json);
  const { initBackend } = await import('../../engine/backend.ts');
  await initBackend();
  const { compareRuns } = await import('../../engine/disentanglement/compare.ts');
  const { RunLoadError } = await import('../../engine/training/run-file.ts');
  const code = await withCancel(out, 'Comparison cancelled.', async (signal) => {
    let comparison: Comparison;
    try {
      comparison = await compareRuns(dirs, {
        iwae,
        signal,
        onRun: (done, total, dir) => {
          if (out.json) out.event('progress', { done, total, run: dir });
          else out.progressLine(`Evaluating run ${Math.min(done + 1, total)}/${total}`);
        },
      });
    } catch (error) {
      if (error instanceof RunLoadError) throw new UsageError(error.message);
      throw error;
    }
    out.endProgressLine();
    if (sort) {
      const ascending = sort === 'negElbo' || sort === 'negIwae' || sort === 'totalCorrelation' || sort === 'privateAuc';
      const key = (r: CompareRow) => (r[sort] as number | undefined) ?? (ascending ? Infinity : -Infinity);
      comparison.rows.sort((a, b) => (ascending ? key(a) - key(b) : key(b) - key(a)));
    }
    const json = { event: 'comparison', rows: comparison.rows.map(({ report, ...row }) => ({ ...row, factors: report.factors })), seedGroups: comparison.seedGroups };
    out.result(json, formatComparison(comparison));
    return 0;
  });
  return code ?? EXIT_CANCELLED;
}
