// Importing image folders through the browser host's UI: the folder browser, the import dialog with
// its live preview, progress, the dataset page (counts, skipped files, drawn thumbnails), a refused
// folder, a cancelled import, and the virtualised grid on the 10,000-image sample.
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from '@playwright/test';
import { test, expect, screenshotPath } from './fixtures.ts';
import { glyph, greyPng, tempDir } from '../unit/helpers/fixtures-datasets.ts';

const folders: string[] = [];
test.afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** cats 5, dogs 3, birds 2 (20 px dark ink on light paper), one unlabelled image, one corrupt file. */
async function labelledFolder(): Promise<string> {
  const root = tempDir('e2e-pets');
  folders.push(root);
  const counts = { cats: 5, dogs: 3, birds: 2 };
  let seed = 0;
  for (const [name, n] of Object.entries(counts)) {
    mkdirSync(join(root, name));
    for (let i = 0; i < n; i++) writeFileSync(join(root, name, `${name}-${i}.png`), await greyPng(glyph(20, seed++), 20, 20));
  }
  writeFileSync(join(root, 'loose.png'), await greyPng(glyph(20, seed++), 20, 20));
  const good = await greyPng(glyph(20, 99), 20, 20);
  writeFileSync(join(root, 'cats', 'broken.png'), good.subarray(0, good.length >> 1));
  return root;
}

/** Many copies of one 200 px JPEG in two classes: each copy is decoded, so the import takes seconds. */
async function slowFolder(copies: number): Promise<string> {
  const root = tempDir('e2e-slow');
  folders.push(root);
  const big = new Uint8Array(200 * 200);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251; // texture, so the JPEG is not trivial
  const jpeg = await sharp(big, { raw: { width: 200, height: 200, channels: 1 } }).jpeg({ quality: 90 }).toBuffer();
  // Hard links to one file: many images to import (so Cancel comes while it runs, even on an idle
  // machine where the JPEG path decodes thousands a second) at the disk cost of one.
  const source = tempDir('e2e-slow-source');
  folders.push(source);
  const original = join(source, 'original.jpg');
  writeFileSync(original, jpeg);
  for (const c of ['a', 'b']) {
    mkdirSync(join(root, c));
    for (let i = 0; i < copies / 2; i++) linkSync(original, join(root, c, `${i}.jpg`));
  }
  return root;
}

async function chooseFolder(page: Page, path: string): Promise<void> {
  await page.getByRole('button', { name: 'Open folder…' }).click();
  const browser = page.getByRole('dialog', { name: 'Choose an image folder' });
  await browser.getByLabel('Folder path').fill(path);
  await browser.getByRole('button', { name: 'Open this folder' }).click();
  await expect(browser).toBeHidden();
}

/** Mean grey level of a loaded <img> (drawn into a canvas in the page). */
const imageMean = (page: Page, name: string) =>
  page.getByRole('img', { name }).evaluate((img: HTMLImageElement) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i];
    return sum / (d.length / 4);
  });

/** Share of bright and of dark pixels in a canvas. */
const canvasInk = (canvas: ReturnType<Page['getByRole']>) =>
  canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let bright = 0;
    let dark = 0;
    let opaque = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      opaque++;
      if (d[i] > 128) bright++;
      else dark++;
    }
    return { bright: bright / opaque, dark: dark / opaque, opaque };
  });

