// The Embedding view on the shipped sample runs, in Chromium through the browser host: the layout
// picker (t-SNE, UMAP, PCA, raw dimensions) redraws the map; Find (file name, split, selection) and
// Colour (reconstruction error, KL, a known factor) change what is drawn; the selection's rows are
// saved as CSV. Each picture is checked by its pixels. Screenshots go to screenshots/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';
import { connectHost, jobDone } from '../bench/_views-client.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let hostInfo: Host;

/** Share of bright pixels and a hash of a canvas (WebGL canvases read through a 2-D copy). */
async function canvasStats(canvas: Locator): Promise<{ ink: number; hash: number }> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
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
    return { ink: bright / (d.length / 4), hash };
  });
}

/** Pixels of the map as shown on screen (whatever canvas draws them) that are not the background #101217. */
async function inkOnScreen(): Promise<number> {
  const { data } = await sharp(await embedding().screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += 3) if (Math.abs(data[i] - 0x10) + Math.abs(data[i + 1] - 0x12) + Math.abs(data[i + 2] - 0x17) > 60) n++;
  return n;
}

const embedding = () => page.getByRole('img', { name: 'Embedding' });
const status = () => page.getByRole('status', { name: 'Embedding status' });

async function changedFrom(before: number): Promise<number> {
  await expect.poll(async () => (await canvasStats(embedding())).hash, { timeout: 20_000 }).not.toBe(before);
  return (await canvasStats(embedding())).hash;
}

async function openSample(name: string): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: new RegExp(`^${name}\\b`) }).click();
  await expect(page.getByTestId('run-summary')).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Embedding' })).toHaveAttribute('aria-selected', 'true');
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: Host }) => {
  hostInfo = host;
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
  await openSample('mnist-beta-vae-10d');
});

test.afterAll(async () => {
  await page?.close();
});

test('the layout picker shows t-SNE, UMAP, PCA and two raw dimensions, each a different map', async () => {
  test.setTimeout(300_000);
  await expect(status()).toContainText(/t-SNE done/, { timeout: 120_000 });
  await expect(embedding()).toHaveAttribute('data-renderer', 'webgl2');
  const tsne = await canvasStats(embedding());
  expect(tsne.ink).toBeGreaterThan(0.002);

  await page.getByRole('combobox', { name: 'Layout' }).selectOption('umap');
  await expect(page.getByRole('spinbutton', { name: 'UMAP neighbours' })).toHaveValue('15');
  await expect(status()).toContainText(/UMAP done \(\d+ epochs, 15 neighbours\)/, { timeout: 240_000 });
  const umap = await changedFrom(tsne.hash);
  expect((await canvasStats(embedding())).ink).toBeGreaterThan(0.002);
  await page.screenshot({ path: screenshotPath('embedding-umap') });

  await page.getByRole('combobox', { name: 'Layout' }).selectOption('pca');
  await expect(status()).toContainText('PCA of the latent means');
  const pca = await changedFrom(umap);
  await page.screenshot({ path: screenshotPath('embedding-pca') });

  await page.getByRole('combobox', { name: 'Layout' }).selectOption('plane');
  await expect(status()).toContainText('Raw latent means');
  const raw = await changedFrom(pca);
  // other dimensions: another picture
  await page.getByRole('combobox', { name: 'y dimension' }).selectOption({ index: 4 });
  await changedFrom(raw);
  await page.screenshot({ path: screenshotPath('embedding-raw') });

  // back to t-SNE: its layout is kept, no new run
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('tsne');
  await expect(status()).toContainText(/t-SNE done/);
  await expect.poll(async () => (await canvasStats(embedding())).hash).toBe(tsne.hash);
});

const shown = () => page.getByRole('status', { name: 'Shown points' });
const shownCount = async () => Number((await shown().textContent())!.replace(/,/g, '').match(/^(\d+) of/)![1]);

