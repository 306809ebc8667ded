// Handlers of the explorer views' requests (see contract/explorer.ts). The decode paths do the least
// work possible per request: the session already holds the loaded decoder; one tf call, one read.
import { UserError } from '../../contract/errors.ts';
import type { HandlerMap } from '../context.ts';
import { startEmbedding } from '../explorer/embedding.ts';
import { classMeanCodes, manifoldCodes, traversalCodes } from '../explorer/grids.ts';
import { listRuns } from '../explorer/runs.ts';
import { suggestStyleNames } from '../explorer/style-names.ts';
import { linearLayout, neighboursOf, placeFiles, walkCodes } from '../explorer/explore.ts';
import { pointFacts, reconstructionErrors } from '../explorer/point-facts.ts';
import { readView, recentViews, saveView, seedLayoutCache } from '../explorer/saved-views.ts';
import { runFactorMetrics } from '../disentanglement/run-metrics.ts';
import { switchOnEpochs } from '../disentanglement/seed-agreement.ts';
import { SAMPLE_MNIST } from '../datasets/types.ts';
import { prewarmProjectionWorkers } from '../projections/projection-worker.ts';

const SNAPSHOT_NONE = (s: number | undefined | null) => (s === undefined || s === null ? undefined : s);

export const explorerHandlers: HandlerMap = {
  'explorer.runs': () => ({ runs: listRuns() }),

  'explorer.open': async ({ runDir }, ctx) => (await ctx.sessions.get(runDir)).info(),

  'explorer.close': async ({ runDir }, ctx) => ({ closed: await ctx.sessions.close(runDir) }),

  'explorer.decode': async ({ runDir, z, count, snapshot, privateValue }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const model = await session.modelFor(SNAPSHOT_NONE(snapshot));
    const pixels = await session.decodeWith(model, z, count, await session.decodeAs(privateValue, count));
    return { pixels, count, size: session.imageSize, channels: session.channels, modelEpoch: model.snapshot ?? session.modelEpoch };
  },

  'explorer.manifold': async ({ runDir, dims, range, grid, base, snapshot, privateValue }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const model = await session.modelFor(SNAPSHOT_NONE(snapshot));
    const z = manifoldCodes(session.latent, dims, range, grid, base);
    const pixels = await session.decodeWith(model, z, grid * grid, await session.decodeAs(privateValue, grid * grid));
    return { pixels, count: grid * grid, grid, size: session.imageSize, channels: session.channels, modelEpoch: model.snapshot ?? session.modelEpoch };
  },

  'explorer.traversal': async ({ runDir, dims, steps, range, base, privateValue }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const model = session.requireModel();
    const { z, values } = traversalCodes(session.latent, dims, steps, range, base);
    const pixels = await session.decodeWith(model, z, dims.length * steps, await session.decodeAs(privateValue, dims.length * steps));
    return { pixels, count: dims.length * steps, steps, dims, values, size: session.imageSize, channels: session.channels, modelEpoch: session.modelEpoch };
  },

  'explorer.neighbours': async ({ runDir, position, code, k, metric }, ctx) => neighboursOf(await ctx.sessions.get(runDir), { position, code, k, metric }),

  'explorer.walk': async ({ runDir, ends, steps, path, privateValue }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const model = session.requireModel();
    const codes = walkCodes(session.latent, { ends, steps, path });
    const pixels = await session.decodeWith(model, codes, steps, await session.decodeAs(privateValue, steps));
    return { pixels, count: steps, codes, size: session.imageSize, channels: session.channels, modelEpoch: session.modelEpoch };
  },

  'explorer.saveView': ({ view }) => saveView(view),

  'explorer.loadView': async ({ runDir }, ctx) => {
    const view = readView(runDir);
    if (view) await seedLayoutCache(await ctx.sessions.get(runDir), view);
    return { view };
  },

  'explorer.recentViews': () => ({ views: recentViews() }),

  'explorer.layout': async ({ runDir, layout }, ctx) => {
    const { map, coords } = await linearLayout(await ctx.sessions.get(runDir), layout);
    return { coords, axes: Float32Array.from(map.axes), mean: Float32Array.from(map.mean) };
  },

  'explorer.place': async ({ runDir, files, layout, k }, ctx) => placeFiles(await ctx.sessions.get(runDir), files, layout, k),

  'explorer.latents': async ({ runDir }, ctx) => {
    // The Embedding view asks for the latents before its first layout: start the layout workers now.
    prewarmProjectionWorkers();
    const session = await ctx.sessions.get(runDir);
    const e = await session.encode();
    return { means: e.means, labels: e.labels, indices: e.indices, latent: session.latent, count: e.count, total: e.total, capped: e.capped, modelEpoch: e.modelEpoch };
  },

  'explorer.embed': async ({ runDir, part, perplexity, iterations, seed, method, neighbours, minDist }, ctx) =>
    startEmbedding(await ctx.sessions.get(runDir), { part, perplexity, iterations, seed, method, neighbours, minDist }, ctx),

  'explorer.images': async ({ runDir, positions, reconstruct }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const e = await session.encode();
    if (!(positions instanceof Int32Array) || positions.length < 1 || positions.length > 1024)
      throw new UserError('positions must be an Int32Array of 1 to 1024 positions in the latents list.');
    for (const p of positions) if (p < 0 || p >= e.count) throw new UserError(`position ${p} is outside the latents list (0 to ${e.count - 1}).`);
    const indices = Array.from(positions, (p) => e.indices[p]);
    const pixels = session.modelInput(await session.gather(indices));
    const result: { pixels: Uint8Array; count: number; size: number; channels: number; reconstructions?: Uint8Array } = {
      pixels,
      count: positions.length,
      size: session.imageSize,
      channels: session.channels,
    };
    if (reconstruct) {
      // E[x | E[z|x]]: decode the cached means, no encoder pass needed (a fair VAE's with each image's own s, as encoded).
      const L = session.latent;
      const z = new Float32Array(positions.length * L);
      positions.forEach((p, k) => z.set(e.means.subarray(p * L, (p + 1) * L), k * L));
      const priv = session.privateOf(await session.dataset());
      result.reconstructions = await session.decodeWith(session.requireModel(), z, positions.length, priv ? Int32Array.from(indices, (i) => priv[i]) : undefined);
    }
    return result;
  },

  'explorer.reconstructions': async ({ runDir, count }, ctx) => {
    if (!Number.isInteger(count) || count < 1 || count > 256) throw new UserError(`count must be a whole number from 1 to 256 (got ${count}).`);
    return (await ctx.sessions.get(runDir)).reconstructions(count);
  },

  'explorer.factors': async ({ runDir }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const model = session.requireModel();
    const history = session.run.history;
    const ds = await session.dataset();
    const metrics = await runFactorMetrics(model, session.latent, ds.images);
    return {
      metrics,
      ...(metrics ? {} : { reason: `${ds.ref === SAMPLE_MNIST ? 'The MNIST sample' : ds.ref} has no factors.csv (a file column, then one column per known factor).` }),
      epochs: history.map((h) => h.epoch),
      klHistory: history.map((h) => h.testKlPerDim ?? []),
      switchOn: switchOnEpochs(history, session.latent),
      modelEpoch: session.modelEpoch,
    };
  },

  'explorer.classMeans': async ({ runDir }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const e = await session.encode();
    const classes = session.run.dataset.classNames.length;
    const { means, counts } = classMeanCodes(e.means, e.labels, session.latent, classes);
    return { means, counts, classes, latent: session.latent };
  },

  'explorer.styleNames': async ({ runDir, range = 2, steps = 9 }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    if (!session.style) throw new UserError(`${session.runDir}: only semi-supervised runs have style dimensions to name.`);
    if (!(range > 0 && range <= 5) || !Number.isInteger(steps) || steps < 3 || steps > 33) throw new UserError('range must be in (0, 5] and steps a whole number from 3 to 33.');
    const model = session.requireModel();
    const e = await session.encode();
    const L = session.latent;
    const classes = session.run.dataset.classNames.length;
    const { means } = classMeanCodes(e.means, e.labels, L, classes);
    // Each class code: z^X at 0, z^Y at the class mean; classes without test images are left out.
    const rows: number[] = [];
    for (let k = 0; k < classes; k++) if (!Number.isNaN(means[k * L])) rows.push(k);
    if (!rows.length) throw new UserError(`${session.runDir}: no labelled test images, so there are no class codes to sweep from.`);
    const codes = new Float32Array(rows.length * L);
    rows.forEach((k, r) => codes.set(means.subarray(k * L + session.style, (k + 1) * L), r * L + session.style));
    const dims = await suggestStyleNames({
      decode: (z, count) => session.decodeWith(model, z, count),
      latent: L,
      style: session.style,
      size: session.imageSize,
      channels: session.channels,
      classCodes: codes,
      classes: rows.length,
      range,
      steps,
    });
    return { dims };
  },

  'explorer.pointFacts': async ({ runDir }, ctx) => pointFacts(await ctx.sessions.get(runDir)),

  'explorer.reconErrors': async ({ runDir }, ctx) => {
    const session = await ctx.sessions.get(runDir);
    const errors = await reconstructionErrors(session);
    return { errors, modelEpoch: session.modelEpoch };
  },

  'explorer.setNames': async ({ runDir, names }, ctx) => ({ names: await (await ctx.sessions.get(runDir)).setNames(names) }),
};