test('import a labelled folder through the dialog: preview, progress, counts, thumbnails, skipped file', async ({ page, host }) => {
  const root = await labelledFolder();
  await page.goto(host.url);
  await chooseFolder(page, root);

  // The dialog: suggested options with their reasons, and a preview before and after.
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByRole('heading', { name: /^Import le-e2e-pets-/ })).toBeVisible();
  await expect(dialog.getByText('12 image files found.')).toBeVisible();
  await expect(dialog.getByLabel('Image size (px)')).toHaveValue('28');
  await expect(dialog.getByText(/100% of sampled images are at most 32 px/)).toBeVisible();
  await expect(dialog.getByLabel('Channels')).toHaveValue('1');
  await expect(dialog.getByText('100% of sampled images are greyscale.')).toBeVisible();
  await expect(dialog.getByLabel('Invert')).toHaveValue('yes');
  await expect(dialog.getByRole('img', { name: /^Original / })).toHaveCount(8);
  await expect(dialog.getByRole('img', { name: /^Preprocessed / })).toHaveCount(8);
  const firstAfter = (await dialog.getByRole('img', { name: /^Preprocessed / }).first().getAttribute('alt'))!;
  // Inverted: ink high on a dark background.
  await expect.poll(() => imageMean(page, firstAfter)).toBeLessThan(100);

  // The preview follows the options: no inversion leaves light paper; the size shows in the image.
  await dialog.getByLabel('Invert').selectOption('no');
  await expect.poll(() => imageMean(page, firstAfter)).toBeGreaterThan(150);
  await dialog.getByLabel('Image size (px)').fill('24');
  await expect(dialog.getByRole('img', { name: firstAfter })).toHaveAttribute('title', /24×24/);
  await dialog.getByLabel('Invert').selectOption('auto');
  await dialog.getByLabel('Test split (%)').fill('20');
  await expect(dialog.getByText('80 % train / 20 % test, stratified by class, seed 1.')).toBeVisible();
  await expect.poll(() => imageMean(page, firstAfter)).toBeLessThan(100);
  await page.screenshot({ path: screenshotPath('import-dialog') });

  // Record what the progress view shows, however briefly (12 small files import in a blink).
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { progressSeen: string[] }).progressSeen = []);
    new MutationObserver(() => {
      const d = document.querySelector('[role="dialog"][aria-label="Import progress"]');
      if (d) seen.push(d.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await dialog.getByRole('button', { name: 'Import' }).click();

  // The dataset page: counts, unlabelled share, options, skipped file with its reason.
  await expect(page.getByRole('tab', { name: 'Dataset' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen.join('\n'));
  expect(seen).toMatch(/Files scanned/);
  expect(seen).toMatch(/Images decoded\s*12 of 12/);

  const pageRegion = page.getByRole('region', { name: 'Dataset' });
  await expect(page.getByTestId('images-used')).toHaveText('11');
  await expect(page.getByTestId('unlabelled-share')).toHaveText('1 (9.1 %)');
  const counts = page.getByRole('table', { name: 'Images per class' });
  await expect(counts.getByRole('row')).toHaveText([/^birds\s*2$/, /^cats\s*5$/, /^dogs\s*3$/, /^unlabelled\s*1$/]);
  await expect(pageRegion.getByText('24×24 px, fit contain')).toBeVisible();
  await expect(pageRegion.getByText(/auto → inverted \(ink = 1\)/)).toBeVisible();
  const skipped = page.getByRole('list', { name: 'Skipped: truncated or corrupt image' });
  await expect(skipped).toContainText('cats/broken.png');

  // Thumbnails: one section per class, rows drawn with ink (bright) on background (dark).
  const grid = page.getByRole('region', { name: 'Thumbnails' });
  await expect(grid.getByRole('heading', { name: /^cats · 5 images/ })).toBeVisible();
  const catsRow = grid.getByRole('img', { name: 'cats: images 1 to 5 of 5' });
  await expect(catsRow).toHaveAttribute('data-drawn', 'true');
  const ink = await canvasInk(catsRow);
  expect(ink.bright).toBeGreaterThan(0.05);
  expect(ink.dark).toBeGreaterThan(0.3);
  await expect(grid.getByRole('img', { name: 'Unlabelled: images 1 to 1 of 1' })).toHaveAttribute('data-drawn', 'true');
  await page.screenshot({ path: screenshotPath('dataset-page') });

  // Recent reopens the folder with the options used last time, from the cache, without the dialog;
  // its Options… button opens the dialog with those options.
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.getByRole('button', { name: `Open ${root}` }).click();
  await expect(page.getByRole('tab', { name: 'Dataset' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('open-time')).toContainText('(from cache)');
  await expect(pageRegion.getByText('24×24 px, fit contain')).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.getByRole('button', { name: `Import ${root} with other options` }).click();
  await expect(dialog.getByText('Options you used last time for this folder.')).toBeVisible();
  await expect(dialog.getByLabel('Image size (px)')).toHaveValue('24');
  await expect(dialog.getByLabel('Test split (%)')).toHaveValue('20');
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('tab', { name: 'Dataset' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('images-used')).toHaveText('11');
});

test('a folder with no usable image is refused with the engine’s reason', async ({ page, host }) => {
  const noImages = tempDir('e2e-empty');
  folders.push(noImages);
  writeFileSync(join(noImages, 'notes.txt'), 'nothing to see');
  const unusable = tempDir('e2e-unusable');
  folders.push(unusable);
  writeFileSync(join(unusable, 'zero.png'), '');
  writeFileSync(join(unusable, 'fake.jpg'), 'text named like a JPEG');

  await page.goto(host.url);
  await chooseFolder(page, noImages);
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByRole('alert')).toHaveText(`${noImages} contains no image files (PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP).`);
  await dialog.getByRole('button', { name: 'Close' }).click();

  await chooseFolder(page, unusable);
  await expect(dialog.getByText('1 image file found.')).toBeVisible(); // the empty file is skipped while scanning
  await expect(dialog.getByText('None of the sampled files could be decoded, so these are plain defaults.')).toBeVisible();
  await expect(dialog.getByText('None of the sampled files could be used.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Import' }).click();
  const outcome = page.getByRole('dialog', { name: 'Import progress' }).getByRole('alert');
  await expect(outcome).toHaveText(`${unusable} has no usable image (1 not an image (contents match no image format), 1 empty file (0 bytes)).`);
  await expect(page.getByRole('tab', { name: 'Dataset' })).toBeDisabled();
});

test('an import shows its progress and can be cancelled, leaving nothing behind', async ({ page, host }) => {
  const root = await slowFolder(40_000);
  const cacheDir = join(host.dataDir, 'cache', 'datasets');
  const cached = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length : 0);
  const before = cached();

  await page.goto(host.url);
  await chooseFolder(page, root);
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByLabel('Image size (px)')).toHaveValue('64');
  await dialog.getByRole('button', { name: 'Import' }).click();

  const progress = page.getByRole('dialog', { name: 'Import progress' });
  await expect(progress.getByRole('status', { name: 'Import phase' })).toHaveText('Decoding images');
  await expect(progress.getByTestId('images-decoded')).toHaveText(/^[\d,]+ of 40,000$/);
  await expect(progress.getByText(/^[\d,]+ images\/s$/)).toBeVisible();
  await expect(progress.getByText(/^\d+(\.\d)? s$|^\d+ min \d+ s$/)).toBeVisible();
  await expect(progress.getByTestId('files-scanned')).toHaveText('40,000');
  const bar = progress.getByRole('progressbar', { name: 'Import progress' });
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
  await page.screenshot({ path: screenshotPath('import-progress') });

  await progress.getByRole('button', { name: 'Cancel import' }).click();
  await expect(progress.getByRole('status', { name: 'Import outcome' })).toHaveText('Cancelled. Nothing was imported and nothing was saved.');
  await page.screenshot({ path: screenshotPath('import-cancelled') });
  await progress.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // Nothing behind: no dataset, no Recent entry, no cache file.
  await expect(page.getByRole('tab', { name: 'Dataset' })).toBeDisabled();
  expect(cached()).toBe(before);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'MNIST sample' })).toBeVisible();
  await expect(page.getByRole('button', { name: `Open ${root}` })).toHaveCount(0);
});

