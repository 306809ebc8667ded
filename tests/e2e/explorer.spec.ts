// The explorer views in Chromium through the browser host, on runs trained in this test: every tab
// draws, and redraws when a control moves; hovering shows an image; an anchor changes the manifold;
// the style strip shows one image per class; names are saved in run.json; a run in training is
// followed as it saves new models. Screenshots of every view go to test-results/screens/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from '@playwright/test';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost, jobDone, trainRun, type HostClient } from '../bench/_views-client.ts';
import type { TrainSettings } from '../../electron/contract/api.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let conn: HostClient;
const runs: { vae?: string; ssvae?: string } = {};

const train = (settings: TrainSettings) => trainRun(conn.client, 'sample:mnist', settings);

/** Share of bright pixels and a hash of a canvas's pixels, read in the page. */
async function canvasStats(canvas: Locator): Promise<{ ink: number; hash: number; width: number; height: number }> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    // A WebGL canvas (the Embedding's points) is read through a 2-D copy.
    let ctx = c.getContext('2d');
    if (!ctx) {
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      ctx = copy.getContext('2d')!;
      ctx.drawImage(c, 0, 0);
    }
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let bright = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] + d[i + 1] + d[i + 2] > 300) bright++;
      hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return { ink: bright / (d.length / 4), hash, width: c.width, height: c.height };
  });
}

/** Waits until the canvas has drawn something different from `before` (by hash). */
async function changed(canvas: Locator, before: number): Promise<void> {
  await expect.poll(async () => (await canvasStats(canvas)).hash, { timeout: 15_000 }).not.toBe(before);
}

async function openRunInExplorer(runDir: string): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: new RegExp(runDir.split('/').pop()!) }).click();
  await expect(page.getByTestId('run-summary')).toBeVisible();
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: Host }) => {
  test.setTimeout(600_000);
  conn = await connectHost(host.url);
  // A 2-D VAE (its latent plane and manifold are the lectures' figures) with snapshots at epochs 1
  // and 2, and a semi-supervised model with 4 style + 4 class dimensions.
  runs.vae = await train({ model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 128, lr: 0.002, seed: 1 });
  runs.ssvae = await train({ model: 'ssvae', arch: 'mlp', latent: 8, style: 4, epochs: 2, batchSize: 128, lr: 0.002, seed: 1 });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  conn?.close();
  await page?.close();
});

test('the run picker lists the trained runs; Embedding lays out the test images by t-SNE', async () => {
  await openRunInExplorer(runs.vae!);
  await expect(page.getByRole('tab', { name: 'Embedding' })).toHaveAttribute('aria-selected', 'true');
  // Style only for semi-supervised runs
  await expect(page.getByRole('tab', { name: 'Style' })).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 60_000 });
  const canvas = page.getByRole('img', { name: 'Embedding' });
  const stats = await canvasStats(canvas);
  // ~1,000 coloured points on a dark background
  expect(stats.ink).toBeGreaterThan(0.002);
  await page.screenshot({ path: screenshotPath('explorer-embedding') });

  // Hiding a class in the legend redraws without it.
  await page.getByRole('button', { name: /^1\b/ }).click();
  await changed(canvas, stats.hash);
  await page.getByRole('button', { name: 'Show all' }).click();

  // The raw latent plane of the 2-D code.
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('plane');
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText('Raw latent means');
  await page.screenshot({ path: screenshotPath('explorer-embedding-plane') });
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('tsne');
});

