// Exports through the browser host: the Export button of a view opens a dialog with options and a
// preview of the first frame; Save downloads the file (a browser has no save dialog), with progress.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { test, expect, screenshotPath } from './fixtures.ts';

let runName = '';

test.beforeAll(async ({ host }) => {
  runName = 'exports-e2e-beta-vae';
  const made = spawnSync(process.execPath, ['--import', 'tsx', 'tests/e2e/exports-make-run.ts', join(host.dataDir, 'runs', runName)], { encoding: 'utf8', timeout: 170_000 });
  if (made.status !== 0) throw new Error(`training the test run failed: ${made.stderr}`);
});

async function openRun(page: import('@playwright/test').Page, url: string) {
  await page.goto(url);
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: new RegExp(runName) }).click();
  await expect(page.getByRole('tablist', { name: 'Explorer views' })).toBeVisible({ timeout: 60_000 });
}

test('traversal GIF: dialog, preview of the first frame, download with every frame', async ({ page, host }) => {
  await openRun(page, host.url);
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await page.getByRole('button', { name: 'Export GIF…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Traversal GIF' });
  await expect(dialog).toBeVisible();

  await dialog.getByLabel('Dimensions').selectOption('active');
  await dialog.getByLabel('Frames').fill('12');
  await dialog.getByLabel('Pixel scale').selectOption('3');
  const preview = dialog.getByRole('img', { name: 'Preview of the first frame' });
  await expect(preview).toBeVisible();
  await expect(dialog.locator('figcaption')).toContainText('22 frames');
  // The options column keeps to itself: no control reaches under the preview (a fieldset grows to
  // its widest option's text unless told otherwise).
  const previewLeft = (await dialog.locator('figure').boundingBox())!.x;
  for (const name of ['Dimensions', 'Frames', 'Pixel scale']) {
    const box = (await dialog.getByLabel(name).boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(previewLeft);
  }
  // The preview is the first frame, drawn: not a blank image.
  const width = await preview.evaluate((img: HTMLImageElement) => img.naturalWidth);
  expect(width).toBe(28 * 3 + 2 * 3);
  await page.screenshot({ path: screenshotPath('export-traversal-dialog') });

  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  expect(download.suggestedFilename()).toBe(`${runName}-traversal-6-dims.gif`);
  const file = join(host.dataDir, 'download.gif');
  await download.saveAs(file);
  const meta = await sharp(file, { animated: true }).metadata();
  expect(meta.pages).toBe(22);
  expect(meta.width).toBe(90);
  await expect(dialog.getByRole('status')).toContainText(`Downloaded ${runName}-traversal-6-dims.gif`);
});

test('manifold PNG: the size follows the options, the download is that PNG', async ({ page, host }) => {
  await openRun(page, host.url);
  await page.getByRole('tab', { name: 'Manifold' }).click();
  await page.getByRole('button', { name: 'Export PNG…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Manifold PNG' });
  await dialog.getByLabel('Images per side').fill('9');
  await dialog.getByLabel('Pixel scale').selectOption('2');
  await expect(dialog.locator('figcaption')).toContainText('504×504 px');
  await page.screenshot({ path: screenshotPath('export-manifold-dialog') });
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  const file = join(host.dataDir, 'manifold.png');
  await download.saveAs(file);
  const meta = await sharp(file).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 504, 504]);
});

test('embedding table: a CSV row per image with every latent mean', async ({ page, host }) => {
  await openRun(page, host.url);
  await page.getByRole('tab', { name: 'Embedding' }).click();
  // Once the view's t-SNE is done the table offers its x,y (and takes them by default); without
  // the wait, whether the columns came depended on how fast t-SNE was.
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Export CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Embedding table (CSV)' });
  const tsne = dialog.getByRole('checkbox', { name: /t-SNE x,y columns/ });
  await expect(tsne).toBeChecked();
  await expect(dialog.getByLabel('Preview')).toContainText('tsne_x,tsne_y');
  await tsne.uncheck();
  await expect(dialog.getByLabel('Preview')).not.toContainText('tsne_x');
  await expect(dialog.getByLabel('Preview')).toContainText('id,file,label,split,mean_1');
  await page.screenshot({ path: screenshotPath('export-embedding-dialog') });
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  const file = join(host.dataDir, 'embedding.csv');
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  expect(lines[0]).toBe('id,file,label,split,mean_1,mean_2,mean_3,mean_4,mean_5,mean_6');
  expect(lines.length).toBe(10_001);
  expect(lines[1].split(',').length).toBe(10);
});

test('model bundle: the run header exports the encoder, decoder and run.json as a zip', async ({ page, host }) => {
  await openRun(page, host.url);
  await page.getByRole('button', { name: 'Export model…' }).click();
  const dialog = page.getByRole('dialog', { name: /Export .*model/i });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: screenshotPath('export-bundle-dialog') });
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const file = join(host.dataDir, 'bundle.zip');
  await download.saveAs(file);
  const { unzipSync } = await import('fflate');
  const names = Object.keys(unzipSync(readFileSync(file)));
  expect(names.some((n) => n.endsWith('decoder/model.json'))).toBe(true);
  expect(names.some((n) => n.endsWith('encoder/model.json'))).toBe(true);
  expect(names.some((n) => n.endsWith('run.json'))).toBe(true);
});