test('the sample opens directly and its 10,000 thumbnails are virtualised', async ({ page, host }) => {
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Open MNIST sample' }).click();
  await expect(page.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Dataset' }).click();

  const grid = page.getByRole('region', { name: 'Thumbnails' });
  const first = grid.getByRole('img', { name: /^0: images 1 to \d+ of [\d,]+$/ });
  await expect(first).toHaveAttribute('data-drawn', 'true');
  expect((await canvasInk(first)).bright).toBeGreaterThan(0.05);
  const canvases = async () => grid.locator('canvas').count();
  expect(await canvases()).toBeLessThan(60);

  // Jump to the last class, then scroll to the very end: only rows near the viewport are fetched.
  await page.getByRole('button', { name: 'Show 9' }).click();
  await expect(grid.getByRole('heading', { name: /^9 · [\d,]+ images/ })).toBeVisible();
  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  const last = grid.getByRole('img', { name: /^9: images [\d,]+ to ([\d,]+) of \1$/ });
  await expect(last).toHaveAttribute('data-drawn', 'true');
  expect((await canvasInk(last)).bright).toBeGreaterThan(0.05);
  expect(await canvases()).toBeLessThan(60);
  const fetched = Number(await grid.getAttribute('data-fetched'));
  expect(fetched).toBeGreaterThan(0);
  expect(fetched).toBeLessThan(3000);
  await page.screenshot({ path: screenshotPath('dataset-sample') });
});
