// Runs side by side: each run evaluated on its test split (−ELBO, IWAE, active units, total
// correlation, accuracy, and MIG/SAP/DCI where its dataset has factors), when each dimension
// switched on during training, and the seed agreement of runs whose settings differ only by seed.
import type { Dataset } from '../datasets/types.ts';
import { loadRun } from '../training/run-file.ts';
import { evaluateRun, openRunDataset, type EvalReport } from '../training/evaluate.ts';
import { seedAgreement, switchOnEpochs, type SeedAgreement } from './seed-agreement.ts';

export interface CompareRow {
  runDir: string;
  name: string;
  objective: string;
  beta: number;
  latent: number;
  seed: number;
  epochs: number;
  dataset: string;
  negElbo: number;
  negIwae?: number;
  activeUnits: number;
  totalCorrelation: number;
  accuracy?: number;
  mig?: number;
  sap?: number;
  dciDisentanglement?: number;
  dciCompleteness?: number;
  dciInformativeness?: number;
  /** Per dimension, the first epoch its test KL exceeded 0.1 nats (null: never). */
  switchOn: (number | null)[];
  /** KL per dimension at each epoch (from the run's history), for the small plot. */
  klHistory: number[][];
  report: EvalReport;
}

export interface SeedGroup {
  /** The settings the runs share, in words. */
  settings: string;
  runs: string[];
  /** Mean agreement over the pairs of runs. */
  agreement: number;
  pairs: ({ a: string; b: string } & SeedAgreement)[];
}

export interface Comparison {
  rows: CompareRow[];
  seedGroups: SeedGroup[];
}

export interface CompareHooks {
  iwae?: number;
  signal?: AbortSignal;
  onRun?(done: number, total: number, runDir: string): void;
}

export async function compareRuns(runDirs: string[], hooks: CompareHooks = {}): Promise<Comparison> {
  const rows: CompareRow[] = [];
  const testMeans = new Map<string, { means: Float32Array; dims: number; active: number[]; count: number }>();
  const datasets = new Map<string, Dataset>();
  const groups = new Map<string, string[]>();
  for (const [i, dir] of runDirs.entries()) {
    hooks.signal?.throwIfAborted();
    hooks.onRun?.(i, runDirs.length, dir);
    const loaded = await loadRun(dir);
    try {
      const run = loaded.run;
      const dataKey = JSON.stringify([run.dataset.ref, run.dataset.options]);
      let ds = datasets.get(dataKey);
      if (!ds) datasets.set(dataKey, (ds = await openRunDataset(run, { signal: hooks.signal })));
      const report = await evaluateRun(loaded, ds, { iwae: hooks.iwae ?? 0, signal: hooks.signal });
      const latent = run.model.latent;
      // Test-image means for seed agreement (the same images for every run of this dataset).
      const test: number[] = [];
      for (let k = 0; k < ds.images.count; k++) if (ds.images.split[k] === 1) test.push(k);
      const per = ds.images.size * ds.images.size * ds.images.channels;
      const pixels = new Uint8Array(test.length * per);
      test.forEach((k, j) => pixels.set(ds!.images.pixels.subarray(k * per, (k + 1) * per), j * per));
      const { means } = loaded.encode(pixels, test.length);
      const active = report.klPerDim.flatMap((v, d) => (v > report.activeThreshold ? [d] : []));
      testMeans.set(dir, { means, dims: latent, active, count: test.length });
      const { seed, ...rest } = run.settings as unknown as Record<string, unknown>;
      const groupKey = JSON.stringify([dataKey, rest]);
      groups.set(groupKey, [...(groups.get(groupKey) ?? []), dir]);
      rows.push({
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
        activeUnits: report.activeUnits,
        totalCorrelation: report.meansTotalCorrelation,
        accuracy: report.accuracy,
        mig: report.factors?.mig.score,
        sap: report.factors?.sap.score,
        dciDisentanglement: report.factors?.dci.disentanglement,
        dciCompleteness: report.factors?.dci.completeness,
        dciInformativeness: report.factors?.dci.informativeness,
        switchOn: switchOnEpochs(run.history, latent),
        klHistory: run.history.map((h) => h.testKlPerDim ?? []),
        report,
      });
    } finally {
      loaded.dispose();
    }
  }
  hooks.onRun?.(runDirs.length, runDirs.length, '');
  const seedGroups: SeedGroup[] = [];
  for (const [key, dirs] of groups) {
    if (dirs.length < 2) continue;
    const pairs: SeedGroup['pairs'] = [];
    for (let x = 0; x < dirs.length; x++)
      for (let y = x + 1; y < dirs.length; y++) {
        const A = testMeans.get(dirs[x])!;
        const B = testMeans.get(dirs[y])!;
        pairs.push({ a: dirs[x], b: dirs[y], ...seedAgreement(A.means, A.dims, A.active, B.means, B.dims, B.active, A.count) });
      }
    const settings = JSON.parse(key)[1] as Record<string, unknown>;
    seedGroups.push({
      settings: Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', '),
      runs: dirs,
      agreement: pairs.reduce((s, p) => s + p.agreement, 0) / pairs.length,
      pairs,
    });
  }
  return { rows, seedGroups };
}
