// npm run test:mutation [-- GROUP...]: Stryker once per group of mutation-groups.mjs (all groups when none
// is named), one after the other, then the mutation score of every group and of the whole scope from
// each group's report, and the surviving and uncovered mutants with their place and change.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { GROUPS } from './mutation-groups.mjs';

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const g of asked) if (!(g in GROUPS)) throw new Error(`${g}: not a group (${Object.keys(GROUPS).join(', ')})`);
const report = process.argv.includes('--report-only');
const groups = asked.length ? asked : Object.keys(GROUPS);

if (!report)
  for (const group of groups) {
    console.log(`\n=== ${group}: ${GROUPS[group].join(' ')}`);
    const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, STRYKER_GROUP: group } });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }

// Score as Stryker counts it: detected (killed, timed out) over valid mutants (detected, survived, no coverage);
// mutants that do not compile (the TypeScript checker) or ignored ones are not valid.
const total = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, compileErrors: 0 };
const left = [];
console.log('\ngroup        score   killed  timeout  survived  no cov  compile errors');
for (const group of Object.keys(GROUPS)) {
  const file = `reports/mutation/${group}/mutation.json`;
  if (!existsSync(file)) {
    console.log(`${group.padEnd(12)} (not run)`);
    continue;
  }
  const json = JSON.parse(readFileSync(file, 'utf8'));
  // Count only mutants inside the group's scope as it is now (a report may predate a narrower range).
  const scope = GROUPS[group].map((entry) => {
    const [path, range] = entry.split(':');
    const [from, to] = range ? range.split('-').map(Number) : [1, Infinity];
    return { path, from, to };
  });
  const inScope = (path, line) => scope.some((s) => s.path === path && line >= s.from && line <= s.to);
  const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, compileErrors: 0 };
  // A report of a file that has changed since counts against line ranges of the new text: say so.
  const stale = Object.entries(json.files).filter(([path, f]) => existsSync(path) && readFileSync(path, 'utf8') !== f.source).map(([path]) => path);
  for (const [path, f] of Object.entries(json.files))
    for (const m of f.mutants) {
      if (!inScope(path, m.location.start.line)) continue;
      const key = { Killed: 'killed', Timeout: 'timeout', Survived: 'survived', NoCoverage: 'noCoverage', CompileError: 'compileErrors' }[m.status];
      if (key) c[key]++;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        const lines = f.source.split('\n');
        const { start, end } = m.location;
        const original = start.line === end.line ? lines[start.line - 1].slice(start.column - 1, end.column - 1) : `${lines[start.line - 1].slice(start.column - 1)}…`;
        left.push(`${m.status === 'Survived' ? 'survived' : 'no cover'}  ${path}:${start.line}  ${m.mutatorName}: ${original.trim().slice(0, 70)} → ${(m.replacement ?? '').trim().slice(0, 70)}`);
      }
    }
  for (const k of Object.keys(total)) total[k] += c[k];
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  const score = valid ? (100 * (c.killed + c.timeout)) / valid : NaN;
  console.log(`${group.padEnd(12)} ${score.toFixed(1).padStart(5)}%  ${String(c.killed).padStart(6)}  ${String(c.timeout).padStart(7)}  ${String(c.survived).padStart(8)}  ${String(c.noCoverage).padStart(6)}  ${String(c.compileErrors).padStart(14)}${stale.length ? `  (stale: ${stale.join(', ')} changed since this run)` : ''}`);
}
const valid = total.killed + total.timeout + total.survived + total.noCoverage;
console.log(`${'all'.padEnd(12)} ${((100 * (total.killed + total.timeout)) / valid).toFixed(1).padStart(5)}%  ${String(total.killed).padStart(6)}  ${String(total.timeout).padStart(7)}  ${String(total.survived).padStart(8)}  ${String(total.noCoverage).padStart(6)}  ${String(total.compileErrors).padStart(14)}`);
if (left.length) console.log(`\nNot detected (${left.length}):\n${left.join('\n')}`);
