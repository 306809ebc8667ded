// Issue 11's promise, checked on the semi-supervised run we ship: living, class-independent, named style
// sliders. The figures come from the same report the Style view and `eval --json` show.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import type { LoadedRun } from '../../electron/engine/training/run-file.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { styleDimensionReport } from '../../electron/engine/explorer/style-report.ts';
import type { StyleDimensionReport } from '../../electron/engine/explorer/style-report.ts';

const RUN = join(import.meta.dirname, '../../resources/runs/mnist-ssvae');
let loaded: LoadedRun;
let report: StyleDimensionReport[];

beforeAll(async () => {
  await useWasm();
  loaded = await loadRun(RUN);
  report = await styleDimensionReport(loaded, loadSampleMnist().images);
});

describe('the shipped mnist-ssvae run', () => {
  it('is the prototype model: the decoder sees only the class prior mean of z^Y', () => {
    expect(loaded.run.model.classCode).toBe('prototype');
    expect(loaded.run.model.style).toBeGreaterThanOrEqual(16);
  });

  it('has at least 4 living style dimensions (KL > 0.1 nats), none of which leaks class (≤ 5% of sweeps)', () => {
    const living = report.filter((r) => r.kl > 0.1);
    expect(living.length).toBeGreaterThanOrEqual(4);
    for (const r of living) expect(r.leakage, `z${r.dim + 1} leaks`).toBeLessThanOrEqual(0.05);
  });

  it('names two distinct dimensions slant and pen thickness, each following its measure with |r| ≥ 0.8', () => {
    const slant = report.find((r) => r.measure === 'slant' && r.suggestedName === 'slant');
    const thickness = report.find((r) => r.measure === 'thickness' && r.suggestedName === 'pen thickness');
    expect(slant, 'no dimension named slant').toBeDefined();
    expect(thickness, 'no dimension named pen thickness').toBeDefined();
    expect(slant!.dim).not.toBe(thickness!.dim);
    expect(Math.abs(slant!.correlation)).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs(thickness!.correlation)).toBeGreaterThanOrEqual(0.8);
  });
});
