// Runs side by side: each run evaluated on its test split (−ELBO, IWAE, active units, total
// correlation, accuracy, and MIG/SAP/DCI where its dataset has factors), when each dimension
// switched on during training, and the seed agreement of runs whose settings differ only by seed.
// Serves the `compare` command and the Compare page (handlers/compare.ts), which keeps evaluated
// runs in a CompareCache so that coming back to the page, or narrowing it to one dataset, is instant.
import { isCancelled } from '../../contract/errors.ts';
import type { CompareRow, SeedGroup as SeedGroupSummary } from '../../contract/compare.ts';
import type { Dataset, DatasetOpener } from '../datasets/types.ts';
import { loadRun, readRunFile } from '../training/run-file.ts';
import { evaluateRun, openRunDataset, type EvalReport } from '../training/evaluate.ts';
import { seedAgreement, switchOnEpochs, type SeedAgreement } from './seed-agreement.ts';

export type { CompareRow };

/** A row with the full evaluation report behind it (the CLI's --json prints its factor table). */
export interface EvaluatedRow extends CompareRow {
  report: EvalReport;
}

export interface SeedGroup extends SeedGroupSummary {
  pairs: ({ a: string; b: string } & SeedAgreement)[];
}

export interface Comparison {
  rows: EvaluatedRow[];
  seedGroups: SeedGroup[];
}

/** One evaluated run and what seed agreement needs of it: its test means and active dimensions. */
export interface EvaluatedRun {
  row: EvaluatedRow;
  /** The run's data and settings apart from the seed: runs with equal keys differ only by seed. */
  groupKey: string;
  settings: Record<string, unknown>;
  means: Float32Array;
  active: number[];
  count: number;
}

export interface CompareHooks {
  iwae?: number;
  signal?: AbortSignal;
  onRun?(done: number, total: number, runDir: string): void;
  /** Each row as soon as its run is evaluated (or found in the cache). */
  onRow?(row: EvaluatedRow): void;
  /** Opens a run's dataset (the engine's shared workspace); by default each comparison opens its own. */
  open?: DatasetOpener;
  cache?: CompareCache;
  /** When given, a run that cannot be evaluated (unreadable, its data gone) is reported here and left out instead of ending the comparison. */
  onSkip?(runDir: string, message: string): void;
}

/** Evaluated runs by run folder, valid while the run's model (run.json's updatedAt and modelEpoch) and the IWAE samples stay the same. */
export class CompareCache {
  private readonly entries = new Map<string, { key: string; run: EvaluatedRun }>();

  private static keyOf(runDir: string, iwae: number): string | null {
    try {
      const run = readRunFile(runDir);
      return JSON.stringify([run.updatedAt, run.modelEpoch, iwae]);
    } catch {
      return null; // unreadable: evaluating it reports why
    }
  }

  get(runDir: string, iwae: number): EvaluatedRun | undefined {
    const entry = this.entries.get(runDir);
    return entry && entry.key === CompareCache.keyOf(runDir, iwae) ? entry.run : undefined;
  }

  set(runDir: string, iwae: number, run: EvaluatedRun): void {
    const key = CompareCache.keyOf(runDir, iwae);
    if (key) this.entries.set(runDir, { key, run });
  }
}

