// Files sent by the renderer into a new folder of the data directory (a browser's dropped or picked
// folder); see uploads/store.ts. The folder's path is then opened like any folder on disk.
import type { HandlerMap } from '../context.ts';
import { listRuns } from '../explorer/runs.ts';
import { listUploads, removeUpload } from '../uploads/store.ts';
import { forgetDataset } from '../workspace.ts';

export const uploadHandlers: HandlerMap = {
  'upload.begin': ({ name, files, bytes }, ctx) => ctx.uploads.begin(name, files, bytes),
  'upload.files': ({ uploadId, files }, ctx) => ctx.uploads.receive(uploadId, files),
  'upload.finish': ({ uploadId }, ctx) => ctx.uploads.finish(uploadId),
  'upload.cancel': ({ uploadId }, ctx) => ctx.uploads.cancel(uploadId),
  'upload.list': () => {
    const runs = listRuns().filter((r) => r.source === 'data');
    return { uploads: listUploads().map((u) => ({ ...u, runs: runs.filter((r) => r.dataset === u.path).length })) };
  },
  'upload.remove': ({ path }) => {
    const result = removeUpload(path);
    if (result.removed) forgetDataset(path);
    return result;
  },
};
