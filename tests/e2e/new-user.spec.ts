// The flow a new user follows with their own photos, without opening the sample first: open a
// generated folder of colour images, import it, see the settings Train proposes for it (convolutional,
// a larger code, Gaussian, a time budget) with their reasons, train for a 1-minute budget, see the
// loss in units that explain a negative density, and explore the result. Screenshots of each step.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { test, expect, screenshotPath } from './fixtures.ts';
import { tempDir } from '../unit/helpers/fixtures-datasets.ts';

const folders: string[] = [];
test.afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** 3 classes x 120 colour photos of 32 px: a red disc, a green square, a blue bar, moved about on a noisy background. */
async function photoFolder(): Promise<string> {
  const root = tempDir('e2e-photos');
  folders.push(root);
  const S = 32;
  const classes = ['discs', 'squares', 'bars'];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (const [k, name] of classes.entries()) {
    mkdirSync(join(root, name));
    for (let i = 0; i < 120; i++) {
      const px = Buffer.alloc(S * S * 3);
      const cx = 10 + rnd() * 12;
      const cy = 10 + rnd() * 12;
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const o = (y * S + x) * 3;
          const inside = k === 0 ? Math.hypot(x - cx, y - cy) < 7 : k === 1 ? Math.abs(x - cx) < 6 && Math.abs(y - cy) < 6 : Math.abs(y - cy) < 3;
          const colour = inside ? [[220, 40, 40], [40, 200, 60], [50, 70, 230]][k] : [90 + x * 2, 90 + y * 2, 110];
          for (let c = 0; c < 3; c++) px[o + c] = Math.max(0, Math.min(255, colour[c] + (rnd() - 0.5) * 30));
        }
      }
      writeFileSync(join(root, name, `${i}.jpg`), await sharp(px, { raw: { width: S, height: S, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
    }
  }
  return root;
}

test('a new user opens a folder of colour photos, trains with the proposed settings for a minute, and explores', async ({ page, host }) => {
  test.setTimeout(420_000);
  const root = await photoFolder();
  await page.goto(host.url);

  // 1. Open the folder (not the sample): the import dialog proposes 28 px (small images) in RGB.
  await page.getByRole('button', { name: 'Open folder…' }).click();
  const browser = page.getByRole('dialog', { name: 'Choose an image folder' });
  await browser.getByLabel('Folder path').fill(root);
  await browser.getByRole('button', { name: 'Open this folder' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import images' });
  await expect(dialog.getByLabel('Image size (px)')).toHaveValue('28');
  await expect(dialog.getByLabel('Channels')).toHaveValue('3');
  await page.screenshot({ path: screenshotPath('new-user-1-import') });
  await dialog.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('images-used')).toHaveText('360');
  await page.screenshot({ path: screenshotPath('new-user-2-dataset') });

  // 2. Train proposes settings for colour photos, each with its reason.
  await page.getByRole('tab', { name: 'Train' }).click();
  const form = page.getByRole('form', { name: 'Training settings' });
  await expect(form.getByLabel('Architecture')).toHaveValue('conv');
  await expect(page.getByTestId('reason-arch')).toHaveText(/^Convolutional: colour images \(28×28 RGB\)/);
  await expect(form.getByLabel('Latent dimensions')).toHaveValue('16');
  await expect(page.getByTestId('reason-latent')).toContainText('2,352 values per image');
  await expect(form.getByLabel('Likelihood')).toHaveValue('gaussian');
  await expect(page.getByTestId('reason-likelihood')).toContainText('can be negative');
  await expect(form.getByRole('radio', { name: 'Time budget' })).toBeChecked();
  await expect(form.getByRole('spinbutton', { name: 'Minutes' })).toHaveValue('1');
  await expect(form.getByRole('spinbutton', { name: 'Minutes' })).toBeEnabled();
  await expect(form.getByRole('spinbutton', { name: 'Epochs' })).toBeDisabled();
  await expect(page.getByTestId('reason-duration')).toHaveText(/^Train for 1 min/);
  // A changed setting shows what was proposed.
  await form.getByLabel('Architecture').selectOption('mlp');
  await expect(page.getByTestId('reason-arch')).toHaveText(/^Proposed: Convolutional\./);
  await form.getByLabel('Architecture').selectOption('conv');
  await page.screenshot({ path: screenshotPath('new-user-3-proposed-settings') });

  // 3. Train for the 1-minute budget: the epochs are estimated, the run ends by itself.
  const started = Date.now();
  await form.getByRole('button', { name: 'Start training' }).click();
  const state = page.getByRole('status', { name: 'Training state' });
  await expect(state).toHaveText('running');
  await expect(state).toHaveText('done', { timeout: 300_000 });
  const seconds = (Date.now() - started) / 1000;
  // Within the budget plus one epoch and the start-up (a loaded machine is slow to start).
  expect(seconds).toBeLessThan(60 + 90);
  await expect(page.getByTestId('loss-units')).toContainText('density over 2,352 continuous values, so it can be negative; bits/dim');
  const table = page.getByRole('table', { name: 'Epoch results' });
  await expect(table.getByRole('columnheader', { name: 'test bits/dim' })).toBeVisible();
  expect(await table.getByRole('row').count()).toBeGreaterThan(1);
  await page.screenshot({ path: screenshotPath('new-user-4-trained'), fullPage: true });

  // 4. Explore the result.
  await page.getByRole('button', { name: 'Explore this run' }).click();
  await expect(page.getByRole('tab', { name: 'Explore' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Embedding' })).toBeVisible();
  await page.waitForTimeout(3000);
  await page.screenshot({ path: screenshotPath('new-user-5-explore') });
});
