// Opening datasets from any entry point: the Home buttons, the menu, a dropped folder, Recent.
// A folder goes through the import dialog (options, live preview, progress); the bundled sample
// opens directly.
// The dialog itself (dataset/ImportHost.svelte) sits in App.svelte, outside the views, because a
// drop or the menu can start an import from any tab.
import { app, clientReady } from './app.svelte.ts';
import { SAMPLE_REF, showChanges, showOptions, startImport } from '../dataset/importer.svelte.ts';
import { errorMessage } from './errors.ts';

export async function openDataset(ref: string): Promise<void> {
  await clientReady;
  app.error = '';
  if (ref === SAMPLE_REF) await startImport(ref);
  else showOptions(ref);
}

/**
 * Reopens a dataset (Recent, `--open`): a folder imported before opens with its last options, from
 * the decoded-image cache when it is unchanged, without the dialog; a changed folder first says what
 * changed; a folder never imported here gets the dialog.
 */
export async function reopenDataset(ref: string): Promise<void> {
  const client = await clientReady;
  app.error = '';
  if (ref === SAMPLE_REF) return startImport(ref);
  let last;
  try {
    last = await client.request('dataset.lastImport', { ref });
  } catch (e) {
    app.error = errorMessage(e);
    return;
  }
  if (!last) showOptions(ref);
  else if (last.unchanged) await startImport(ref, last.options);
  else showChanges(last);
}

/** Native dialog where the host has one; otherwise the caller shows the folder browser. */
export async function pickFolder(showBrowser: () => void): Promise<void> {
  const client = await clientReady;
  try {
    const { path, browse } = await client.request('host.pickFolder', { title: 'Open an image folder' });
    if (browse) showBrowser();
    else if (path) await openDataset(path);
  } catch (e) {
    app.error = errorMessage(e);
  }
}
