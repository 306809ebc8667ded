// Benchmark of the factor metrics (issue 13: eval with factors on 10,000 images × 10 dimensions ≤ 2 s).
// Data: the generated glyph set (10,000 images, its 8 factors) and a 10-D code made from the factors
// themselves — slant and width rotated into each other by 30°, thickness and height with noise, the
// class one-hot spread over 2 dimensions, 2 pure-noise dimensions — so every metric has work to do.
// Reference: scikit-learn's implementation of the same definitions (tests/bench/disentanglement-sklearn.py,
// GradientBoosting with exact splits for DCI) on the same numbers, run right after: its scores should
// agree with ours and its time is the ratio's denominator (--no-reference skips it: it takes minutes). Timings depend on the machine's load (printed).
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateGlyphs } from '../../electron/engine/datasets/synthetic/glyphs.ts';
import { computeFactorMetrics, prepareFactor } from '../../electron/engine/disentanglement/metrics.ts';
import { mulberry32 } from '../../electron/engine/random.ts';
import type { FactorColumn } from '../../electron/contract/factors.ts';

const N = 10_000;
const D = 10;
const set = generateGlyphs({ count: N, seed: 1 });
const random = mulberry32(9);
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const z = (name: string, i: number) => {
  const v = set.factors[name];
  let m = 0;
  let s = 0;
  for (const x of v) m += x / N;
  for (const x of v) s += (x - m) ** 2 / N;
  return (v[i] - m) / Math.sqrt(s);
};
const codes = new Float32Array(N * D);
const t = Math.PI / 6;
for (let i = 0; i < N; i++) {
  const row = [
    Math.cos(t) * z('slant', i) + Math.sin(t) * z('width', i),
    -Math.sin(t) * z('slant', i) + Math.cos(t) * z('width', i),
    z('thickness', i) + 0.3 * gauss(),
    z('height', i) + 0.5 * gauss(),
    set.labels[i] < 2 ? 1 + 0.2 * gauss() : 0.2 * gauss(),
    set.labels[i] % 2 ? 1 + 0.2 * gauss() : 0.2 * gauss(),
    gauss(),
    gauss(),
    0.5 * z('slant', i) + gauss(),
    set.labels[i] === 4 ? 1 + gauss() : gauss(),
  ];
  codes.set(row, i * D);
}
const factors: FactorColumn[] = Object.entries(set.factors).map(([name, values]) =>
  name === 'shape' ? { name, kind: 'categorical', values, categories: set.classNames } : { name, kind: 'numeric', values },
);
const splitRandom = mulberry32(2);
const split = Uint8Array.from({ length: N }, () => (splitRandom() < 0.1 ? 1 : 0));

console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} on ${N} images × ${D} dims, ${factors.length} factors`);
computeFactorMetrics({ codes: codes.slice(0, 2000 * D), count: 2000, dims: D, factors: factors.map((f) => ({ ...f, values: f.values.slice(0, 2000) })), split }); // warm-up
const started = performance.now();
const cpu = process.cpuUsage();
const m = computeFactorMetrics({ codes, count: N, dims: D, factors, split });
const ours = (performance.now() - started) / 1000;
const cpuUsed = process.cpuUsage(cpu);
// On a loaded machine wall time overstates the cost; CPU time (one thread) is what an idle core would take.
console.log(`ours: ${ours.toFixed(2)} s wall, ${((cpuUsed.user + cpuUsed.system) / 1e6).toFixed(2)} s CPU (target ≤ 2 s)  MIG ${m.mig.score.toFixed(3)}  SAP ${m.sap.score.toFixed(3)}  DCI ${m.dci.disentanglement.toFixed(3)} / ${m.dci.completeness.toFixed(3)} / ${m.dci.informativeness.toFixed(3)}`);

if (process.argv.includes('--no-reference')) process.exit(0);
const dir = mkdtempSync(join(tmpdir(), 'le-dis-bench-'));
try {
  writeFileSync(join(dir, 'codes.f32'), codes);
  const table = new Float32Array(N * factors.length);
  factors.forEach((f, k) => f.values.forEach((v, i) => (table[i * factors.length + k] = v)));
  writeFileSync(join(dir, 'factors.f32'), table);
  writeFileSync(join(dir, 'split.u8'), split);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ n: N, dims: D, names: factors.map((f) => f.name), discrete: factors.map((f) => prepareFactor(f, N)!.discrete) }));
  const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'disentanglement-sklearn.py'), dir], { encoding: 'utf8' });
  if (py.status !== 0) console.log(`scikit-learn reference failed: ${py.stderr.trim().split('\n').pop()}`);
  else {
    const ref = JSON.parse(py.stdout.trim());
    const refSeconds = ref.seconds.mig + ref.seconds.sap + ref.seconds.dci;
    console.log(`scikit-learn: ${refSeconds.toFixed(2)} s (MIG ${ref.seconds.mig.toFixed(2)}, SAP ${ref.seconds.sap.toFixed(2)}, DCI ${ref.seconds.dci.toFixed(2)})  MIG ${ref.mig.toFixed(3)}  SAP ${ref.sap.toFixed(3)}  DCI ${ref.dciD.toFixed(3)} / ${ref.dciC.toFixed(3)} / ${ref.dciI.toFixed(3)}`);
    console.log(`ratio ours / scikit-learn time: ${(ours / refSeconds).toFixed(3)}; |ΔMIG| ${Math.abs(m.mig.score - ref.mig).toFixed(4)}, |ΔSAP| ${Math.abs(m.sap.score - ref.sap).toFixed(4)}, |ΔDCI-D| ${Math.abs(m.dci.disentanglement - ref.dciD).toFixed(3)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
