// The Embedding view's layout: t-SNE of the latent means (all of them, or the style or class part of
// a semi-supervised code), run as a job whose frames stream out as explorer.embedFrame events.
import type { EmbedMethod, LatentPart } from '../../contract/explorer.ts';
import { CancelledError, UserError } from '../../contract/errors.ts';
import type { EngineContext } from '../context.ts';
import type { TsneFrame, TsneOptions } from '../projections/tsne.ts';
import { TsneOptimizer } from '../projections/tsne.ts';
import { runTsne } from '../projections/tsne-runner.ts';
import { runUmap } from '../projections/umap-runner.ts';
import { checkMemory, estimateTsneBytes } from '../memory.ts';
import { throttle } from '../jobs.ts';
import type { RunSession } from './session.ts';
import { sliceColumns } from './session.ts';

export interface EmbedSettings {
  part: LatentPart;
  perplexity: number;
  iterations: number;
  seed: number;
  /** Default t-SNE. */
  method?: EmbedMethod;
  /** UMAP's neighbours per point (default 15) and minimum distance (default 0.1). */
  neighbours?: number;
  minDist?: number;
}

/** Columns of the code a part covers. */
export function partColumns(session: RunSession, part: LatentPart): [number, number] {
  const L = session.latent;
  const S = session.style;
  if (part === 'all' || part === undefined) return [0, L];
  if (!S) throw new UserError(`Only semi-supervised runs have a ${part} part; this run is a ${session.run.model.objective}.`);
  return part === 'style' ? [0, S] : [S, L];
}

export function checkEmbedSettings(s: EmbedSettings): void {
  if (s.method !== undefined && s.method !== 'tsne' && s.method !== 'umap') throw new UserError(`method must be tsne or umap (got ${JSON.stringify(s.method)}).`);
  if (s.method === 'umap') {
    if (s.neighbours !== undefined && (!Number.isInteger(s.neighbours) || s.neighbours < 2 || s.neighbours > 200)) throw new UserError(`neighbours must be a whole number from 2 to 200 (got ${s.neighbours}).`);
    if (s.minDist !== undefined && !(s.minDist >= 0 && s.minDist <= 1)) throw new UserError(`minDist must be between 0 and 1 (got ${s.minDist}).`);
  }
  if (!['all', 'style', 'class'].includes(s.part)) throw new UserError(`part must be all, style or class (got ${s.part}).`);
  if (!(s.perplexity >= 2 && s.perplexity <= 100)) throw new UserError(`perplexity must be between 2 and 100 (got ${s.perplexity}).`);
  if (!Number.isInteger(s.iterations) || s.iterations < 50 || s.iterations > 5000) throw new UserError(`iterations must be a whole number from 50 to 5000 (got ${s.iterations}).`);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new UserError(`seed must be a whole number >= 0 (got ${s.seed}).`);
}

export const layoutKey = (version: number, s: EmbedSettings) =>
  s.method === 'umap'
    ? `${version}|umap|${s.part}|${s.neighbours ?? 15}|${s.minDist ?? 0.1}|${s.iterations}|${s.seed}`
    : `${version}|${s.part}|${s.perplexity}|${s.iterations}|${s.seed}`;

type Runner = (data: Float32Array, n: number, dim: number, options: TsneOptions, onFrame: (f: TsneFrame) => void, signal: AbortSignal) => Promise<Float32Array>;

/**
 * Fallback when the worker entry is missing (a build without it): steps in slices of ~8 ms with a
 * yield between them, so decode requests keep their latency while a layout forms.
 */
const cooperativeTsne: Runner = async (data, n, dim, options, onFrame, signal) => {
  const opt = new TsneOptimizer(data, n, dim, options);
  onFrame({ iteration: 0, iterations: opt.iterations, coords: opt.coords(), done: false });
  await new Promise((r) => setImmediate(r));
  opt.prepare(signal);
  let kl: number | undefined;
  while (opt.iteration < opt.iterations) {
    const t0 = performance.now();
    while (opt.iteration < opt.iterations && performance.now() - t0 < 8) kl = opt.step(opt.iteration === opt.iterations - 1);
    if (signal.aborted) throw new CancelledError('t-SNE cancelled');
    if (opt.iteration < opt.iterations) onFrame({ iteration: opt.iteration, iterations: opt.iterations, coords: opt.coords(), done: false });
    await new Promise((r) => setImmediate(r));
  }
  const coords = opt.coords();
  onFrame({ iteration: opt.iterations, iterations: opt.iterations, coords, kl, done: true });
  return coords;
};

/** The projections' worker-thread runner: t-SNE never blocks the engine's requests. */
const workerTsne: Runner = async (data, n, dim, options, onFrame, signal) => {
  try {
    return await runTsne(data, n, dim, options, onFrame, signal);
  } catch (e) {
    if (e instanceof Error && /t-SNE worker not found/.test(e.message)) return cooperativeTsne(data, n, dim, options, onFrame, signal);
    throw e;
  }
};

const runner: Runner = workerTsne;

/** Starts (or answers from cache) a layout. Frames go out throttled to ~10 per second, first and last always. */
export async function startEmbedding(session: RunSession, settings: EmbedSettings, ctx: EngineContext): Promise<{ jobId: string | null; count: number; coords?: Float32Array }> {
  checkEmbedSettings(settings);
  const enc = await session.encode();
  const key = layoutKey(session.version, settings);
  const cached = session.layouts.get(key);
  if (cached) return { jobId: null, count: enc.count, coords: cached };
  if (enc.count < 8) throw new UserError(`${session.runDir}: ${settings.method === 'umap' ? 'UMAP' : 't-SNE'} needs at least 8 test images (have ${enc.count}).`);
  const [from, to] = partColumns(session, settings.part);
  const data = from === 0 && to === session.latent ? enc.means : sliceColumns(enc.means, enc.count, session.latent, from, to);
  // Perplexity must stay below the neighbour count the sparse affinities can use.
  const perplexity = Math.min(settings.perplexity, Math.max(1, Math.floor((enc.count - 1) / 3) - 1));
  if (settings.method !== 'umap') checkMemory(`t-SNE of ${enc.count} points`, estimateTsneBytes(enc.count, to - from, perplexity), 'lay out fewer test images');
  if (session.embedJobId) ctx.jobs.cancel(session.embedJobId);
  const version = session.version;
  const runDir = session.runDir;
  const job = ctx.jobs.start('embed', async ({ id, controller }) => {
    const emitFrame = throttle((f: TsneFrame) =>
      ctx.emit('explorer.embedFrame', { jobId: id, runDir, iteration: f.iteration, iterations: f.iterations, coords: f.coords, done: f.done, kl: f.kl }),
    );
    const onFrame = (f: TsneFrame) => {
      if (f.done || f.iteration === 0) {
        emitFrame(f);
        emitFrame.flush();
      } else emitFrame(f);
    };
    const coords =
      settings.method === 'umap'
        ? await runUmap(data, enc.count, to - from, { neighbours: Math.min(settings.neighbours ?? 15, enc.count - 1), minDist: settings.minDist ?? 0.1, epochs: settings.iterations, seed: settings.seed, frameIntervalMs: 100 }, onFrame, controller.signal)
        : await runner(data, enc.count, to - from, { perplexity, iterations: settings.iterations, seed: settings.seed, frameIntervalMs: 100 }, onFrame, controller.signal);
    emitFrame.flush();
    if (session.version === version) session.layouts.set(key, coords);
    if (session.embedJobId === id) session.embedJobId = null;
    return { count: enc.count };
  });
  session.embedJobId = job.id;
  return { jobId: job.id, count: enc.count };
}