test('hovering a point shows its image and reconstruction; clicking makes it the anchor', async () => {
  const canvas = page.getByRole('img', { name: 'Embedding' });
  const box = (await canvas.boundingBox())!;
  const tooltip = page.getByRole('tooltip', { name: 'Hovered image' });
  let found: { x: number; y: number } | null = null;
  // Sweep the pointer over the layout until it lands on a point.
  for (let gy = 0.3; gy <= 0.7 && !found; gy += 0.05) {
    for (let gx = 0.3; gx <= 0.7 && !found; gx += 0.025) {
      const x = box.x + gx * box.width;
      const y = box.y + gy * box.height;
      await page.mouse.move(x, y);
      if (await tooltip.waitFor({ state: 'visible', timeout: 150 }).then(() => true, () => false)) found = { x, y };
    }
  }
  expect(found).not.toBeNull();
  await expect(tooltip).toBeVisible();
  const thumb = await canvasStats(page.getByRole('img', { name: 'Hovered test image' }));
  const recon = await canvasStats(page.getByRole('img', { name: 'Its reconstruction' }));
  expect(thumb.ink).toBeGreaterThan(0.05);
  expect(recon.ink).toBeGreaterThan(0.02);
  await page.screenshot({ path: screenshotPath('explorer-embedding-hover') });
  await page.mouse.click(found!.x, found!.y);
  await expect(page.getByRole('region', { name: 'Anchor' })).toContainText(/Test image #\d+/);
});

test('a lasso selection shows the selected images', async () => {
  await page.getByRole('radio', { name: 'Lasso select' }).click();
  const box = (await page.getByRole('img', { name: 'Embedding' }).boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx - 200, cy - 200);
  await page.mouse.down();
  for (const [dx, dy] of [[200, -200], [200, 200], [-200, 200], [-200, -200]]) await page.mouse.move(cx + dx, cy + dy, { steps: 5 });
  await page.mouse.up();
  const section = page.getByRole('region', { name: 'Selected images' });
  await expect(section).toContainText(/\d+ selected/);
  await expect.poll(async () => (await canvasStats(page.getByRole('img', { name: 'Selected images' }))).ink).toBeGreaterThan(0.03);
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('explorer-embedding-lasso') });
  await page.getByRole('radio', { name: 'Pan & zoom' }).click();
});

test('Manifold draws the decoded grid, redraws when a slider moves, and shows the epoch snapshots', async () => {
  await page.getByRole('tab', { name: 'Manifold' }).click();
  const canvas = page.getByRole('img', { name: 'Manifold' });
  await expect(canvas).toHaveAttribute('data-frame', /[1-9]/);
  let stats = await canvasStats(canvas);
  expect(stats.width).toBe(20 * 28); // a 20 × 20 grid of 28 px images
  expect(stats.ink).toBeGreaterThan(0.03);
  await page.screenshot({ path: screenshotPath('explorer-manifold') });

  await page.getByRole('slider', { name: 'Range' }).fill('1.5');
  await changed(canvas, stats.hash);
  stats = await canvasStats(canvas);
  await page.getByRole('slider', { name: 'Grid size' }).fill('10');
  await expect.poll(async () => (await canvasStats(canvas)).width).toBe(10 * 28);

  // This VAE's code is 2-D: "others at the anchor" has nothing else to hold, so use the snapshot
  // slider here and the anchor on the semi-supervised run below.
  stats = await canvasStats(canvas);
  await page.getByRole('slider', { name: 'Epoch' }).fill('0');
  await changed(canvas, stats.hash);
  await expect(page.getByTestId('manifold-timing')).toContainText('epoch 1');
  await page.getByRole('slider', { name: 'Epoch' }).fill('2');
  await expect(page.getByTestId('manifold-timing')).toContainText('epoch 2');
});

test('Traversal draws one row per dimension, animates on Play, and saves names in run.json', async () => {
  await page.getByRole('tab', { name: 'Traversal' }).click();
  const strip = page.getByRole('img', { name: 'Traversal of z1', exact: true });
  await expect.poll(async () => (await canvasStats(strip)).ink).toBeGreaterThan(0.03);
  const frame = page.getByRole('img', { name: 'Animated traversal of z1' });
  const still = await canvasStats(frame);
  await page.getByRole('button', { name: 'Play' }).click();
  await changed(frame, still.hash);
  await page.screenshot({ path: screenshotPath('explorer-traversal') });
  await page.getByRole('button', { name: 'Pause' }).click();

  const before = await canvasStats(strip);
  await page.getByRole('slider', { name: 'Range' }).fill('1.5');
  await changed(strip, before.hash);

  await page.getByRole('textbox', { name: 'Name of dimension 1' }).fill('roundness');
  await page.getByRole('button', { name: 'Save names' }).click();
  await expect(page.getByText('Names saved in the run.')).toBeVisible();
  const run = JSON.parse(readFileSync(join(runs.vae!, 'run.json'), 'utf8'));
  expect(run.dimensionNames[0]).toBe('roundness');
});

