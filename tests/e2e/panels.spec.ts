// The Embedding view's panels in Chromium through the browser host, on the shipped semi-supervised
// sample run: a click on the map sets the anchor and Neighbours lists its nearest test images; a
// click on a neighbour makes it the anchor; "walk" to another image shows the decoded walk as a strip
// and an animation, and exports it as a GIF. Screenshots go to screenshots/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost } from '../bench/_views-client.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let host: Host;

/** Share of bright pixels and a hash of a canvas's pixels, read in the page. */
async function canvasStats(canvas: Locator): Promise<{ ink: number; hash: number; width: number }> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let bright = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] + d[i + 1] + d[i + 2] > 300) bright++;
      hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return { ink: bright / (d.length / 4), hash, width: c.width };
  });
}

/** Clicks the drawn point nearest the map's centre: a non-background pixel of the map as shown (read from a screenshot, so it works whatever draws the points). */
async function clickAPoint(): Promise<void> {
  const canvas = page.getByRole('img', { name: 'Embedding' });
  await canvas.evaluate((c) => c.scrollIntoView({ block: 'center' }));
  const { data, info } = await sharp(await canvas.screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const box = (await canvas.boundingBox())!;
  let best: [number, number] | null = null;
  let bestD = Infinity;
  for (let y = 8; y < info.height - 8; y += 1)
    for (let x = 8; x < info.width - 8; x += 1) {
      const i = 3 * (y * info.width + x);
      if (Math.abs(data[i] - 0x10) + Math.abs(data[i + 1] - 0x12) + Math.abs(data[i + 2] - 0x17) < 90) continue;
      const d = (x - info.width / 2) ** 2 + (y - info.height / 2) ** 2;
      if (d < bestD) [bestD, best] = [d, [x, y]];
    }
  expect(best).not.toBeNull();
  await canvas.click({ position: { x: (best![0] * box.width) / info.width, y: (best![1] * box.height) / info.height } });
}

/** Pure white pixels of the map as shown (placed images are white diamonds; points are coloured). */
async function whitePixels(): Promise<number> {
  const canvas = page.getByRole('img', { name: 'Embedding' });
  await canvas.evaluate((c) => c.scrollIntoView({ block: 'center' }));
  const { data } = await sharp(await canvas.screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += 3) if (data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245) n++;
  return n;
}

async function openSample(): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: /mnist-ssvae/ }).click();
  await expect(page.getByTestId('run-summary')).toContainText(/semi-supervised/);
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 120_000 });
}

