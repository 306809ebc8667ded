// The fair VAE in the UI: the Train view's picker offers it with the private attribute, the penalty and
// the class part; a fair run opens in the explorer with its probe figures (how predictable s is from z^X,
// beside the plain VAE trained with it) and says how the views treat s.
import type { Browser, Page } from '@playwright/test';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost, trainRun, type HostClient } from '../bench/_views-client.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let conn: HostClient;
let runDir = '';

test.beforeAll(async ({ browser, host }: { browser: Browser; host: Host }) => {
  test.setTimeout(600_000);
  conn = await connectHost(host.url);
  runDir = await trainRun(conn.client, 'sample:mnist', { model: 'fair-vae', arch: 'mlp', latent: 4, epochs: 1, batchSize: 128, lr: 0.002, seed: 1, private: 'label' });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  conn?.close();
  await page?.close();
});

test('the Train view offers the fair VAE with its private attribute, penalty and class part', async () => {
  await page.getByRole('button', { name: 'Open MNIST sample' }).click();
  const picker = page.getByRole('combobox', { name: 'Model' });
  await picker.selectOption('fair-vae');
  await expect(page.getByRole('combobox', { name: 'Private attribute s' })).toHaveValue('label');
  await expect(page.getByRole('combobox', { name: 'Penalty', exact: true })).toHaveValue('mmd');
  await expect(page.getByRole('spinbutton', { name: 'z^X dimensions' })).toHaveCount(0);
  await page.getByTestId('fair-classes').check();
  await expect(page.getByRole('spinbutton', { name: 'z^X dimensions' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('train-fair-vae') });
  await page.getByTestId('fair-classes').uncheck();
  await picker.selectOption('vae');
});

test('a fair run opens in the explorer with the probe AUC beside the plain VAE’s', async () => {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: new RegExp(runDir.split('/').pop()!) }).click();
  await expect(page.getByTestId('run-summary')).toContainText('fair VAE');
  await expect(page.getByTestId('model-note')).toContainText('averaged over s');
  await expect(page.getByTestId('run-privacy')).toContainText(/probe AUC \d\.\d{3}, a plain VAE trained with the same settings: \d\.\d{3}/);
  await page.screenshot({ path: screenshotPath('explorer-fair-vae') });
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await expect(page.getByRole('img', { name: 'Traversal of z1', exact: true })).toBeVisible();
  await page.waitForTimeout(1500); // the frames are decoded after the rows appear: let them draw for the screenshot
  await page.screenshot({ path: screenshotPath('explorer-fair-vae-traversal') });
});