test('Find: a file-name glob, a split and the selection filter the points; the selection is saved as CSV', async () => {
  test.setTimeout(180_000);
  await expect(status()).toContainText(/t-SNE done/);
  await expect(shown()).toHaveText('999 of 999 shown');
  const all = await canvasStats(embedding());

  // The sample's files are sample:mnist#<index>: images 100 to 199 by a glob.
  await page.getByRole('searchbox', { name: 'File name' }).fill('*#1??');
  await expect.poll(shownCount).toBeLessThan(999);
  const some = await shownCount();
  expect(some).toBeGreaterThan(0);
  await changedFrom(all.hash);
  expect((await canvasStats(embedding())).ink).toBeLessThan(all.ink);
  await page.screenshot({ path: screenshotPath('embedding-find-name') });
  // a substring that names nothing: nothing drawn
  await page.getByRole('searchbox', { name: 'File name' }).fill('no-such-file');
  await expect(shown()).toHaveText('0 of 999 shown');
  await expect.poll(async () => (await canvasStats(embedding())).ink).toBe(0);
  await page.getByRole('searchbox', { name: 'File name' }).fill('');

  // every listed image of the sample is a test image
  await page.getByRole('combobox', { name: 'Split' }).selectOption('train');
  await expect(shown()).toHaveText('0 of 999 shown');
  await page.getByRole('combobox', { name: 'Split' }).selectOption('test');
  await expect(shown()).toHaveText('999 of 999 shown');
  await expect.poll(async () => (await canvasStats(embedding())).hash).toBe(all.hash);

  // A lasso in the middle, then only the selection.
  await page.getByRole('radio', { name: 'Lasso select' }).click();
  const box = (await embedding().boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx - 150, cy - 150);
  await page.mouse.down();
  for (const [dx, dy] of [[150, -150], [150, 150], [-150, 150], [-150, -150]]) await page.mouse.move(cx + dx, cy + dy, { steps: 5 });
  await page.mouse.up();
  await page.getByRole('radio', { name: 'Pan & zoom' }).click();
  const section = page.getByRole('region', { name: 'Selected images' });
  await expect(section).toContainText(/\d+ selected/);
  const selected = Number((await section.locator('h3').textContent())!.replace(/,/g, '').match(/^(\d+)/)![1]);
  expect(selected).toBeGreaterThan(0);
  await page.getByRole('checkbox', { name: 'Only the selection' }).check();
  await expect(shown()).toHaveText(`${selected} of 999 shown`);
  await changedFrom(all.hash);
  await page.screenshot({ path: screenshotPath('embedding-only-selection') });

  // Its rows of the embedding table, through the export dialog (a download in the browser host).
  await section.getByRole('button', { name: 'Export CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Embedding table (CSV)' });
  await expect(dialog.getByLabel('Preview')).toContainText(`${selected} rows, the ${selected} selected images`);
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Save…' }).click()]);
  expect(download.suggestedFilename()).toMatch(/-selection\.csv$/);
  const file = join(hostInfo.dataDir, 'selection.csv');
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  expect(lines[0]).toBe(`id,file,label,split,${Array.from({ length: 10 }, (_, d) => `mean_${d + 1}`).join(',')},tsne_x,tsne_y`);
  expect(lines.length).toBe(selected + 1);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    expect(cells[1]).toBe(`sample:mnist#${cells[0]}`);
    expect(cells[3]).toBe('test');
    expect(Number.isFinite(Number(cells.at(-1)))).toBe(true);
  }
  await dialog.getByRole('button', { name: /Close|Cancel/ }).first().click();
  await page.getByRole('checkbox', { name: 'Only the selection' }).uncheck();
  await section.getByRole('button', { name: 'Clear selection' }).click();
  await expect(shown()).toHaveText('999 of 999 shown');
});

test('Colour by reconstruction error or KL recolours the points and shows the scale', async () => {
  const byClass = await canvasStats(embedding());
  await page.getByRole('combobox', { name: 'Colour by' }).selectOption('recon');
  const legend = page.getByRole('region', { name: 'Colour scale' });
  await expect(legend).toContainText('Reconstruction error (MSE per pixel)', { timeout: 60_000 });
  await expect(legend).toContainText(/≤ \S+/);
  const recon = await changedFrom(byClass.hash);
  await page.screenshot({ path: screenshotPath('embedding-colour-recon') });
  await page.getByRole('combobox', { name: 'Colour by' }).selectOption('kl');
  await expect(legend).toContainText('KL(q(z|x)');
  await changedFrom(recon);
  await page.getByRole('combobox', { name: 'Colour by' }).selectOption('class');
  await expect.poll(async () => (await canvasStats(embedding())).hash).toBe(byClass.hash);
});

