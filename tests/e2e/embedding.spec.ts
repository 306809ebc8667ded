// The Embedding view on the shipped sample runs, in Chromium through the browser host: the layout
// picker (t-SNE, UMAP, PCA, raw dimensions) redraws the map, each picture checked by its pixels.
// Screenshots go to screenshots/.
import type { Browser, Locator, Page } from '@playwright/test';
import { test, expect, screenshotPath, type Host } from './fixtures.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;

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
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
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
