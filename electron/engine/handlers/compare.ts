// Handler of the Compare page's request (see contract/compare.ts): runs evaluated on their test split
// in a job with progress and cancel, each row sent as soon as it is ready; runs evaluated before keep
// their rows (ctx.compareCache), so a comparison of runs all seen before replies at once.
import type { CompareRow, SkippedRun } from '../../contract/compare.ts';
import { throwIfCancelled, UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { throttle } from '../jobs.ts';
import { compareRuns, seedGroupsOf, type EvaluatedRow } from '../disentanglement/compare.ts';

const MAX_RUNS = 1000;
const MAX_IWAE = 5000;

/** The row without its full evaluation report (the page shows the table; `eval --json` has the rest). */
const wireRow = ({ report: _report, ...row }: EvaluatedRow): CompareRow => row;

export const compareHandlers: HandlerMap = {
  'compare.start': ({ runDirs, iwae = 0 }, ctx) => {
    if (!Array.isArray(runDirs) || runDirs.length > MAX_RUNS || !runDirs.every((d) => typeof d === 'string' && d.length > 0))
      throw new UserError(`compare.start needs runDirs: a list of 1 to ${MAX_RUNS} run folders.`);
    if (!Number.isInteger(iwae) || iwae < 0 || iwae > MAX_IWAE) throw new UserError(`IWAE samples must be a whole number from 0 to ${MAX_IWAE} (0: skip the IWAE bound).`);
    const dirs = [...new Set(runDirs)];
    const cached = dirs.map((d) => ctx.compareCache.get(d, iwae));
    if (cached.every((c) => c !== undefined)) {
      const runs = cached.filter((c) => c !== undefined);
      return { jobId: null, rows: runs.map((r) => wireRow(r.row)), seedGroups: seedGroupsOf(runs), skipped: [] };
    }
    const job = ctx.jobs.start('compare', async ({ id, controller }) => {
      const progress = throttle((p: { fraction: number; message: string }) => ctx.emit('job.progress', { jobId: id, kind: 'compare', ...p }));
      const skipped: SkippedRun[] = [];
      try {
        const comparison = await compareRuns(dirs, {
          iwae,
          signal: controller.signal,
          open: ctx.datasets.open,
          cache: ctx.compareCache,
          onRun: (done, total, dir) =>
            progress({ fraction: done / total, message: done < total ? `Evaluating run ${done + 1} of ${total}: ${dir.split(/[\\/]/).pop()}` : `Evaluated ${total} runs` }),
          onRow: (row) => ctx.emit('compare.row', { jobId: id, row: wireRow(row) }),
          onSkip: (runDir, message) => {
            skipped.push({ runDir, message });
            ctx.emit('compare.skipped', { jobId: id, runDir, message });
          },
        });
        throwIfCancelled(controller.signal);
        const rows = comparison.rows.map(wireRow);
        ctx.emit('compare.done', { jobId: id, rows, seedGroups: comparison.seedGroups, skipped });
        return { runs: rows.length, skipped: skipped.length };
      } finally {
        progress.flush();
      }
    });
    return { jobId: job.id };
  },
};
