// Folders given to the browser host as files (the folder picker, a drop): uploaded to the engine,
// kept in its data folder, then imported like a folder on disk (dialog, progress, skipped files);
// an upload shows its progress and Cancel leaves nothing behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test, expect, screenshotPath } from './fixtures.ts';
import { glyph, greyPng, tempDir } from '../unit/helpers/fixtures-datasets.ts';

const folders: string[] = [];
test.afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** moons 4, stars 3 (16 px), a corrupt image, an empty one, a text file and a hidden file. */
async function pickedFolder(): Promise<string> {
  const root = tempDir('e2e-upload');
  folders.push(root);
  let seed = 0;
  for (const [name, n] of [['moons', 4], ['stars', 3]] as const) {
    mkdirSync(join(root, name));
    for (let i = 0; i < n; i++) writeFileSync(join(root, name, `${name}-${i}.png`), await greyPng(glyph(16, seed++), 16, 16));
  }
  const good = await greyPng(glyph(16, 50), 16, 16);
  writeFileSync(join(root, 'stars', 'broken.png'), good.subarray(0, good.length >> 1));
  writeFileSync(join(root, 'moons', 'empty.png'), '');
  writeFileSync(join(root, 'notes.txt'), 'not an image');
  writeFileSync(join(root, '.hidden.png'), good);
  return root;
}

const uploadsOf = (dataDir: string) => (existsSync(join(dataDir, 'uploads')) ? readdirSync(join(dataDir, 'uploads')) : []);

test('a folder chosen with the browser’s folder picker is uploaded, then imported with the same skipped-file reasons', async ({ page, host }) => {
  const root = await pickedFolder();
  const before = uploadsOf(host.dataDir);
  await page.goto(host.url);
  await page.getByLabel('Folder to upload').setInputFiles(root);

  // The import dialog of the uploaded copy, as for a folder on disk.
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByText('8 image files found.')).toBeVisible();
  await page.screenshot({ path: screenshotPath('upload-import-dialog') });
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('images-used')).toHaveText('7');
  await expect(page.getByRole('table', { name: 'Images per class' }).getByRole('row')).toHaveText([/^moons\s*4$/, /^stars\s*3$/]);
  await expect(page.getByRole('list', { name: 'Skipped: truncated or corrupt image' })).toContainText('stars/broken.png');
  await expect(page.getByRole('list', { name: 'Skipped: empty file (0 bytes)' })).toContainText('moons/empty.png');
  await page.screenshot({ path: screenshotPath('upload-dataset') });

  // One folder in the data folder, named after the chosen one, holding exactly the images (not the text or hidden file).
  const added = uploadsOf(host.dataDir).filter((n) => !before.includes(n));
  expect(added).toHaveLength(1);
  expect(added[0]).toMatch(/^le-e2e-upload-.+-[0-9a-f]{12}$/);
  const copy = join(host.dataDir, 'uploads', added[0]);
  expect(readdirSync(copy).sort()).toEqual(['moons', 'stars']);
  expect(readFileSync(join(copy, 'moons', 'moons-1.png')).equals(readFileSync(join(root, 'moons', 'moons-1.png')))).toBe(true);
  await expect(page.getByRole('region', { name: 'Dataset' }).getByText(copy)).toBeVisible();
});

test('an upload shows its progress and Cancel leaves nothing in the data folder', async ({ page, host }) => {
  // 48 files of 4 MB (random bytes: the engine stores them, the import would skip them): many frames.
  const root = tempDir('e2e-upload-big');
  folders.push(root);
  for (let i = 0; i < 48; i++) writeFileSync(join(root, `${i}.jpg`), randomBytes(4 * 2 ** 20));
  const before = uploadsOf(host.dataDir);
  await page.goto(host.url);
  await page.getByLabel('Folder to upload').setInputFiles(root);
  const progress = page.getByRole('dialog', { name: 'Import progress' });
  await expect(progress.getByRole('heading', { name: /^Uploading le-e2e-upload-big-/ })).toBeVisible();
  await expect(progress.getByTestId('files-sent')).toHaveText(/^[1-9]\d* of 48$/);
  await page.screenshot({ path: screenshotPath('upload-progress') });
  await progress.getByRole('button', { name: 'Cancel upload' }).click();
  await expect(progress.getByRole('status', { name: 'Import outcome' })).toHaveText('Cancelled. Nothing was uploaded and nothing was saved.');
  await expect(progress.getByRole('button', { name: 'Back to options' })).toHaveCount(0);
  await expect.poll(() => uploadsOf(host.dataDir).filter((n) => !before.includes(n))).toEqual([]);
});

test('files dropped on the browser window are uploaded and open the import dialog', async ({ page, host }) => {
  await page.goto(host.url);
  const pngs = await Promise.all([0, 1, 2].map(async (i) => [...(await greyPng(glyph(16, 70 + i), 16, 16))]));
  const dataTransfer = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    files.forEach((bytes, i) => dt.items.add(new File([new Uint8Array(bytes)], `drop-${i}.png`, { type: 'image/png' })));
    return dt;
  }, pngs);
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByText('3 image files found.')).toBeVisible();
  await expect(dialog.getByRole('heading', { name: /^Import dropped-[0-9a-f]{12}$/ })).toBeVisible();
});

test('Home lists the uploaded folders with their size, and deletes the engine’s copy (never the folder it came from)', async ({ page, host }) => {
  const root = await pickedFolder();
  const before = uploadsOf(host.dataDir);
  await page.goto(host.url);
  await page.getByLabel('Folder to upload').setInputFiles(root);
  await expect(page.getByRole('dialog', { name: 'Import images' }).getByText('8 image files found.')).toBeVisible();
  const added = uploadsOf(host.dataDir).filter((n) => !before.includes(n));
  expect(added).toHaveLength(1);
  const copy = join(host.dataDir, 'uploads', added[0]);

  await page.goto(host.url); // back to Home
  const list = page.getByRole('list', { name: 'Uploaded folders' });
  const name = added[0].replace(/-[0-9a-f]{12}$/, '');
  const item = list.getByRole('listitem').filter({ has: page.getByRole('button', { name: `Open the uploaded folder ${name}` }) });
  // 9 files stored: 4 + 1 empty moons, 3 + 1 broken stars (the text and hidden files are not sent)
  const bytes = readdirSync(copy, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
  await expect(item.getByTestId('upload-facts')).toHaveText(new RegExp(`^9 files · ${bytes} B · uploaded `));
  await page.screenshot({ path: screenshotPath('home-uploaded-folders') });

  // The first question is declined: nothing goes. Then accepted.
  page.once('dialog', (d) => void d.dismiss());
  await item.getByRole('button', { name: `Delete the uploaded copy ${name}` }).click();
  await expect(item).toBeVisible();
  expect(existsSync(copy)).toBe(true);
  let question = '';
  page.once('dialog', (d) => {
    question = d.message();
    void d.accept();
  });
  await item.getByRole('button', { name: `Delete the uploaded copy ${name}` }).click();
  await expect(item).toHaveCount(0);
  expect(question).toMatch(/^Delete the uploaded copy .+ \(9 files, .+\) from the app's data folder\? The folder you uploaded from is not touched\.$/);
  expect(existsSync(copy)).toBe(false);
  expect(readdirSync(root).sort()).toEqual(['.hidden.png', 'moons', 'notes.txt', 'stars']);
});
