// Uploading a folder from the browser (the browser host's "Upload folder…", i.e. <input
// webkitdirectory>): 20,000 JPEG photos of 256 px (236 MB), from the moment the folder is chosen to
// the import dialog of the engine's copy. Reference in the same process: copying the same folder
// with fs.cpSync on the same disk (what any upload has to do at least).
// Usage: npm run build && npm run bench -- upload
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { startServe } from './_views-client.ts';
import { generatePhotos } from './_photos.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHOTOS = 20_000;
const PHOTO_FOLDER = '/tmp/latent-explorer-bench-photos20k';

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile() && !entry.name.startsWith('.')) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

await generatePhotos(PHOTO_FOLDER, PHOTOS);
const bytes = folderBytes(PHOTO_FOLDER);
const mb = bytes / 2 ** 20;
const dataDir = mkdtempSync(join(tmpdir(), 'le-bench-upload-'));
const { url, child } = await startServe(dataDir);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
try {
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on 2 cores (shared machine)`);
  const copyDir = mkdtempSync(join(tmpdir(), 'le-bench-copy-'));
  let started = performance.now();
  cpSync(PHOTO_FOLDER, join(copyDir, 'copy'), { recursive: true });
  const copySec = (performance.now() - started) / 1000;
  rmSync(copyDir, { recursive: true, force: true });
  console.log(`reference   fs.cpSync of the folder: ${copySec.toFixed(1)} s (${(mb / copySec).toFixed(0)} MB/s, ${(PHOTOS / copySec).toFixed(0)} files/s)`);

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await page.goto(url);
  started = performance.now();
  await page.getByLabel('Folder to upload').setInputFiles(PHOTO_FOLDER);
  await page.getByRole('dialog', { name: 'Import images' }).waitFor({ timeout: 600_000 });
  const uploadSec = (performance.now() - started) / 1000;
  console.log(
    `upload      ${PHOTOS.toLocaleString()} files, ${mb.toFixed(0)} MB, browser → engine copy: ${uploadSec.toFixed(1)} s (${(mb / uploadSec).toFixed(0)} MB/s, ${(PHOTOS / uploadSec).toFixed(0)} files/s), ${(uploadSec / copySec).toFixed(1)}x the plain copy`,
  );
  const copies = readdirSync(join(dataDir, 'uploads')).filter((n) => !n.startsWith('.'));
  if (copies.length !== 1 || folderBytes(join(dataDir, 'uploads', copies[0])) !== bytes) throw new Error('the engine’s copy does not hold the folder’s bytes');
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await browser.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
