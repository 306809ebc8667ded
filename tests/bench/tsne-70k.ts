// The large t-SNE benchmark (issue 18): Fashion-MNIST, 70,000 x PCA-50, perplexity 30, 1,000
// iterations, through the worker runner (the app's path, two threads). Reports wall and CPU time,
// the first optimised frame, peak RSS and the 10-NN leave-one-out class accuracy of the layout.
// Reference: scikit-learn 1.2's Barnes-Hut t-SNE on the very same vectors (tests/bench/tsne-sklearn.py),
// run with --with-sklearn (it takes ~6 minutes on an idle machine), or read from a previous run's
// JSON line with --sklearn-json FILE. Options: --sizes 20000,70000 to run smaller N too.
// Timings depend on what else runs on the machine; the report prints the load average.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTsne, type TsneFrame } from '../../electron/engine/projections/tsne-runner.ts';
import { knnAccuracy } from '../../electron/engine/projections/quality.ts';
import { DEFAULT_THETA, LARGE_THETA, LARGE_THETA_MIN_POINTS } from '../../electron/engine/projections/tsne.ts';
import { fashionPca50 } from './_fashion.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const fmt = (v: number, digits = 2) => v.toFixed(digits);
const sizes = (option('--sizes') ?? '70000').split(',').map(Number);
// --theta T: the tree repulsion's accuracy (default the app's), to measure the speed/accuracy trade-off.
const theta = option('--theta') === undefined ? undefined : Number(option('--theta'));

interface Reference {
  n: number;
  seconds: number;
  peak_rss_mb: number;
  knn10_accuracy: number;
  sklearn: string;
}

