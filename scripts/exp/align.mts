// Experiment: apply alignStyleAxes to a trained run (copy) and save its networks back.
import { join } from 'node:path';
import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { openRunDataset } from '../../electron/engine/training/evaluate.ts';
import { alignStyleAxes } from '../../electron/engine/training/style-axes.ts';
import { saveModelToDir, writeDirAtomic } from '../../models/io.ts';
await initBackend();
const dir = process.argv[2];
const loaded = await loadRun(dir);
const ds = await openRunDataset(loaded.run);
const train = Array.from({ length: ds.images.count }, (_, i) => i).filter((i) => ds.images.split[i] === 0);
const t0 = performance.now();
const r = alignStyleAxes(loaded.model, ds.images, train, ds.options.binarize);
console.log(JSON.stringify(r?.axes), r?.dims.length, ((performance.now() - t0) / 1000).toFixed(1), 's');
for (const [name, net] of [['encoder', loaded.model.encoder], ['decoder', loaded.model.decoder]] as const) await writeDirAtomic(join(dir, name), (tmp) => saveModelToDir(net, tmp));
