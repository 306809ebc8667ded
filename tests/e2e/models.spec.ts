// The models beyond the VAE family in the UI: the Train view's picker offers them with their own
// settings, and the explorer opens a denoising autoencoder and a PPCA run, saying what does not apply
// (no KL for deterministic codes: Train, Traversal, the Embedding's colouring) while Traversal and Manifold
// still sweep their code dimensions; Compare names each model and says what its −ELBO column holds.
// Screenshots: train-dae, explorer-dae-traversal, explorer-dae-manifold, explorer-ppca-traversal, compare-models.
import type { Browser, Page } from '@playwright/test';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost, trainRun, type HostClient } from '../bench/_views-client.ts';
import type { TrainSettings } from '../../electron/contract/api.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let conn: HostClient;
const runs: { dae?: string; ppca?: string } = {};

const train = (settings: TrainSettings, options?: Record<string, unknown>) => trainRun(conn.client, 'sample:mnist', settings, options);

async function openRunInExplorer(runDir: string): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: new RegExp(runDir.split('/').pop()!) }).click();
  await expect(page.getByTestId('run-summary')).toBeVisible();
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: Host }) => {
  test.setTimeout(600_000);
  conn = await connectHost(host.url);
  runs.dae = await train({ model: 'dae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 128, lr: 0.002, seed: 1, noise: 'mask', noiseLevel: 0.3 });
  runs.ppca = await train({ model: 'ppca', arch: 'mlp', latent: 4, epochs: 1, batchSize: 128, lr: 0.001, seed: 1 }, { binarize: 'off' });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  conn?.close();
  await page?.close();
});

test('the Train view offers every model, with the denoising autoencoder’s noise and the iVAE’s u', async () => {
  await page.getByRole('button', { name: 'Open MNIST sample' }).click();
  await expect(page.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');
  const picker = page.getByRole('combobox', { name: 'Model' });
  for (const name of ['IWAE', 'Denoising autoencoder', 'iVAE', 'Probabilistic PCA', 'Factor analysis']) await expect(picker.locator('option', { hasText: name })).toHaveCount(1);
  await picker.selectOption('dae');
  await expect(page.getByRole('combobox', { name: 'Noise' })).toBeVisible();
  await expect(page.getByRole('spinbutton', { name: 'Noise level' })).toHaveValue('0.3');
  await expect(page.getByTestId('no-kl')).toContainText('No KL figures');
  await page.screenshot({ path: screenshotPath('train-dae') });
  await picker.selectOption('ivae');
  await expect(page.getByRole('combobox', { name: 'Auxiliary variable u' })).toHaveValue('label');
  await picker.selectOption('ppca');
  await expect(page.getByTestId('linear-note')).toBeVisible();
  await picker.selectOption('vae');
});

test('a denoising autoencoder opens with no KL figures, and Traversal sweeps both code dimensions', async () => {
  await openRunInExplorer(runs.dae!);
  await expect(page.getByTestId('model-note')).toContainText('no view shows KL figures');
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await expect(page.getByTestId('no-kl')).toContainText('No KL figures');
  for (const dim of ['z1', 'z2']) await expect(page.getByRole('img', { name: `Traversal of ${dim}`, exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('explorer-dae-traversal') });
  await page.getByRole('tab', { name: 'Manifold' }).click();
  await page.screenshot({ path: screenshotPath('explorer-dae-manifold') });
});

test('a PPCA run opens with its components as traversals', async () => {
  await openRunInExplorer(runs.ppca!);
  await expect(page.getByTestId('model-note')).toContainText('Probabilistic PCA');
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await expect(page.getByRole('img', { name: 'Traversal of z1', exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('explorer-ppca-traversal') });
});

test('the Embedding offers no KL colouring for the denoising autoencoder, and says why', async () => {
  await openRunInExplorer(runs.dae!);
  await page.getByRole('tab', { name: 'Embedding' }).click();
  const option = page.getByRole('combobox', { name: 'Colour by' }).locator('option[value="kl"]');
  await expect(option).toBeDisabled();
  await expect(option).toHaveText(/none: deterministic codes/);
});

test('Compare names each model and says what its −ELBO column holds', async () => {
  await page.getByRole('tab', { name: 'Compare' }).click();
  const table = page.getByRole('table', { name: 'Runs compared on their test images' });
  const row = (dir: string) => table.locator(`tbody tr[data-run="${dir.split('/').pop()}"]`);
  await expect(row(runs.dae!).locator('td').first()).toContainText('denoising autoencoder', { timeout: 120_000 });
  await expect(row(runs.ppca!).locator('td').first()).toContainText('probabilistic PCA', { timeout: 120_000 });
  const notes = page.getByTestId('model-notes');
  await expect(notes).toContainText('denoising autoencoder: the −ELBO column is the reconstruction loss');
  await expect(notes).toContainText('probabilistic PCA: the −ELBO column is the exact −log p(x)');
  await expect(page.getByRole('status')).toHaveCount(0, { timeout: 120_000 }); // evaluation finished
  // Every run's name on the scatter plot is drawn whole inside it: the DAE run, with the largest −ELBO and
  // a long name, sits at the right edge, where a label drawn to the right of its point was cut off.
  const plot = page.getByRole('img', { name: /^Scatter plot of/ });
  const outside = await plot.evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text.label')].filter((t) => {
      const r = t.getBoundingClientRect();
      return r.left < box.left || r.right > box.right;
    }).map((t) => t.textContent);
  });
  expect(outside).toEqual([]);
  await expect(plot.locator('text.label')).toHaveCount(await plot.getByTestId('scatter-point').count());
  await page.screenshot({ path: screenshotPath('compare-models'), fullPage: true });
});
