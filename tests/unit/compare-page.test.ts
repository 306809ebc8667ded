// The Compare page's engine request and its table logic: compare.start evaluates the shipped sample
// runs in a job (a row event per run, then the table), a second request for runs seen before answers
// at once from the cache with the same numbers, a run that cannot be read is left out with its reason,
// and the page's sort puts the best run first and runs without a value last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CompareRow } from '../../electron/contract/compare.ts';
import { engineHarness } from './helpers/engine-harness.ts';
import { nextSort, sortRows } from '../../renderer/src/compare/columns.ts';
import { useWasm } from './helpers/tf.ts';

const VAE = resolve('resources/runs/mnist-vae-2d');
const BETA = resolve('resources/runs/mnist-beta-vae-10d');
let dataDir: string;

const harness = engineHarness;

beforeAll(async () => {
  await useWasm();
  dataDir = mkdtempSync(join(tmpdir(), 'le-compare-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('compare.start', () => {
  it('evaluates runs in a job, row by row, then answers from its cache with the same table', async () => {
    const { request, ended } = harness();
    const first = await request('compare.start', { runDirs: [VAE, BETA] });
    expect(first.jobId).toEqual(expect.any(String));
    const events = await ended(first.jobId);
    expect(events.find((e) => e.name === 'job.failed')).toBeUndefined();
    const rowEvents = events.filter((e) => e.name === 'compare.row').map((e) => (e.data as { row: CompareRow }).row);
    expect(rowEvents.map((r) => r.name)).toEqual(['mnist-vae-2d', 'mnist-beta-vae-10d']);
    const done = events.find((e) => e.name === 'compare.done')!.data as { rows: CompareRow[]; skipped: unknown[] };
    expect(done.skipped).toEqual([]);
    const vae = done.rows.find((r) => r.name === 'mnist-vae-2d')!;
    // The sample 2-D VAE: both dimensions active, −ELBO as `eval` reports it (README: ~152 nats).
    expect(vae.activeUnits).toBe(2);
    expect(vae.negElbo).toBeGreaterThan(140);
    expect(vae.negElbo).toBeLessThan(165);
    expect(vae.mig).toBeUndefined(); // MNIST has no factors.csv
    expect(done.rows.find((r) => r.name === 'mnist-beta-vae-10d')!.beta).toBe(4);
    expect(done.rows[0]).not.toHaveProperty('report'); // the full eval report stays in the engine
    const again = await request('compare.start', { runDirs: [BETA, VAE] });
    expect(again.jobId).toBeNull();
    expect(again.rows.map((r: CompareRow) => r.name)).toEqual(['mnist-beta-vae-10d', 'mnist-vae-2d']);
    expect(again.rows[1].negElbo).toBe(vae.negElbo);
  });

  it('leaves out a run it cannot read, with the file and reason, and evaluates the rest', async () => {
    const { request, ended } = harness();
    const broken = join(dataDir, 'broken-run');
    cpSync(VAE, broken, { recursive: true });
    writeFileSync(join(broken, 'run.json'), '{ not json');
    const { jobId } = await request('compare.start', { runDirs: [broken, VAE] });
    const events = await ended(jobId);
    const done = events.find((e) => e.name === 'compare.done')!.data as { rows: CompareRow[]; skipped: { runDir: string; message: string }[] };
    expect(done.rows.map((r) => r.name)).toEqual(['mnist-vae-2d']);
    expect(done.skipped).toHaveLength(1);
    expect(done.skipped[0].runDir).toBe(broken);
    expect(done.skipped[0].message).toContain(join(broken, 'run.json'));
  });

  it('refuses bad parameters in one line', async () => {
    const { request } = harness();
    await expect(request('compare.start', { runDirs: 'x' })).rejects.toThrow(/runDirs: a list of 1 to/);
    await expect(request('compare.start', { runDirs: [VAE], iwae: -1 })).rejects.toThrow(/IWAE samples must be a whole number/);
  });
});

describe('the Compare page table', () => {
  const row = (name: string, negElbo: number, mig?: number): CompareRow =>
    ({ runDir: `/r/${name}`, name, objective: 'vae', beta: 1, latent: 2, seed: 1, epochs: 1, dataset: 'd', negElbo, activeUnits: 2, totalCorrelation: 0, mig, switchOn: [], klHistory: [] }) as CompareRow;
  const rows = [row('a', 120, 0.1), row('b', 100), row('c', 110, 0.3)];

  it('sorts a loss lowest first and a score highest first, runs without a value last either way', () => {
    const byElbo = nextSort(null, 'negElbo');
    expect(sortRows(rows, byElbo).map((r) => r.name)).toEqual(['b', 'c', 'a']);
    expect(sortRows(rows, nextSort(byElbo, 'negElbo')).map((r) => r.name)).toEqual(['a', 'c', 'b']);
    const byMig = nextSort(byElbo, 'mig');
    expect(sortRows(rows, byMig).map((r) => r.name)).toEqual(['c', 'a', 'b']);
    expect(sortRows(rows, nextSort(byMig, 'mig')).map((r) => r.name)).toEqual(['a', 'c', 'b']);
    expect(sortRows(rows, null).map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });
});
