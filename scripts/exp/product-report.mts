import { initBackend } from '../../electron/engine/backend.ts';
import { loadRun } from '../../electron/engine/training/run-file.ts';
import { loadSampleMnist } from '../../electron/engine/datasets/sample.ts';
import { styleDimensionReport } from '../../electron/engine/explorer/style-report.ts';
await initBackend();
const loaded = await loadRun(process.argv[2]);
const images = loadSampleMnist().images;
// grey: classify decoded images as shown; binarized input encodings as in the views
const report = await styleDimensionReport(process.env.GREY ? loaded.model : loaded, process.env.GREY ? { ...images, pixels: images.pixels.map((v) => (v >= 128 ? 255 : 0)) } : images, {});
for (const r of report.filter((r) => r.kl > 0.1)) console.log(`z${r.dim + 1} kl ${r.kl.toFixed(2)} leak ${r.leakage} name ${r.suggestedName} r ${r.correlation.toFixed(3)} | slant ${r.correlations.slant.toFixed(2)} thick ${r.correlations.thickness.toFixed(2)} width ${r.correlations.width.toFixed(2)} height ${r.correlations.height.toFixed(2)}`);