export async function evaluateForComparison(dir: string, hooks: { iwae?: number; signal?: AbortSignal; dataset: (run: Awaited<ReturnType<typeof loadRun>>['run']) => Promise<Dataset> }): Promise<EvaluatedRun> {
  const loaded = await loadRun(dir);
  try {
    const run = loaded.run;
    const ds = await hooks.dataset(run);
    const report = await evaluateRun(loaded, ds, { iwae: hooks.iwae ?? 0, signal: hooks.signal });
    const latent = run.model.latent;
    // Test-image means for seed agreement (the same images for every run of this dataset).
    const test: number[] = [];
    for (let k = 0; k < ds.images.count; k++) if (ds.images.split[k] === 1) test.push(k);
    const per = ds.images.size * ds.images.size * ds.images.channels;
    const pixels = new Uint8Array(test.length * per);
    test.forEach((k, j) => pixels.set(ds.images.pixels.subarray(k * per, (k + 1) * per), j * per));
    const { means } = await loaded.encode(pixels, test.length);
    const active = report.klPerDim.flatMap((v, d) => (v > report.activeThreshold ? [d] : []));
    const { seed, ...rest } = run.settings as unknown as Record<string, unknown>;
    const row: EvaluatedRow = {
      runDir: dir,
      name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir,
      objective: run.model.objective,
      beta: run.model.objective === 'beta-tcvae' ? run.model.tcWeights.tc : run.model.beta, // β-TCVAE's β weighs the total correlation
      latent,
      seed: Number(seed ?? run.model.seed),
      epochs: run.history.length,
      dataset: run.dataset.ref,
      negElbo: report.negElbo,
      negIwae: report.negIwae,
      iwaeSamples: report.iwaeSamples,
      activeUnits: report.activeUnits,
      totalCorrelation: report.meansTotalCorrelation,
      accuracy: report.accuracy,
      mig: report.factors?.mig.score,
      sap: report.factors?.sap.score,
      dciDisentanglement: report.factors?.dci.disentanglement,
      dciCompleteness: report.factors?.dci.completeness,
      dciInformativeness: report.factors?.dci.informativeness,
      ...(report.privacy
        ? { privateAuc: report.privacy.auc ?? undefined, privateReferenceAuc: report.privacy.referenceAuc ?? undefined, privateAttribute: report.privacy.attribute }
        : {}),
      switchOn: switchOnEpochs(run.history, latent),
      klHistory: run.history.map((h) => h.testKlPerDim ?? []),
      report,
    };
    const dataKey = JSON.stringify([run.dataset.ref, run.dataset.options]);
    return { row, groupKey: JSON.stringify([dataKey, rest]), settings: rest, means, active, count: test.length };
  } finally {
    loaded.dispose();
  }
}

/** Groups of two or more runs whose settings differ only by the seed, with their mean pairwise agreement. */
export function seedGroupsOf(runs: EvaluatedRun[]): SeedGroup[] {
  const groups = new Map<string, EvaluatedRun[]>();
  for (const r of runs) groups.set(r.groupKey, [...(groups.get(r.groupKey) ?? []), r]);
  const seedGroups: SeedGroup[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const pairs: SeedGroup['pairs'] = [];
    for (let x = 0; x < members.length; x++)
      for (let y = x + 1; y < members.length; y++) {
        const A = members[x];
        const B = members[y];
        pairs.push({ a: A.row.runDir, b: B.row.runDir, ...seedAgreement(A.means, A.row.latent, A.active, B.means, B.row.latent, B.active, A.count) });
      }
    seedGroups.push({
      settings: Object.entries(members[0].settings).map(([k, v]) => `${k} ${v}`).join(', '),
      runs: members.map((m) => m.row.runDir),
      agreement: pairs.reduce((s, p) => s + p.agreement, 0) / pairs.length,
      pairs,
    });
  }
  return seedGroups;
}

export async function compareRuns(runDirs: string[], hooks: CompareHooks = {}): Promise<Comparison> {
  const iwae = hooks.iwae ?? 0;
  const datasets = new Map<string, Promise<Dataset>>();
  const dataset = (run: Awaited<ReturnType<typeof loadRun>>['run']) => {
    const key = JSON.stringify([run.dataset.ref, run.dataset.options]);
    let ds = datasets.get(key);
    if (!ds) datasets.set(key, (ds = hooks.open ? hooks.open(run.dataset.ref, run.dataset.options, { signal: hooks.signal }) : openRunDataset(run, { signal: hooks.signal })));
    return ds;
  };
  const evaluated: EvaluatedRun[] = [];
  for (const [i, dir] of runDirs.entries()) {
    hooks.signal?.throwIfAborted();
    hooks.onRun?.(i, runDirs.length, dir);
    let run = hooks.cache?.get(dir, iwae);
    if (!run) {
      try {
        run = await evaluateForComparison(dir, { iwae, signal: hooks.signal, dataset });
      } catch (error) {
        if (!hooks.onSkip || hooks.signal?.aborted || isCancelled(error)) throw error;
        hooks.onSkip(dir, error instanceof Error ? error.message : String(error));
        continue;
      }
      hooks.cache?.set(dir, iwae, run);
    }
    evaluated.push(run);
    hooks.onRow?.(run.row);
  }
  hooks.onRun?.(runDirs.length, runDirs.length, '');
  return { rows: evaluated.map((r) => r.row), seedGroups: seedGroupsOf(evaluated) };
}
