// Seed agreement: the same axes in another order and sign agree fully, independent codes do not;
// the matching is the best one-to-one; switch-on epochs come from the KL history.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { bestMatching, ranks, seedAgreement, switchOnEpochs } from '../../electron/engine/disentanglement/seed-agreement.ts';
import { mulberry32 } from '../../electron/engine/random.ts';

describe('seed agreement', () => {
  const n = 500;
  const random = mulberry32(3);
  const base = Float32Array.from({ length: n * 3 }, () => random());

  it('is 1 for the same axes permuted, sign-flipped and monotonically warped; about 0 for independent codes', () => {
    const other = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      other[i * 3] = -base[i * 3 + 2];
      other[i * 3 + 1] = Math.exp(base[i * 3]);
      other[i * 3 + 2] = base[i * 3 + 1] ** 3;
    }
    const same = seedAgreement(base, 3, [0, 1, 2], other, 3, [0, 1, 2], n);
    expect(same.agreement).toBeCloseTo(1, 6);
    expect(same.pairs.map((p) => [p.a, p.b])).toEqual([[0, 1], [1, 2], [2, 0]]);
    const independent = Float32Array.from({ length: n * 3 }, () => random());
    expect(seedAgreement(base, 3, [0, 1, 2], independent, 3, [0, 1, 2], n).agreement).toBeLessThan(0.15);
  });

  it('counts an active dimension without a partner as 0', () => {
    const r = seedAgreement(base, 3, [0, 1, 2], base, 3, [0, 1], n);
    expect(r.agreement).toBeCloseTo(2 / 3, 6);
  });

  it('finds the best one-to-one matching, not the greedy one', () => {
    // greedy takes 0.9 (row 0 → col 0) and is left with 0.1; the best is 0.8 + 0.8
    const { pairs, total } = bestMatching([[0.9, 0.8], [0.8, 0.1]]);
    expect(total).toBeCloseTo(1.6, 10);
    expect(pairs).toEqual([[0, 1], [1, 0]]);
    expect(bestMatching([[0.2], [0.7], [0.1]]).pairs).toEqual([[1, 0]]);
  });

  it('ranks ties by their average', () => {
    expect([...ranks([3, 1, 3, 2])]).toEqual([3.5, 1, 3.5, 2]);
  });

  it('reads when each dimension switched on from the KL history', () => {
    const history = [{ epoch: 1, testKlPerDim: [0.5, 0.01, 0] }, { epoch: 2, testKlPerDim: [0.6, 0.2, 0] }];
    expect(switchOnEpochs(history, 3)).toEqual([1, 2, null]);
  });
});

describe('latent-explorer compare', () => {
  it('prints one row per run with −ELBO, active units and switch-on epochs; --json carries the same', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve('bin/latent-explorer.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, LATENT_EXPLORER_BACKEND: 'wasm' } });
    const r = cli('compare', 'resources/runs/mnist-vae-2d', 'resources/runs/mnist-beta-vae-10d', '--sort', 'negElbo', '--json');
    expect(r.status, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(c.rows.map((row: { name: string }) => row.name)).toEqual(['mnist-beta-vae-10d', 'mnist-vae-2d']); // sorted by −ELBO, lower first
    for (const row of c.rows) {
      expect(row.negElbo).toBeGreaterThan(50);
      expect(row.switchOn).toHaveLength(row.latent);
      expect(row.mig).toBeUndefined(); // MNIST has no factors.csv
    }
    expect(c.seedGroups).toEqual([]);
    const bad = cli('compare', 'no/such/run');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no such run folder/);
  });
});