test('Reconstructions shows training and test images above their reconstructions', async () => {
  await page.getByRole('tab', { name: 'Reconstructions' }).click();
  for (const name of ['Training images', 'Reconstructions of training images', 'Test images', 'Reconstructions of test images']) {
    await expect.poll(async () => (await canvasStats(page.getByRole('img', { name, exact: true }))).ink).toBeGreaterThan(0.03);
  }
  await page.screenshot({ path: screenshotPath('explorer-reconstructions') });

  // In a small window the grids shrink to their panel instead of running out of it.
  await page.setViewportSize({ width: 1024, height: 700 });
  for (const name of ['Training images', 'Reconstructions of test images']) {
    const canvas = page.getByRole('img', { name, exact: true });
    await expect.poll(() => canvas.evaluate((c) => c.getBoundingClientRect().right - c.closest('.panel')!.getBoundingClientRect().right)).toBeLessThan(0);
  }
  await page.screenshot({ path: screenshotPath('explorer-reconstructions-1024') });
  await page.setViewportSize({ width: 1360, height: 900 });

  // Arrow keys move between the view tabs (the ARIA tabs pattern), and focus follows.
  await page.getByRole('tab', { name: 'Reconstructions' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: 'Traversal' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Traversal' })).toBeFocused();
  await page.keyboard.press('Home');
  await expect(page.getByRole('tab', { name: 'Embedding' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'Factors' })).toHaveAttribute('aria-selected', 'true');
});

test('Style: a slider redraws the image, the strip shows one image per class, the report measures every dimension', async () => {
  await openRunInExplorer(runs.ssvae!);
  await page.getByRole('tab', { name: 'Style' }).click();
  const main = page.getByRole('img', { name: 'Styled image' });
  await expect(main).toHaveAttribute('data-frame', /[1-9]/);
  const strip = page.getByRole('img', { name: 'Same style, every class' });
  await expect(strip).toHaveAttribute('data-count', '10');
  // ten images side by side (2 px apart), each with ink
  const perClass = await strip.evaluate((c: HTMLCanvasElement) => {
    const size = (c.width - 9 * 2) / 10;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return Array.from({ length: 10 }, (_, k) => {
      let ink = 0;
      for (let y = 0; y < c.height; y++) for (let x = k * (size + 2); x < k * (size + 2) + size; x++) if (d[(y * c.width + x) * 4] > 128) ink++;
      return { size, ink };
    });
  });
  expect(perClass[0].size).toBe(28);
  for (const c of perClass) expect(c.ink).toBeGreaterThan(15);

  // Inactive style dimensions (KL ≤ 0.1 nats) are folded away; a 2-epoch model may have many.
  const status = page.getByRole('status', { name: 'Style report status' });
  await expect(status).toContainText(/\d+ of 4 style dimensions active/, { timeout: 60_000 });
  if (await page.getByText(/^Show inactive/).count()) await page.getByText(/^Show inactive/).click();
  const before = await canvasStats(main);
  await page.getByRole('slider', { name: 'style 1' }).fill('2.5');
  await changed(main, before.hash);
  const stripBefore = await canvasStats(strip);
  await page.getByRole('button', { name: 'Random style' }).click();
  await changed(strip, stripBefore.hash);
  // another class changes the main image
  const m2 = await canvasStats(main);
  await page.getByRole('radio', { name: '7' }).click();
  await changed(main, m2.hash);

  const table = page.getByRole('region', { name: 'Style dimension report' });
  await expect(table).toContainText(/slant -?\d\.\d\d/, { timeout: 60_000 });
  await expect(table).toContainText(/top-heaviness -?\d\.\d\d/);
  await page.screenshot({ path: screenshotPath('explorer-style'), fullPage: true });

  // In a small window the "every class" strip shrinks to its panel: all ten classes stay in view.
  await page.setViewportSize({ width: 1024, height: 700 });
  await expect.poll(() => strip.evaluate((c) => c.getBoundingClientRect().right - c.closest('.panel')!.getBoundingClientRect().right)).toBeLessThan(0);
  await strip.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('explorer-style-1024') });
  await page.setViewportSize({ width: 1360, height: 900 });
});

