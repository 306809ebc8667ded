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
  // 4 epochs: after 1 the decoder barely uses s yet, and the counterfactuals below would all look alike
  runDir = await trainRun(conn.client, 'sample:mnist', { model: 'fair-vae', arch: 'mlp', latent: 4, epochs: 4, batchSize: 128, lr: 0.003, seed: 1, private: 'label' });
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

test('Decode as: the Manifold is redrawn with each value of s, and a saved view brings the choice back after a reload', async () => {
  const name = runDir.split('/').pop()!;
  await page.setViewportSize({ width: 1360, height: 1200 }); // the whole grid in the screenshots
  await page.getByRole('tab', { name: 'Manifold' }).click();
  const canvas = page.getByRole('img', { name: 'Manifold' });
  const picker = page.getByRole('combobox', { name: 'Decode as' });
  const pixels = () => canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  // the default: the mixture over s, as before
  await expect(picker).toHaveValue('-1');
  await expect(canvas).toHaveAttribute('data-private-value', 'mixture');
  await expect(page.getByTestId('decode-as')).toContainText('Σ');
  const mixture = await pixels();
  await page.getByRole('region', { name: 'Explorer' }).screenshot({ path: screenshotPath('fair-manifold-mixture') });

  await picker.selectOption({ label: 'label = 1' });
  await expect(canvas).toHaveAttribute('data-private-value', '1');
  await expect(page.getByTestId('manifold-timing')).toContainText('label = 1');
  const one = await pixels();
  expect(one).not.toBe(mixture);
  await page.getByRole('region', { name: 'Explorer' }).screenshot({ path: screenshotPath('fair-manifold-s1') });

  await picker.selectOption({ label: 'label = 7' });
  await expect(canvas).toHaveAttribute('data-private-value', '7');
  const seven = await pixels();
  expect(seven).not.toBe(one);
  expect(seven).not.toBe(mixture);
  await page.getByRole('region', { name: 'Explorer' }).screenshot({ path: screenshotPath('fair-manifold-s7') });
  // its export decodes with the same s: the preview's file name says which
  await page.getByRole('button', { name: 'Export PNG…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Manifold PNG' });
  await expect(dialog.locator('figcaption')).toContainText('-s-7.png');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.getByRole('button', { name: 'Save view' }).click();
  await expect(page.getByRole('status', { name: 'View status' })).toContainText('View saved');
  await page.reload();
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.getByRole('button', { name: `Open the saved view of ${name}` }).click();
  await expect(page.getByRole('tab', { name: 'Manifold' })).toHaveAttribute('aria-selected', 'true', { timeout: 60_000 });
  await expect(picker).toHaveValue('7');
  await expect(canvas).toHaveAttribute('data-private-value', '7');
  expect(await pixels()).toBe(seven);

  // back to the mixture: the first picture again
  await picker.selectOption({ label: 'averaged over label (training frequencies)' });
  await expect(canvas).toHaveAttribute('data-private-value', 'mixture');
  expect(await pixels()).toBe(mixture);
});

test('Reconstructions of a fair run: each image’s code decoded with every value of s, its own value outlined', async () => {
  await page.setViewportSize({ width: 1360, height: 2200 }); // both splits' counterfactuals in the screenshot
  await page.getByRole('tab', { name: 'Reconstructions' }).click();
  await expect(page.getByTestId('counterfactual-note')).toContainText('decoded with every value of label');
  const test = page.getByRole('group', { name: 'Counterfactuals of test images' });
  await expect(test.getByRole('img')).toHaveCount(10);
  await expect(test.getByRole('img', { name: 'Test images decoded with label = 3' })).toBeVisible();
  // one outlined image per column: the image's own label
  await expect(test.locator('.own')).toHaveCount(16);
  // rows differ: the same codes drawn as a 0 and as a 1
  const row = (k: number) => test.getByRole('img', { name: `Test images decoded with label = ${k}` }).evaluate((c: HTMLCanvasElement) => c.toDataURL());
  expect(await row(0)).not.toBe(await row(1));
  await page.waitForTimeout(300);
  await page.getByRole('region', { name: 'Explorer' }).screenshot({ path: screenshotPath('fair-reconstructions-counterfactual') });
});
