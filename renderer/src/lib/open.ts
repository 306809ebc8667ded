// Opening datasets from any entry point: the Home buttons, the menu, a dropped folder, Recent.
import { app } from './app.svelte.ts';

export async function openDataset(ref: string): Promise<void> {
  if (!app.client) return;
  app.error = '';
  try {
    const { jobId } = await app.client.request('dataset.open', { ref });
    app.opening = { jobId, ref, message: `Opening ${ref}…` };
  } catch (e) {
    app.error = (e as Error).message;
  }
}

/** Native dialog where the host has one; otherwise the caller shows the folder browser. */
export async function pickFolder(showBrowser: () => void): Promise<void> {
  if (!app.client) return;
  const { path, browse } = await app.client.request('host.pickFolder', { title: 'Open an image folder' });
  if (browse) showBrowser();
  else if (path) await openDataset(path);
}
