// Reopening a folder imported before: Recent and --open (the `open` URL parameter) open it with its
// last options from the cache, without the import dialog; a changed folder first says what changed;
// "Re-import with other options…" stays one click away on the dataset page.
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, screenshotPath } from './fixtures.ts';
import { glyph, greyPng, tempDir } from '../unit/helpers/fixtures-datasets.ts';

const folders: string[] = [];
test.afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** circles 6, crosses 6 (20 px grey glyphs). */
async function shapesFolder(): Promise<string> {
  const root = tempDir('e2e-reopen');
  folders.push(root);
  let seed = 0;
  for (const name of ['circles', 'crosses']) {
    mkdirSync(join(root, name));
    for (let i = 0; i < 6; i++) writeFileSync(join(root, name, `${name}-${i}.png`), await greyPng(glyph(20, seed++), 20, 20));
  }
  return root;
}

test('Recent and --open reopen an imported folder as last time without the dialog; a changed folder says what changed', async ({ page, host }) => {
  const root = await shapesFolder();
  await page.goto(host.url);

  // First import through the dialog, at 16 px (not the suggested 28).
  await page.getByRole('button', { name: 'Open folder…' }).click();
  const browser = page.getByRole('dialog', { name: 'Choose an image folder' });
  await browser.getByLabel('Folder path').fill(root);
  await browser.getByRole('button', { name: 'Open this folder' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await dialog.getByLabel('Image size (px)').fill('16');
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('images-used')).toHaveText('12');
  const dataset = page.getByRole('region', { name: 'Dataset' });
  await expect(dataset.getByText('16×16 px, fit contain')).toBeVisible();

  // Recent: one click opens it as last time, from the cache, and no dialog ever shows.
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.evaluate(() => {
    const w = window as unknown as { dialogsSeen: string[] };
    w.dialogsSeen = [];
    new MutationObserver(() => {
      for (const d of document.querySelectorAll('[role="dialog"]')) w.dialogsSeen.push(d.getAttribute('aria-label') ?? '');
    }).observe(document.body, { subtree: true, childList: true });
  });
  await page.getByRole('button', { name: `Open ${root}` }).click();
  await expect(page.getByRole('tab', { name: 'Dataset' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('open-time')).toContainText('(from cache)');
  await expect(dataset.getByText('16×16 px, fit contain')).toBeVisible();
  const seen = await page.evaluate(() => (window as unknown as { dialogsSeen: string[] }).dialogsSeen);
  expect(seen.filter((d) => d !== 'Import progress')).toEqual([]);
  await page.screenshot({ path: screenshotPath('reopen-from-recent') });

  // --open (the host passes ?open=): the same, in a fresh page.
  await page.goto(`${host.url}&open=${encodeURIComponent(root)}`);
  await expect(page.getByTestId('open-time')).toContainText('(from cache)');
  await expect(dataset.getByText('16×16 px, fit contain')).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // Re-import with other options: one click from the dataset page.
  await dataset.getByRole('button', { name: 'Re-import with other options…' }).click();
  await expect(dialog.getByLabel('Image size (px)')).toHaveValue('16');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  // The folder changes: one image added, one removed. Recent says so before re-importing.
  writeFileSync(join(root, 'circles', 'circles-new.png'), await greyPng(glyph(20, 50), 20, 20));
  unlinkSync(join(root, 'crosses', 'crosses-0.png'));
  await page.getByRole('tab', { name: 'Home' }).click();
  await page.getByRole('button', { name: `Open ${root}` }).click();
  const changed = page.getByRole('dialog', { name: 'Folder changed' });
  await expect(changed.getByTestId('folder-changes')).toHaveText('1 added (circles/circles-new.png), 1 removed (crosses/crosses-0.png).');
  await page.screenshot({ path: screenshotPath('reopen-folder-changed') });
  await changed.getByRole('button', { name: 'Re-import with the same options' }).click();
  await expect(page.getByRole('tab', { name: 'Dataset' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('images-used')).toHaveText('12');
  await expect(page.getByRole('table', { name: 'Images per class' }).getByRole('row')).toHaveText([/^circles\s*7$/, /^crosses\s*5$/]);
  await expect(page.getByTestId('open-time')).not.toContainText('(from cache)');
  await expect(dataset.getByText('16×16 px, fit contain')).toBeVisible();
});