test.beforeAll(async ({ browser, host: h }: { browser: Browser; host: Host }) => {
  host = h;
  page = await browser.newPage({ viewport: { width: 1360, height: 1100 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  await page?.close();
});

test('Neighbours lists the anchor\'s nearest test images with distances; clicking one makes it the anchor', async () => {
  await openSample();
  const panel = page.getByRole('region', { name: 'Neighbours' });
  await expect(panel).toContainText(/Click a point on the map/);
  await clickAPoint();
  const anchorText = page.getByRole('region', { name: 'Anchor' });
  await expect(anchorText).toContainText(/Test image #\d+/);
  const first = (await anchorText.textContent())!.match(/#(\d+)/)![1];
  const items = panel.getByRole('button', { name: /^Neighbour #\d+, distance/ });
  await expect(items).toHaveCount(8);
  // Nearest first: distances never decrease.
  const names = await items.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!));
  const distances = names.map((n) => Number(n.match(/distance ([\d.]+)/)![1]));
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  expect(names.join()).not.toContain(`#${first},`);
  // Thumbnails are drawn (digits: some bright pixels).
  expect((await canvasStats(panel.getByRole('img').first())).ink).toBeGreaterThan(0.03);
  // k follows the input; cosine gives distances in [0, 1].
  await panel.getByLabel('Neighbours k').fill('5');
  await expect(items).toHaveCount(5);
  await panel.getByRole('radio', { name: 'Cosine' }).click();
  await expect(panel).toContainText(/1 − cosine/);
  await page.screenshot({ path: screenshotPath('panels-neighbours'), fullPage: true });

  const second = (await items.nth(1).getAttribute('aria-label'))!.match(/#(\d+)/)![1];
  await items.nth(1).click();
  await expect(anchorText).toContainText(`Test image #${second}`);
  await expect(panel).toContainText(`Of test image #${second}`);
  await expect(items.first()).not.toHaveAttribute('aria-label', new RegExp(`^Neighbour #${second},`));
});

test('Walk: "walk" to a neighbour shows the decoded strip, animates, and exports a GIF', async () => {
  const neighbours = page.getByRole('region', { name: 'Neighbours' });
  await neighbours.getByLabel('Neighbours k').fill('12');
  await expect(neighbours.getByRole('button', { name: /^Walk to #/ })).toHaveCount(12);
  const target = (await neighbours.getByRole('button', { name: /^Walk to #/ }).last().getAttribute('aria-label'))!.match(/#(\d+)/)![1];
  await neighbours.getByRole('button', { name: /^Walk to #/ }).last().click();
  const walk = page.getByRole('region', { name: 'Walk' });
  await expect(walk.getByTestId('walk-ends')).toContainText(`to test image #${target}`);
  const strip = walk.getByRole('img', { name: 'Walk strip' });
  await expect.poll(async () => (await canvasStats(strip)).width, { timeout: 30_000 }).toBe(10 * 29 - 1);
  expect((await canvasStats(strip)).ink).toBeGreaterThan(0.03);
  // More steps: a longer strip.
  await walk.getByLabel('Walk steps').fill('6');
  await expect.poll(async () => (await canvasStats(strip)).width, { timeout: 30_000 }).toBe(6 * 29 - 1);
  // Linear and spherical paths give different middles.
  const sphericalHash = (await canvasStats(strip)).hash;
  await walk.getByRole('radio', { name: 'Linear' }).click();
  await expect.poll(async () => (await canvasStats(strip)).hash, { timeout: 30_000 }).not.toBe(sphericalHash);
  // The animation moves through the frames.
  const player = walk.getByRole('img', { name: 'Walk animation' });
  const seen = new Set<number>();
  for (let t = 0; t < 12 && seen.size < 3; t++) {
    seen.add((await canvasStats(player)).hash);
    await page.waitForTimeout(150);
  }
  expect(seen.size).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: screenshotPath('panels-walk'), fullPage: true });
  await walk.screenshot({ path: screenshotPath('panels-walk-panel') });

  await walk.getByRole('button', { name: 'Export GIF…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Walk GIF' });
  await expect(dialog).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  const file = join(host.dataDir, 'walk.gif');
  await download.saveAs(file);
  expect(readFileSync(file).subarray(0, 6).toString('latin1')).toBe('GIF89a');
  // 6 steps walked there and back (the ends once each): 10 frames of one 28-px image at the dialog's scale.
  const meta = await sharp(file, { animated: true }).metadata();
  expect(meta.pages).toBe(10);
  expect(meta.width! % 28).toBe(0);
  await dialog.getByRole('button', { name: /Close|Done|Cancel/ }).first().click().catch(() => {});
});

test('Place: two chosen image files appear on the t-SNE map with reconstruction, class probabilities and nearest test images', async () => {
  // Two test images of the run, as PNG files a user might have.
  const conn = await connectHost(host.url);
  const runDir = (await conn.client.request('explorer.runs', {})).runs.find((r) => r.name === 'mnist-ssvae')!.runDir;
  const images = await conn.client.request('explorer.images', { runDir, positions: Int32Array.from([3, 40]) });
  conn.close();
  const png = (i: number) => sharp(Buffer.from(images.pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  await page.getByRole('region', { name: 'Walk' }).getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('region', { name: 'Anchor' }).getByRole('button', { name: 'Clear' }).click();
  const before = await whitePixels();

  const panel = page.getByRole('region', { name: 'Place new images' });
  await panel.getByLabel('Images to place').setInputFiles([
    { name: 'mine-3.png', mimeType: 'image/png', buffer: await png(0) },
    { name: 'mine-40.png', mimeType: 'image/png', buffer: await png(1) },
  ]);
  await expect(panel.getByRole('status', { name: 'Place status' })).toContainText('2 images placed on the t-SNE map', { timeout: 60_000 });
  const item = panel.getByRole('listitem', { name: 'Placed mine-3.png' });
  await expect(item).toBeVisible();
  // Its reconstruction is drawn; its class probabilities are shown; its nearest test image is itself.
  expect((await canvasStats(item.getByRole('img', { name: 'mine-3.png reconstructed' }))).ink).toBeGreaterThan(0.03);
  await expect(item.getByLabel('Class probabilities of mine-3.png')).toContainText(/class \w+ \(\d+%\)/);
  await expect(item.getByRole('button', { name: /^Nearest #/ }).first()).toHaveAttribute('aria-label', /^Nearest #3:/);
  // The map shows two white diamonds.
  await expect.poll(whitePixels, { timeout: 10_000 }).toBeGreaterThan(before + 100);
  await page.screenshot({ path: screenshotPath('panels-place'), fullPage: true });
  await panel.screenshot({ path: screenshotPath('panels-place-list') });

  // A neighbour of a placed image becomes the anchor; "Walk to it" walks from there to the placed image.
  await item.getByRole('button', { name: /^Nearest #/ }).nth(1).click();
  await expect(page.getByRole('region', { name: 'Anchor' })).toContainText(/Test image #\d+/);
  await item.getByRole('button', { name: 'Walk to it' }).click();
  await expect(page.getByRole('region', { name: 'Walk' }).getByTestId('walk-ends')).toContainText('to mine-3.png');
});

test('Place on UMAP: with the map switched to UMAP, a chosen file lands on the UMAP map', async () => {
  const conn = await connectHost(host.url);
  const runDir = (await conn.client.request('explorer.runs', {})).runs.find((r) => r.name === 'mnist-ssvae')!.runDir;
  const images = await conn.client.request('explorer.images', { runDir, positions: Int32Array.from([7]) });
  conn.close();
  const png = await sharp(Buffer.from(images.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('umap');
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/UMAP done/, { timeout: 240_000 });
  const panel = page.getByRole('region', { name: 'Place new images' });
  await expect(panel).toContainText('UMAP, from their latent neighbours');
  const before = await whitePixels();
  await panel.getByLabel('Images to place').setInputFiles([{ name: 'mine-7.png', mimeType: 'image/png', buffer: png }]);
  await expect(panel.getByRole('status', { name: 'Place status' })).toContainText('1 image placed on the UMAP map', { timeout: 60_000 });
  await expect(panel.getByRole('listitem', { name: 'Placed mine-7.png' }).getByRole('button', { name: /^Nearest #/ }).first()).toHaveAttribute('aria-label', /^Nearest #7:/);
  await expect.poll(whitePixels, { timeout: 10_000 }).toBeGreaterThan(before + 30);
  await page.screenshot({ path: screenshotPath('panels-place-umap'), fullPage: true });
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('tsne');
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 60_000 });
});

/** Sets up a view to save: an anchor, a walk to one of its neighbours, k and metric, a Manifold range; returns what a user would see again. */
async function arrangeView(nth: number, range: string): Promise<{ anchor: string; target: string; range: string }> {
  await page.getByRole('tab', { name: 'Embedding' }).click();
  const neighbours = page.getByRole('region', { name: 'Neighbours' });
  await clickAPoint();
  const anchor = (await page.getByRole('region', { name: 'Anchor' }).textContent())!.match(/Test image #(\d+)/)![1];
  await neighbours.getByRole('radio', { name: 'Euclidean' }).click();
  await neighbours.getByLabel('Neighbours k').fill('6');
  // The list of the last answer: Euclidean and 6 (each answer carries both).
  await expect(neighbours).toContainText('by Euclidean distance');
  await expect(neighbours.getByRole('button', { name: /^Walk to #/ })).toHaveCount(6);
  const walkTo = neighbours.getByRole('button', { name: /^Walk to #/ }).nth(nth);
  const target = (await walkTo.getAttribute('aria-label'))!.match(/#(\d+)/)![1];
  await walkTo.click();
  await page.getByRole('tab', { name: 'Manifold' }).click();
  await page.getByLabel('Range', { exact: true }).fill(range);
  await expect(page.getByText(`Range ±${Number(range).toFixed(2)} sd`)).toBeVisible();
  return { anchor, target, range };
}

/** What must come back: the tab, the slider, the anchor, the walk, k and metric, and the map. */
async function expectRestored(want: { anchor: string; target: string; range: string }): Promise<void> {
  await expect(page.getByRole('tab', { name: 'Manifold' })).toHaveAttribute('aria-selected', 'true', { timeout: 60_000 });
  await expect(page.getByLabel('Range', { exact: true })).toHaveValue(want.range);
  await expect(page.getByText(`Range ±${Number(want.range).toFixed(2)} sd`)).toBeVisible();
  await page.getByRole('tab', { name: 'Embedding' }).click();
  await expect(page.getByRole('region', { name: 'Anchor' })).toContainText(`Test image #${want.anchor}`);
  await expect(page.getByRole('region', { name: 'Walk' }).getByTestId('walk-ends')).toContainText(`to test image #${want.target}`);
  const neighbours = page.getByRole('region', { name: 'Neighbours' });
  await expect(neighbours.getByLabel('Neighbours k')).toHaveValue('6');
  await expect(neighbours.getByRole('radio', { name: 'Euclidean' })).toHaveAttribute('aria-checked', 'true');
  await expect(neighbours.getByRole('button', { name: /^Neighbour #/ })).toHaveCount(6);
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 60_000 });
}

test('Save view writes it beside the run; after a reload Home\'s Recent views brings it back', async () => {
  const want = await arrangeView(2, '1.75');
  await page.getByRole('button', { name: 'Save view' }).click();
  await expect(page.getByRole('status', { name: 'View status' })).toContainText('View saved');
  // The shipped sample run is read-only: its view goes to the data folder.
  const saved = JSON.parse(readFileSync(join(host.dataDir, 'views', 'mnist-ssvae.json'), 'utf8'));
  expect(saved).toMatchObject({ tab: 'manifold', anchor: Number(want.anchor), walkTarget: Number(want.target), neighbours: { k: 6, metric: 'euclidean' } });
  expect(saved.sliders['manifold.range']).toBe(1.75);
  expect(typeof saved.coords).toBe('string'); // the t-SNE coordinates, cached

  await page.reload();
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.getByRole('button', { name: 'Open the saved view of mnist-ssvae' }).click();
  await expectRestored(want);
  await page.screenshot({ path: screenshotPath('panels-saved-view-restored'), fullPage: true });
});

test('Copy link puts the view in the address without the token; opening it restores the view', async () => {
  await page.goto(host.url);
  const token = new URL(host.url).searchParams.get('token')!;
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: /mnist-ssvae/ }).click();
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 120_000 });
  // A different view from the saved one: another anchor and walk.
  const want = await arrangeView(4, '3.5');
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.getByLabel('View link').inputValue();
  expect(link).toMatch(/#view=/);
  expect(link).not.toContain(token);
  expect(link).not.toMatch(/token/);
  await page.getByRole('region', { name: 'Explorer' }).screenshot({ path: screenshotPath('panels-copy-link') });

  await page.goto('about:blank');
  await page.goto(link);
  await expectRestored(want);
});
