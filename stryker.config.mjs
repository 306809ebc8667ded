// Mutation testing of the core (issue 16): `npm run test:mutation` (scripts/mutation.mjs) runs Stryker
// once per group of scripts/mutation-groups.mjs, each with its own incremental file, so a group reruns only the mutants whose code
// or covering tests changed and one group can be rerun alone (`npm run test:mutation -- codec`). Stryker
// changes one thing at a time (a + for a -, a condition dropped, a boundary moved) and reruns the unit
// tests that cover that line; a mutant no test notices "survives". Long (tens of minutes on 2 cores from
// scratch), so not part of `npm test`; the score and the surviving mutants are in the README.
import { GROUPS } from './scripts/mutation-groups.mjs';

const group = process.env.STRYKER_GROUP;
const mutate = group ? GROUPS[group] : Object.values(GROUPS).flat();
if (!mutate) throw new Error(`STRYKER_GROUP=${group}: not one of ${Object.keys(GROUPS).join(', ')}`);
const dir = `reports/mutation/${group ?? 'all'}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  mutate,
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared with other work (STRYKER_CONCURRENCY to change).
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  ignoreStatic: true,
  // A mutant that loops (a binary search that never ends) counts as detected; 5 s more than the tests' own time is plenty.
  timeoutMS: 5_000,
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${dir}/index.html` },
  jsonReporter: { fileName: `${dir}/mutation.json` },
  // Reruns only mutants whose code or tests changed since the group's last run.
  incremental: true,
  incrementalFile: `${dir}/stryker-incremental.json`,
  thresholds: { high: 90, low: 80, break: null },
  // One sandbox folder per group, so two groups can run at once.
  tempDirName: `.stryker-tmp-${group ?? "all"}`,
  cleanTempDir: 'always',
};