test('a run on data with known factors colours its points by any factor', async () => {
  test.setTimeout(300_000);
  const folder = join(mkdtempSync(join(tmpdir(), 'le-e2e-map-glyphs-')), 'glyphs');
  try {
    const synth = spawnSync(process.execPath, [resolve('bin/latent-explorer.mjs'), 'synth', '--out', folder, '--count', '600', '--seed', '5'], { encoding: 'utf8' });
    expect(synth.status, synth.stderr).toBe(0);
    const conn = await connectHost(hostInfo.url);
    const { jobId, runDir } = await conn.client.request('train.start', { ref: folder, settings: { model: 'vae', arch: 'mlp', latent: 4, epochs: 1, batchSize: 100, lr: 0.002, seed: 1 } });
    await jobDone(conn.client, jobId);
    conn.close();
    await page.getByRole('button', { name: 'Refresh runs' }).click();
    await page.getByRole('button', { name: new RegExp(runDir.split('/').pop()!) }).click();
    await expect(page.getByRole('tab', { name: 'Embedding' })).toHaveAttribute('aria-selected', 'true');
    await expect(status()).toContainText(/t-SNE done/, { timeout: 120_000 });
    const colourBy = page.getByRole('combobox', { name: 'Colour by' });
    await expect(colourBy.locator('option', { hasText: /^factor: / })).not.toHaveCount(0);
    const factors = await colourBy.locator('option', { hasText: /^factor: / }).allTextContents();
    expect(factors.length).toBeGreaterThan(2);
    const before = await canvasStats(embedding());
    // (the first factor, shape, is also the class: the same colours)
    await colourBy.selectOption({ label: factors[1] });
    await expect(page.getByRole('region', { name: 'Colour scale' })).toContainText(factors[1].replace('factor: ', ''));
    const first = await changedFrom(before.hash);
    await page.screenshot({ path: screenshotPath('embedding-colour-factor') });
    await colourBy.selectOption({ label: factors[factors.length - 1] });
    await changedFrom(first);
  } finally {
    rmSync(resolve(folder, '..'), { recursive: true, force: true });
  }
});

test('decoder in the loop: hovering empty space shows the image decoded there, exact on the plane, interpolated on t-SNE', async () => {
  test.setTimeout(180_000);
  await openSample('mnist-vae-2d');
  await expect(status()).toContainText(/t-SNE done/, { timeout: 120_000 });
  const box = (await embedding().boundingBox())!;
  const tooltip = page.getByRole('tooltip', { name: 'Decoded here' });
  const decoded = page.getByRole('img', { name: 'Decoded image' });

  // t-SNE: a corner of the map is empty space; the image comes from the nearest points' codes.
  await page.mouse.move(box.x + 6, box.y + 6);
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText("interpolated from the 8 nearest points' codes");
  await expect.poll(async () => (await canvasStats(decoded)).ink).toBeGreaterThan(0.02);
  await page.screenshot({ path: screenshotPath('embedding-decoder-tsne') });

  // The raw plane of the 2-D code: exact, z = (x, y); two far-apart places decode differently.
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('plane');
  await expect(status()).toContainText('Raw latent means');
  // (the controls row is shorter now: the map moved)
  const plane = (await embedding().boundingBox())!;
  await page.mouse.move(plane.x + plane.width - 8, plane.y + 8);
  await expect(tooltip).toContainText(/exact: z = \(\d+\.\d\d, \d+\.\d\d\)/);
  await expect.poll(async () => (await canvasStats(decoded)).ink).toBeGreaterThan(0.02);
  const topRight = (await canvasStats(decoded)).hash;
  await page.screenshot({ path: screenshotPath('embedding-decoder-plane') });
  await page.mouse.move(plane.x + 8, plane.y + plane.height - 8);
  await expect(tooltip).toContainText(/exact: z = \(-\d+\.\d\d, -\d+\.\d\d\)/);
  await expect.poll(async () => (await canvasStats(decoded)).hash).not.toBe(topRight);
  // leaving the map hides it
  await page.mouse.move(plane.x + plane.width / 2, plane.y - 40);
  await expect(tooltip).toBeHidden();
  await page.getByRole('combobox', { name: 'Layout' }).selectOption('tsne');
});

