// The Compare page in Chromium through the browser host, on the three shipped sample runs: it lists
// them with their test −ELBO (and accuracy for the semi-supervised one), a header click sorts the rows
// by that column and a second click reverses them, and the scatter plot draws one point per run that
// has both values. Screenshot: screenshots/compare.png.
import type { Browser, Page } from '@playwright/test';
import { test, expect, screenshotPath } from './fixtures.ts';

test.describe.configure({ mode: 'serial' });

const SAMPLE_RUNS = ['mnist-beta-vae-10d', 'mnist-ssvae', 'mnist-vae-2d'];
let page: Page;

/** The run names down the table, top to bottom. */
const rowNames = () => page.getByRole('table', { name: 'Runs compared on their test images' }).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));

/** The numbers of one column, top to bottom (NaN for '—'). */
async function column(label: string): Promise<number[]> {
  const table = page.getByRole('table', { name: 'Runs compared on their test images' });
  const headers = await table.locator('thead th').allTextContents();
  const k = headers.findIndex((h) => h.replace(/[▲▼]/g, '').trim() === label);
  expect(k, `column ${label} in ${headers.join(' | ')}`).toBeGreaterThanOrEqual(0);
  const cells = await table.locator('tbody tr').evaluateAll((trs, k) => trs.map((tr) => tr.children[k].textContent ?? ''), k);
  return cells.map((c) => Number.parseFloat(c.replace('%', '')));
}

test.beforeAll(async ({ browser, host }: { browser: Browser; host: { url: string } }) => {
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(host.url);
});

test.afterAll(async () => {
  await page?.close();
});

test('Compare lists the sample runs with their test −ELBO, active units and accuracy', async () => {
  await page.getByRole('tab', { name: 'Compare' }).click();
  const table = page.getByRole('table', { name: 'Runs compared on their test images' });
  await expect(table.locator('tbody tr')).toHaveCount(SAMPLE_RUNS.length, { timeout: 120_000 });
  expect((await rowNames()).sort()).toEqual(SAMPLE_RUNS);
  await expect(page.getByRole('status')).toHaveCount(0, { timeout: 120_000 }); // evaluation finished
  for (const value of await column('−ELBO')) expect(value).toBeGreaterThan(50); // nats per MNIST image
  expect(await column('AU')).toEqual(expect.arrayContaining([2])); // the 2-D VAE uses both dimensions
  // Only the semi-supervised run has an accuracy; the sample has no factors, so MIG is not a column.
  const accuracy = await column('Accuracy');
  expect(accuracy.filter((v) => !Number.isNaN(v))).toHaveLength(1);
  expect(accuracy.find((v) => !Number.isNaN(v))).toBeGreaterThan(80);
  await expect(page.getByText(/MIG, SAP and DCI need a factors\.csv/)).toBeVisible();
});

test('a header click sorts the rows by that column, a second click reverses them', async () => {
  const header = page.getByRole('columnheader', { name: /−ELBO/ });
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await column('−ELBO');
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
  const first = await rowNames();
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  expect(await column('−ELBO')).toEqual([...ascending].reverse());
  expect(await rowNames()).toEqual([...first].reverse());
  // Active units sort best (most) first.
  await page.getByRole('columnheader', { name: /^AU/ }).getByRole('button').click();
  const au = await column('AU');
  expect(au).toEqual([...au].sort((a, b) => b - a));
});

test('the scatter plot draws one point per run with both values', async () => {
  const plot = page.getByRole('img', { name: /^Scatter plot of active units against test −ELBO/ });
  await expect(plot.getByTestId('scatter-point')).toHaveCount(SAMPLE_RUNS.length);
  // Points sit where their values say: more active units is higher up (smaller y).
  const ys = await plot.getByTestId('scatter-point').evaluateAll((gs) => gs.map((g) => ({ run: g.getAttribute('data-run'), y: Number(g.querySelector('circle')!.getAttribute('cy')) })));
  const y = Object.fromEntries(ys.map((p) => [p.run, p.y]));
  expect(y['mnist-ssvae']).toBeLessThan(y['mnist-vae-2d']); // 16 active units above 2
  await page.screenshot({ path: screenshotPath('compare'), fullPage: true });
  // Accuracy exists for one run only: one point, and the others are said to be left out.
  await page.getByLabel('Scatter y axis').selectOption('accuracy');
  await expect(page.getByRole('img', { name: /^Scatter plot of accuracy against test −ELBO/ }).getByTestId('scatter-point')).toHaveCount(1);
  await expect(page.getByText('2 runs without both values not drawn')).toBeVisible();
});
