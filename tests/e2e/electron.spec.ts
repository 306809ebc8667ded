// The Electron window, where an Electron binary exists. Where it does not (no GitHub access), the
// test is skipped and says so.
import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
function electronBinary(): string | null {
  try {
    const path = require('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();
if (!binary) console.log('SKIPPED: Electron end-to-end test — no Electron binary on this machine (its download needs GitHub).');

/** A display for the window: the session's, or an Xvfb of our own on a headless machine. */
async function display(): Promise<{ env: Record<string, string>; stop(): void }> {
  if (process.env.DISPLAY) return { env: {}, stop: () => {} };
  const { spawn } = await import('node:child_process');
  const xvfb = spawn('Xvfb', [':97', '-screen', '0', '1400x950x24'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 800));
  return { env: { DISPLAY: ':97' }, stop: () => xvfb.kill() };
}

test('Electron window opens the app with a secure renderer', async () => {
  test.skip(!binary, 'no Electron binary on this machine (its download needs GitHub)');
  const screen = await display();
  test.info().annotations.push({ type: 'display', description: screen.env.DISPLAY ?? process.env.DISPLAY ?? '' });
  const app = await electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, ...screen.env } as Record<string, string> });
  const window = await app.firstWindow();
  await expect(window.getByRole('heading', { name: 'MNIST sample' })).toBeVisible();
  // contextIsolation + no nodeIntegration: the page sees neither require nor process.
  expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
  await window.getByRole('button', { name: 'Open MNIST sample' }).click();
  await window.getByRole('button', { name: 'Start training' }).click();
  await expect.poll(async () => Number(await window.getByRole('img', { name: 'Loss chart' }).getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(3);
  await window.screenshot({ path: 'screenshots/electron.png' });
  await app.close();
  screen.stop();
});
