// The style tools in Chromium through the browser host, on the shipped semi-supervised sample run:
// the Style view lists its style dimensions with KL and class leakage (inactive ones folded away);
// two groups lassoed in Embedding become a named style slider that moves the image; the slider's
// direction is saved (it is there after a reload); style transfer shows a test image in every class.
// Screenshots go to screenshots/.
import type { Browser, Locator, Page } from '@playwright/test';
import { test, expect, screenshotPath } from './fixtures.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;

/** A hash of a canvas's pixels, read in the page. */
async function canvasHash(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    return hash;
  });
}

async function openSample(): Promise<void> {
  await page.getByRole('tab', { name: 'Explore' }).click();
  await page.getByRole('button', { name: 'Refresh runs' }).click();
  await page.getByRole('button', { name: /mnist-ssvae/ }).click();
  await expect(page.getByTestId('run-summary')).toContainText(/semi-supervised/);
}

/** Drags a lasso around the rectangle (fractions of the embedding canvas). */
async function lasso(x0: number, y0: number, x1: number, y1: number): Promise<void> {
  const canvas = page.getByRole('img', { name: 'Embedding' });
  await canvas.evaluate((c) => c.scrollIntoView({ block: 'center' }));
  const box = (await canvas.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(x0, y0));
  await page.mouse.down();
  for (const [fx, fy] of [[x1, y0], [x1, y1], [x0, y1], [x0, y0]]) await page.mouse.move(...at(fx, fy), { steps: 6 });
  await page.mouse.up();
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: { url: string } }) => {
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  await page?.close();
});

test('Style lists the style dimensions by KL with their class leakage; inactive ones fold away', async () => {
  await openSample();
  await page.getByRole('tab', { name: 'Style' }).click();
  const status = page.getByRole('status', { name: 'Style report status' });
  await expect(status).toContainText(/\d+ of \d+ style dimensions active/, { timeout: 90_000 });
  const sliders = page.getByLabel('Style dimensions');
  const shown = await sliders.locator('[data-dim]').count();
  expect(shown).toBeGreaterThan(0);
  // every shown dimension says its KL and leakage
  await expect(sliders.getByTestId('leakage').first()).toContainText(/(leakage|leaks into class) \d+%/);
  const report = page.getByRole('region', { name: 'Style dimension report' });
  await expect(report.locator('tbody tr')).toHaveCount(shown);
  // KL in the table goes down the rows
  const kls = (await report.locator('tbody tr td:nth-child(3)').allTextContents()).map(Number);
  expect(kls).toEqual([...kls].sort((a, b) => b - a));
  const total = Number((await status.textContent())!.match(/of (\d+) style/)![1]);
  if (shown < total) {
    await page.getByText(/^Show inactive/).click();
    await expect(report.locator('tbody tr')).toHaveCount(total);
    await page.getByText(/^Show inactive/).click();
  }
});

test('two groups lassoed in Embedding become a style slider that moves the image, saved in the run', async () => {
  test.setTimeout(300_000);
  await page.getByRole('tab', { name: 'Embedding' }).click();
  await expect(page.getByRole('status', { name: 'Embedding status' })).toContainText(/t-SNE done/, { timeout: 180_000 });
  await page.getByRole('radio', { name: 'Lasso select' }).click();
  const groups = page.getByTestId('direction-groups');
  await lasso(0.02, 0.02, 0.5, 0.98);
  await expect(page.getByRole('region', { name: 'Selected images' })).toContainText(/\d+ selected/);
  await page.getByRole('button', { name: 'Use as group A' }).click();
  await lasso(0.5, 0.02, 0.98, 0.98);
  await page.getByRole('button', { name: 'Use as group B' }).click();
  await expect(groups).toContainText(/A: [1-9]\d* · B: [1-9]\d* images/);
  await page.getByRole('group', { name: 'Style direction groups' }).getByLabel('Direction name').fill('left to right');
  await page.getByRole('button', { name: 'Make style slider' }).click();

  // The Style view opens with the new slider, which shows its leakage; moving it redraws the image.
  await expect(page.getByRole('tab', { name: 'Style' })).toHaveAttribute('aria-selected', 'true');
  const slider = page.getByRole('slider', { name: 'left to right' });
  await expect(slider).toBeVisible();
  const row = page.locator('[data-direction="left to right"]');
  await expect(row.getByTestId('leakage')).toContainText(/\d+%/);
  const main = page.getByRole('img', { name: 'Styled image' });
  await expect(main).toHaveAttribute('data-frame', /[1-9]/);
  const strip = page.getByRole('img', { name: 'Same style, every class' });
  const before = { main: await canvasHash(main), strip: await canvasHash(strip) };
  await slider.fill('3');
  await expect.poll(() => canvasHash(main), { timeout: 15_000 }).not.toBe(before.main);
  await expect.poll(() => canvasHash(strip), { timeout: 15_000 }).not.toBe(before.strip);
  await page.screenshot({ path: screenshotPath('style-view'), fullPage: true });
  await slider.fill('-3');
  const after = await canvasHash(main);
  expect(after).not.toBe(before.main);

  // Saved in the run: a reloaded app has it.
  await page.reload();
  await openSample();
  await page.getByRole('tab', { name: 'Style' }).click();
  await expect(page.getByRole('slider', { name: 'left to right' })).toBeVisible();
});

test('style transfer shows a test image in every class', async () => {
  const panel = page.getByRole('region', { name: 'Style transfer' });
  await panel.getByRole('spinbutton', { name: 'Test image' }).fill('5');
  const classes = panel.getByRole('img', { name: 'Its style in every class' });
  await expect(classes).toBeVisible();
  const first = await canvasHash(classes);
  await panel.getByRole('spinbutton', { name: 'Test image' }).fill('6');
  await expect.poll(() => canvasHash(classes)).not.toBe(first);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('style-transfer') });
});

test('Traversal marks each style dimension with its class leakage and suggested name', async () => {
  await page.getByRole('tab', { name: 'Traversal' }).click();
  await expect(page.getByRole('region', { name: 'Traversals' }).or(page.getByLabel('Traversals')).getByTestId('leakage').first()).toContainText(/\d+%/);
  await page.screenshot({ path: screenshotPath('style-traversal') });
});

test("the style sweep's Export starts from the view: its sliders, the style GIF's own defaults", async () => {
  await page.getByRole('tab', { name: 'Style' }).click();
  await page.getByRole('figure').filter({ hasText: 'Same style, every class' }).getByRole('button', { name: 'Export GIF…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Style sweep GIF' });
  await expect(dialog).toBeVisible();
  // the view's slider values come along, and can be left out
  await expect(dialog.getByLabel('Other style sliders as in the view')).toBeChecked();
  // defaults are the style GIF's (EXPORT_DEFAULTS), the bounds EXPORT_LIMITS'
  await expect(dialog.getByLabel('Frames')).toHaveValue('30');
  await expect(dialog.getByLabel('Frames')).toHaveAttribute('max', '64');
  await expect(dialog.getByLabel('Range ± (prior sd)')).toHaveValue('3');
  await expect(dialog.getByLabel('Pixel scale')).toHaveValue('4');
  await expect(dialog.getByRole('img', { name: 'Preview of the first frame' })).toBeVisible({ timeout: 30_000 });
  await expect(dialog.locator('figcaption')).toContainText('58 frames'); // ping-pong: 2·30 − 2
  await page.screenshot({ path: screenshotPath('style-export-dialog') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
});
