// The Factors view in Chromium through the browser host: a run trained on the generated glyph set
// (synth, with factors.csv) shows MIG/SAP/DCI, the dimension × factor heat maps and the KL-per-epoch
// plot; a run on data without factors says so and still plots KL per epoch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost, trainRun, type HostClient } from '../bench/_views-client.ts';
import type { TrainSettings } from '../../electron/contract/api.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let conn: HostClient;
let folder: string;
const runs: { glyphs?: string; mnist?: string } = {};

const train = (ref: string, settings: TrainSettings) => trainRun(conn.client, ref, settings);

async function openFactors(runDir: string): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: new RegExp(runDir.split('/').pop()!) }).click();
  await expect(page.getByTestId('run-summary')).toBeVisible();
  await page.getByRole('tab', { name: 'Factors' }).click();
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: Host }) => {
  test.setTimeout(600_000);
  folder = join(mkdtempSync(join(tmpdir(), 'le-e2e-glyphs-')), 'glyphs');
  const synth = spawnSync(process.execPath, [resolve('bin/latent-explorer.mjs'), 'synth', '--out', folder, '--count', '1500', '--seed', '3'], { encoding: 'utf8' });
  expect(synth.status, synth.stderr).toBe(0);
  conn = await connectHost(host.url);
  runs.glyphs = await train(folder, { model: 'beta-tcvae', arch: 'mlp', latent: 4, epochs: 3, batchSize: 128, lr: 0.002, seed: 1 });
  runs.mnist = await train('sample:mnist', { model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 128, lr: 0.002, seed: 1 });
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  conn?.close();
  await page?.close();
  if (folder) rmSync(resolve(folder, '..'), { recursive: true, force: true });
});

test('Factors: scores, heat maps of MI and AUC, and KL per epoch for a run on data with factors.csv', async () => {
  test.setTimeout(180_000);
  await openFactors(runs.glyphs!);
  const scores = page.getByTestId('factor-scores');
  await expect(scores).toContainText(/MIG \d\.\d{3}/, { timeout: 120_000 });
  await expect(scores).toContainText(/DCI disentanglement \d\.\d{3}/);
  const mi = page.getByRole('img', { name: 'Heat map of normalised mutual information, dimensions by factors' });
  await expect(mi.locator('rect')).toHaveCount(4 * 8); // 4 dimensions × 8 factors
  const auc = page.getByRole('img', { name: 'Heat map of AUC, dimensions by binary factors' });
  await expect(auc.locator('rect')).toHaveCount(4 * 3); // slant_hi, thickness_hi, width_hi
  await expect(page.getByRole('table')).toContainText('slant');
  const kl = page.getByRole('img', { name: 'KL per dimension across epochs' });
  await expect(kl.locator('path')).toHaveCount(4);
  await page.screenshot({ path: screenshotPath('explorer-factors'), fullPage: true });
});

test('Factors without factors.csv: says how to add them, still plots KL per epoch', async () => {
  await openFactors(runs.mnist!);
  await expect(page.getByTestId('no-factors')).toContainText('has no factors.csv', { timeout: 60_000 });
  await expect(page.getByRole('img', { name: 'KL per dimension across epochs' }).locator('path')).toHaveCount(2);
  await page.screenshot({ path: screenshotPath('explorer-factors-none') });
});