test('an anchor changes the manifold of the semi-supervised run', async () => {
  await page.getByRole('tab', { name: 'Embedding' }).click();
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 60_000 });
  const canvas = page.getByRole('img', { name: 'Embedding' });
  const box = (await canvas.boundingBox())!;
  const anchor = page.getByRole('region', { name: 'Anchor' });
  for (let gy = 0.25; gy <= 0.75; gy += 0.05) {
    for (let gx = 0.25; gx <= 0.75; gx += 0.025) {
      await page.mouse.click(box.x + gx * box.width, box.y + gy * box.height);
      if (/Test image #/.test((await anchor.textContent()) ?? '')) break;
    }
    if (/Test image #/.test((await anchor.textContent()) ?? '')) break;
  }
  await expect(anchor).toContainText(/Test image #\d+/);
  await page.getByRole('tab', { name: 'Manifold' }).click();
  const manifold = page.getByRole('img', { name: 'Manifold' });
  await expect(manifold).toHaveAttribute('data-frame', /[1-9]/);
  const atZero = await canvasStats(manifold);
  await page.getByRole('radio', { name: 'at the anchor' }).check();
  await changed(manifold, atZero.hash);
  await page.screenshot({ path: screenshotPath('explorer-manifold-anchor') });
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await expect.poll(async () => (await canvasStats(page.getByRole('img', { name: /^Traversal of / }).first())).ink).toBeGreaterThan(0.02);
  await page.screenshot({ path: screenshotPath('explorer-traversal-ssvae'), fullPage: true });
});

test('a run in training: the views follow each model it saves', async () => {
  test.setTimeout(300_000);
  const { jobId, runDir } = await conn.client.request('train.start', {
    ref: 'sample:mnist',
    // 30 epochs: an epoch of the sample takes ~0.3 s with the fused MLP step, and the views must catch it training
    settings: { model: 'vae', arch: 'mlp', latent: 4, epochs: 30, batchSize: 128, lr: 0.002, seed: 5 },
  });
  const done = jobDone(conn.client, jobId);
  await expect.poll(async () => (await conn.client.request('explorer.runs', {})).runs.some((r) => r.runDir === runDir)).toBe(true);
  await openRunInExplorer(runDir);
  await expect(page.getByRole('status', { name: 'Run in training' })).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: 'Manifold' }).click();
  const canvas = page.getByRole('img', { name: 'Manifold' });
  await expect(canvas).toHaveAttribute('data-frame', /[1-9]/, { timeout: 60_000 });
  const summary = page.getByTestId('run-summary');
  const epochOf = async () => Number((await summary.textContent())!.match(/after epoch ([\d.]+)/)![1]);
  const first = await epochOf();
  const stats = await canvasStats(canvas);
  await page.screenshot({ path: screenshotPath('explorer-training') });
  // the next saved model replaces the manifold without any click
  await expect.poll(epochOf, { timeout: 120_000 }).toBeGreaterThan(first);
  await changed(canvas, stats.hash);
  await done;
  await expect(page.getByRole('status', { name: 'Run in training' })).toHaveCount(0, { timeout: 15_000 });
  await expect(summary).toContainText('after epoch 30 of 30');
});