/** Keeps a copy of a canvas's pixels in the page under `name` (WebGL canvases read through a 2-D copy). */
async function keepPixels(canvas: Locator, name: string): Promise<void> {
  await canvas.evaluate((c: HTMLCanvasElement, name: string) => {
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d')!;
    ctx.drawImage(c, 0, 0);
    (window as unknown as Record<string, Uint8ClampedArray>)[name] = ctx.getImageData(0, 0, c.width, c.height).data;
  }, name);
}

/** Of two kept pictures: pixels lit (not background) in either, and pixels that differ between them. */
async function comparePixels(a: string, b: string): Promise<{ lit: number; differ: number }> {
  return page.evaluate(([a, b]) => {
    const w = window as unknown as Record<string, Uint8ClampedArray>;
    const [p, q] = [w[a], w[b]];
    let lit = 0;
    let differ = 0;
    const bg = (d: Uint8ClampedArray, i: number) => Math.abs(d[i] - 0x10) + Math.abs(d[i + 1] - 0x12) + Math.abs(d[i + 2] - 0x17) < 30;
    for (let i = 0; i < p.length; i += 4) {
      if (!bg(p, i) || !bg(q, i)) lit++;
      if (Math.abs(p[i] - q[i]) + Math.abs(p[i + 1] - q[i + 1]) + Math.abs(p[i + 2] - q[i + 2]) > 30) differ++;
    }
    return { lit, differ };
  }, [a, b]);
}

test('panning moves the last full frame and the map is drawn afresh when the drag ends: the same picture as a full redraw there', async () => {
  await expect(status()).toContainText(/t-SNE done/);
  await page.mouse.move(0, 0);
  const map = embedding();
  await expect(map).toHaveAttribute('data-drawn', 'full');
  await keepPixels(map, 'before');
  const box = (await map.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 60, y + 40, { steps: 6 });
  // Held mid-drag: the frame shown is the last full one moved by (60, 40)…
  await expect(map).toHaveAttribute('data-drawn', 'moved');
  await keepPixels(map, 'moved');
  const shifted = await comparePixels('before', 'moved');
  expect(shifted.differ).toBeGreaterThan(0.5 * shifted.lit);
  await page.mouse.up();
  // …and released, every point is drawn for that view: the same picture (up to a point's rounding to pixels).
  await expect(map).toHaveAttribute('data-drawn', 'full');
  await keepPixels(map, 'settled');
  const settled = await comparePixels('moved', 'settled');
  expect(settled.lit).toBeGreaterThan(1000);
  expect(settled.differ).toBeLessThan(0.03 * settled.lit);
  // Back where it was: the first picture again.
  await page.mouse.move(x + 60, y + 40);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 6 });
  await page.mouse.up();
  await expect(map).toHaveAttribute('data-drawn', 'full');
  await keepPixels(map, 'back');
  const back = await comparePixels('before', 'back');
  expect(back.differ).toBeLessThan(0.03 * back.lit);
  // Zoomed in 4× (the map now reaches past the canvas), a drag past the snapshot's margin (a quarter
  // of the width) uncovers an edge; held there, the next move draws a new snapshot, so the picture
  // mid-drag is again the full one.
  await page.mouse.move(x, y);
  await page.mouse.wheel(0, -1000);
  await expect(map).toHaveAttribute('data-drawn', 'full');
  await page.mouse.down();
  await page.mouse.move(x + 320, y, { steps: 8 });
  await page.waitForTimeout(500);
  await page.mouse.move(x + 321, y);
  await expect(map).toHaveAttribute('data-drawn', 'moved');
  await keepPixels(map, 'far');
  await page.mouse.up();
  await expect(map).toHaveAttribute('data-drawn', 'full');
  await keepPixels(map, 'farSettled');
  const far = await comparePixels('far', 'farSettled');
  expect(far.lit).toBeGreaterThan(1000);
  expect(far.differ).toBeLessThan(0.03 * far.lit);
  await page.getByRole('button', { name: 'Reset zoom' }).click();
});