function sklearnReference(dataFile: string, labelsFile: string, n: number): Reference | null {
  const cached = option('--sklearn-json');
  if (cached) return JSON.parse(readFileSync(cached, 'utf8').trim().split('\n').pop()!) as Reference;
  if (!args.includes('--with-sklearn')) return null;
  const script = join(import.meta.dirname, 'tsne-sklearn.py');
  const run = spawnSync('/usr/bin/python3', [script, dataFile, labelsFile, String(n)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scikit-learn reference failed: ${run.stderr}`);
  const line = run.stdout.trim().split('\n').pop()!;
  const file = join(tmpdir(), 'latent-explorer-bench', `sklearn-${n}.json`);
  writeFileSync(file, line + '\n');
  console.log(`  (scikit-learn result saved to ${file}; reuse it with --sklearn-json)`);
  return JSON.parse(line) as Reference;
}

/** CPU seconds (user + system) of each thread of this process (Linux; empty elsewhere). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync('/proc/self/task')) return out;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`Large t-SNE benchmark: Fashion-MNIST PCA-50, perplexity 30, 1,000 iterations, approximate neighbours, 2 threads, theta ${theta ?? `${LARGE_THETA} (the default from ${LARGE_THETA_MIN_POINTS} points; ${DEFAULT_THETA} below)`}`);
  console.log(`load average at start: ${loadavg().map((v) => fmt(v)).join(' ')} (2 cores; other work on the machine slows every figure)`);
  const t0 = performance.now();
  const f = fashionPca50();
  console.log(`input: ${f.n} x 50 (${existsSync(f.dataFile) ? 'PCA-50 ready' : ''} in ${fmt((performance.now() - t0) / 1000, 1)} s, cached in ${f.dataFile})`);
  console.log(`\n${'N'.padStart(6)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)} ${'1st it ms'.padStart(9)} ${'peak RSS MB'.padStart(12)} ${'10-NN'.padStart(7)}`);
  const results = [];
  for (const n of sizes) {
    global.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let first: number | null = null;
    // Where the time goes: the preparation (to the first optimised frame), then ms per iteration in
    // the early-exaggeration phase and after it, from the frames' arrival times.
    const marks: [number, number][] = [];
    let timings: TsneFrame['timings'];
    // CPU time of each thread at the phase boundaries: on a loaded machine the busiest thread's CPU
    // per iteration is what an idle machine's wall time per iteration would be (at best).
    const cpuMarks: { iteration: number; cpu: Map<string, number> }[] = [{ iteration: 0, cpu: threadCpu() }];
    const coords = await runTsne(f.data.subarray(0, n * 50), n, 50, { perplexity: 30, iterations: 1000, seed: 1, ...(theta === undefined ? {} : { theta }) }, (frame) => {
      if (frame.iteration >= 1) first ??= performance.now() - start;
      marks.push([frame.iteration, performance.now() - start]);
      if (frame.done) timings = frame.timings;
      const lastCpu = cpuMarks[cpuMarks.length - 1].iteration;
      if ((frame.iteration >= 1 && lastCpu < 1) || (frame.iteration >= 250 && lastCpu < 250) || frame.done) cpuMarks.push({ iteration: frame.iteration, cpu: threadCpu() });
    });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const accuracy = knnAccuracy(coords, n, 2, f.labels.subarray(0, n));
    results.push({ n, seconds, accuracy, peakMb: peak / 2 ** 20 });
    const at = (it: number): [number, number] => marks.find(([i]) => i >= it) ?? marks[marks.length - 1];
    const [i1, t1] = at(1);
    const [i250, t250] = at(250);
    const [iEnd, tEnd] = marks[marks.length - 1];
    console.log(`  N = ${n}: preparation ${fmt(t1 / 1000)} s; iterations ${i1}-${i250}: ${fmt((t250 - t1) / Math.max(1, i250 - i1), 1)} ms each; ${i250}-${iEnd}: ${fmt((tEnd - t250) / Math.max(1, iEnd - i250), 1)} ms each (wall)`);
    // Each half of an iteration, per phase: the t-SNE thread's attraction, and on the helper thread
    // the repulsion then the attraction of P's last rows (the split follows the repulsion's work).
    for (const [name, t] of Object.entries(timings ?? {})) {
      const per = (ms: number) => fmt(ms / Math.max(1, t.iterations), 1);
      console.log(`    ${name} (${t.iterations} its): step ${per(t.stepMs)} ms = t-SNE thread attraction ${per(t.attractionMs)} + wait ${per(t.waitMs)} + update; helper: repulsion ${per(t.repulsionMs)} + attraction ${per(t.secondAttractionMs)} (${fmt((100 * t.share) / Math.max(1, t.iterations), 0)}% of the pairs)`);
    }
    for (let m = 1; m + 1 < cpuMarks.length; m++) {
      const [a, b] = [cpuMarks[m], cpuMarks[m + 1]];
      const busy = [...b.cpu].map(([tid, t]) => t - (a.cpu.get(tid) ?? 0)).sort((x, y) => y - x);
      const its = Math.max(1, b.iteration - a.iteration);
      console.log(`    CPU per iteration, iterations ${a.iteration}-${b.iteration}: busiest thread ${fmt((1000 * busy[0]) / its, 1)} ms, next ${fmt((1000 * (busy[1] ?? 0)) / its, 1)} ms (a loaded machine's stand-in for idle wall time)`);
    }
    console.log(`${String(n).padStart(6)} ${fmt(seconds).padStart(8)} ${fmt((cpu.user + cpu.system) / 1e6).padStart(8)} ${fmt(first ?? NaN, 0).padStart(9)} ${fmt(peak / 2 ** 20, 0).padStart(12)} ${fmt(accuracy, 4).padStart(7)}`);
  }
  const big = results.find((r) => r.n === 70_000);
  const reference = big ? sklearnReference(f.dataFile, f.labelsFile, 70_000) : null;
  if (reference) console.log(`\nscikit-learn ${reference.sklearn} Barnes-Hut, same input: ${fmt(reference.seconds, 1)} s, peak RSS ${reference.peak_rss_mb} MB, 10-NN ${fmt(reference.knn10_accuracy, 4)}`);
  if (big) {
    console.log('\nTargets (issue 18)');
    console.log(`  70,000 x 50-D in <= 40 s: ${fmt(big.seconds, 1)} s ${big.seconds <= 40 ? 'ok' : 'MISSED'}${reference ? ` (scikit-learn / ours: x${fmt(reference.seconds / big.seconds, 1)})` : ''}`);
    console.log(`  peak memory <= 1.5 GB: ${fmt(big.peakMb, 0)} MB ${big.peakMb <= 1536 ? 'ok' : 'MISSED'}`);
    if (reference) console.log(`  10-NN within 0.01 of scikit-learn: ${fmt(big.accuracy, 4)} vs ${fmt(reference.knn10_accuracy, 4)} ${Math.abs(big.accuracy - reference.knn10_accuracy) <= 0.01 || big.accuracy > reference.knn10_accuracy ? 'ok' : 'MISSED'}`);
    else console.log(`  10-NN: ${fmt(big.accuracy, 4)} (the issue's scikit-learn figure: 0.843; run with --with-sklearn to measure it here)`);
  }
  console.log(`load average at end: ${loadavg().map((v) => fmt(v)).join(' ')}`);
}

await main();