test('a lost WebGL context: the points are drawn on the 2-D fallback, and with WebGL2 again once it is restored', async () => {
  await expect(status()).toContainText(/t-SNE done/);
  await page.mouse.move(0, 0);
  const map = embedding();
  const fallback = page.getByTestId('points-fallback');
  await expect(map).toHaveAttribute('data-renderer', 'webgl2');
  await expect(fallback).toBeHidden();
  const before = await canvasStats(map);
  const shown = await inkOnScreen();
  expect(shown).toBeGreaterThan(300);

  // As a driver reset would: the browser takes the context away.
  await map.evaluate((c: HTMLCanvasElement) => {
    const lose = c.getContext('webgl2')!.getExtension('WEBGL_lose_context')!;
    (window as unknown as { loseContext: WEBGL_lose_context }).loseContext = lose;
    lose.loseContext();
  });
  await expect(map).toHaveAttribute('data-renderer', 'canvas2d');
  await expect(fallback).toBeVisible();
  // On screen the map is not blank: about as many lit pixels as before (squares instead of GL points).
  await expect.poll(inkOnScreen).toBeGreaterThan(0.5 * shown);
  expect(await inkOnScreen()).toBeLessThan(2.5 * shown);
  await page.screenshot({ path: screenshotPath('embedding-context-lost') });
  // Still a map to use: a click picks a point and sets the anchor.
  const { data, info } = await sharp(await map.screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let lit: [number, number] | null = null;
  for (let i = 0; i < data.length && !lit; i += 3) {
    const px = (i / 3) % info.width;
    const py = Math.floor(i / 3 / info.width);
    if (px > 20 && py > 20 && px < info.width - 20 && py < info.height - 20 && Math.abs(data[i] - 0x10) + Math.abs(data[i + 1] - 0x12) + Math.abs(data[i + 2] - 0x17) > 60) lit = [px, py];
  }
  expect(lit).not.toBeNull();
  await map.click({ position: { x: lit![0], y: lit![1] } });
  await expect(page.getByRole('region', { name: 'Anchor' })).toContainText(/Test image #\d+/);

  // Restored: WebGL2 draws again, the fallback goes away, and the picture is the one before the loss
  // (the anchor ring is on the overlay, not on this canvas).
  await page.evaluate(() => (window as unknown as { loseContext: WEBGL_lose_context }).loseContext.restoreContext());
  await expect(map).toHaveAttribute('data-renderer', 'webgl2');
  await expect(fallback).toBeHidden();
  await expect.poll(async () => (await canvasStats(map)).hash).toBe(before.hash);
  expect(await inkOnScreen()).toBeGreaterThan(0.9 * shown);
  await page.screenshot({ path: screenshotPath('embedding-context-restored') });
});

test('without WebGL2 the points are drawn on a 2-D canvas (forced with ?renderer=canvas2d), and still picked', async ({ browser }) => {
  test.setTimeout(180_000);
  const fallback = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  try {
    const url = new URL(hostInfo.url);
    url.searchParams.set('renderer', 'canvas2d');
    await fallback.goto(url.toString());
    await fallback.getByRole('tab', { name: 'Explore' }).click();
    await fallback.getByRole('button', { name: /^mnist-vae-2d\b/ }).click();
    const map = fallback.getByRole('img', { name: 'Embedding' });
    await expect(map).toHaveAttribute('data-renderer', 'canvas2d');
    await expect(fallback.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 120_000 });
    await expect.poll(async () => (await canvasStats(map)).ink).toBeGreaterThan(0.002);
    // the same picking: sweep until a point's tooltip shows
    const box = (await map.boundingBox())!;
    const tooltip = fallback.getByRole('tooltip', { name: 'Hovered image' });
    let found = false;
    for (let gy = 0.3; gy <= 0.7 && !found; gy += 0.05) {
      for (let gx = 0.3; gx <= 0.7 && !found; gx += 0.025) {
        await fallback.mouse.move(box.x + gx * box.width, box.y + gy * box.height);
        found = await tooltip.waitFor({ state: 'visible', timeout: 150 }).then(() => true, () => false);
      }
    }
    expect(found).toBe(true);
    await fallback.screenshot({ path: screenshotPath('embedding-canvas2d-fallback') });
  } finally {
    await fallback.close();
  }
});
