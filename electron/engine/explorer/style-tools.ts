// The style tools of an open run (engine side): the style report (cached per model), style directions
// from two groups of images (test images picked in the app, or image files), and style transfer (one
// image's z^X in every class). The arithmetic is in style-report.ts and style-direction.ts.
import type { StyleDirection, StyleDimensionReport, StyleGroup, StyleGroupInfo, StyleTransferResult } from '../../contract/style.ts';
import { UserError } from '../../contract/errors.ts';
import type { LoadedRun, RunFile } from '../training/run-file.ts';
import { inferenceBinarize } from '../../../models/pixels.ts';
import { decodeBuffer, DEFAULT_MAX_PIXELS, SkipError } from '../datasets/decode.ts';
import { borderStats, decideInversion, invertInPlace } from '../datasets/pixels.ts';
import type { ImageSet } from '../datasets/types.ts';
import { classMeanCodes } from './grids.ts';
import type { RunSession } from './session.ts';
import { argMaxRows, classStartCodes, probeOfLoadedRun, styleDimensionReport, sweepStyleVector } from './style-report.ts';
import { latentVector, styleDirection } from './style-direction.ts';
import { checkDirectionName, saveDirection } from './style-directions-file.ts';

const MAX_GROUP = 5000;

/** Stored pixels as the model sees them: the run's fixed binarisation applied (dynamic → grey values). */
export function asModelSees(run: RunFile, pixels: Uint8Array): Uint8Array {
  const mode = inferenceBinarize(run.dataset.options.binarize);
  if (mode === 'off' || mode === 'dynamic') return pixels;
  const t = mode * 255;
  return Uint8Array.from(pixels, (v) => (v > t ? 255 : 0));
}
const MAX_FILES = 200;

function requireStyle(session: RunSession): number {
  if (!session.style) throw new UserError(`${session.runDir}: only semi-supervised runs have style dimensions.`);
  return session.style;
}

const reports = new WeakMap<RunSession, { key: string; promise: Promise<StyleDimensionReport[]> }>();

/** The style report of the session's model (computed once per model and settings). */
export async function sessionStyleReport(session: RunSession, range = 2, steps = 9): Promise<StyleDimensionReport[]> {
  requireStyle(session);
  if (!(range > 0 && range <= 5) || !Number.isInteger(steps) || steps < 3 || steps > 33) throw new UserError('range must be in (0, 5] and steps a whole number from 3 to 33.');
  const key = `${session.version}:${range}:${steps}`;
  const cached = reports.get(session);
  if (cached?.key === key) return cached.promise;
  const model = session.requireModel();
  const promise = (async () => {
    const e = await session.encode();
    if (!e.labels.some((l) => l >= 0)) throw new UserError(`${session.runDir}: no labelled test images, so there are no class mean encodings to sweep from.`);
    return styleDimensionReport(model, { means: e.means, logVars: e.logVars, labels: e.labels, count: e.count }, { range, steps });
  })();
  reports.set(session, { key, promise });
  promise.catch(() => {
    if (reports.get(session)?.promise === promise) reports.delete(session);
  });
  return promise;
}

/**
 * An image file as the run's model sees its inputs: decoded, resized as the run's dataset was, and
 * inverted when its background is the opposite of the training images' (dark ink on white paper
 * against MNIST's white ink on black, say).
 */
export async function imageForRun(file: { name: string; bytes: Uint8Array }, run: RunFile, training: ImageSet | null): Promise<Uint8Array> {
  const { size, channels, options } = run.dataset;
  if (!(file?.bytes instanceof Uint8Array)) throw new UserError(`${file?.name ?? 'file'}: no image bytes were sent.`);
  const out = new Uint8Array(size * size * channels);
  let border;
  try {
    border = await decodeBuffer(file.bytes, { size, channels, fit: options.fit, maxPixels: DEFAULT_MAX_PIXELS }, out);
  } catch (e) {
    if (e instanceof SkipError) throw new UserError(`${file.name}: ${e.message}`);
    throw e;
  }
  const fileLight = decideInversion([border.mean], [border.std]).invert;
  let invert: boolean;
  if (training && training.count > 0) {
    // The training images' polarity, from up to 200 of them (they are stored as the model saw them).
    const n = Math.min(200, training.count);
    const per = size * size * channels;
    const means: number[] = [];
    const stds: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = borderStats(training.pixels.subarray(i * per, (i + 1) * per), size, channels);
      means.push(s.mean);
      stds.push(s.std);
    }
    const trainingLight = decideInversion(means, stds).invert;
    invert = fileLight !== trainingLight && (fileLight || border.mean <= 95);
  } else invert = options.invert === 'yes' || (options.invert === 'auto' && fileLight);
  if (invert) invertInPlace(out);
  return out;
}

async function trainingImages(session: RunSession): Promise<ImageSet | null> {
  try {
    return (await session.dataset()).images;
  } catch {
    return null;
  }
}

/** Classes of images: the label where there is one, else the model's guess. */
async function classesOf(model: LoadedRun, pixels: Uint8Array, labels: Int32Array): Promise<Int32Array> {
  const unknown = Array.from(labels.keys()).filter((i) => labels[i] < 0);
  if (!unknown.length) return labels;
  const per = pixels.length / labels.length;
  const sub = new Uint8Array(unknown.length * per);
  unknown.forEach((i, k) => sub.set(pixels.subarray(i * per, (i + 1) * per), k * per));
  const guessed = argMaxRows(await model.classify(sub, unknown.length), unknown.length);
  const out = Int32Array.from(labels);
  unknown.forEach((i, k) => (out[i] = guessed[k]));
  return out;
}

/** A group's z^X rows, their classes, and what the direction records of it. */
async function resolveGroup(session: RunSession, group: StyleGroup, which: string): Promise<{ styles: Float32Array; classes: Int32Array; info: StyleGroupInfo }> {
  const model = session.requireModel();
  const S = session.style;
  const L = session.latent;
  const K = session.run.dataset.classNames.length;
  let means: Float32Array;
  let classes: Int32Array;
  let source: StyleGroupInfo['source'];
  if (group && 'positions' in group) {
    const positions = group.positions;
    if (!(positions instanceof Int32Array) || positions.length < 1 || positions.length > MAX_GROUP) throw new UserError(`Group ${which}: pick 1 to ${MAX_GROUP} images (got ${positions?.length ?? 0}).`);
    const e = await session.encode();
    for (const p of positions) if (p < 0 || p >= e.count) throw new UserError(`Group ${which}: position ${p} is outside the latents list (0 to ${e.count - 1}).`);
    means = new Float32Array(positions.length * L);
    positions.forEach((p, k) => means.set(e.means.subarray(p * L, (p + 1) * L), k * L));
    const labels = Int32Array.from(positions, (p) => e.labels[p]);
    classes = labels.some((l) => l < 0) ? await classesOf(model, await session.gather(Array.from(positions, (p) => e.indices[p])), labels) : labels;
    source = 'test images';
  } else if (group && 'files' in group && Array.isArray(group.files)) {
    if (group.files.length < 1 || group.files.length > MAX_FILES) throw new UserError(`Group ${which}: choose 1 to ${MAX_FILES} image files (got ${group.files.length}).`);
    const training = await trainingImages(session);
    const per = session.imageSize * session.imageSize * session.channels;
    const pixels = new Uint8Array(group.files.length * per);
    for (let i = 0; i < group.files.length; i++) pixels.set(await imageForRun(group.files[i], session.run, training), i * per);
    means = (await model.encode(pixels, group.files.length)).means;
    classes = await classesOf(model, pixels, new Int32Array(group.files.length).fill(-1));
    source = 'files';
  } else throw new UserError(`Group ${which}: give test image positions or image files.`);
  const n = classes.length;
  const styles = new Float32Array(n * S);
  for (let i = 0; i < n; i++) styles.set(means.subarray(i * L, i * L + S), i * S);
  const classCounts = new Array(K).fill(0);
  for (const k of classes) if (k >= 0 && k < K) classCounts[k]++;
  return { styles, classes, info: { count: n, source, classCounts } };
}

export async function defineDirection(session: RunSession, params: { name: string; a: StyleGroup; b: StyleGroup; replace?: boolean }): Promise<{ direction: StyleDirection; directions: StyleDirection[] }> {
  const S = requireStyle(session);
  const name = checkDirectionName(params.name, session.run.dimensionNames);
  const model = session.requireModel();
  const L = session.latent;
  const K = session.run.dataset.classNames.length;
  const e = await session.encode();
  const a = await resolveGroup(session, params.a, 'A');
  const b = await resolveGroup(session, params.b, 'B');
  const refStyles = new Float32Array(e.count * S);
  for (let i = 0; i < e.count; i++) refStyles.set(e.means.subarray(i * L, i * L + S), i * S);
  let d;
  try {
    d = styleDirection({ reference: { styles: refStyles, classes: e.labels, count: e.count }, a, b, style: S, numClasses: K });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const report = await sweepStyleVector(probeOfLoadedRun(model), classStartCodes(e, L, K), latentVector(d.vector, L));
  const direction: StyleDirection = {
    name,
    vector: Array.from(d.vector),
    norm: d.norm,
    rawNorm: d.rawNorm,
    classPart: d.classPart,
    at: d.at,
    groups: { a: a.info, b: b.info },
    report,
    modelEpoch: session.modelEpoch,
    createdAt: new Date().toISOString(),
  };
  const directions = saveDirection(session.runDir, S, direction, params.replace === true);
  return { direction, directions };
}

/** One image's z^X rendered with each class's mean z^Y (the M2 "analogies" figure), and its reconstruction first. */
export async function styleTransfer(session: RunSession, params: { position?: number; file?: { name: string; bytes: Uint8Array } }): Promise<StyleTransferResult> {
  const S = requireStyle(session);
  const model = session.requireModel();
  const L = session.latent;
  const K = session.run.dataset.classNames.length;
  const per = session.imageSize * session.imageSize * session.channels;
  let input: Uint8Array;
  if (params.file) input = asModelSees(session.run, await imageForRun(params.file, session.run, await trainingImages(session)));
  else if (Number.isInteger(params.position)) {
    const e = await session.encode();
    const p = params.position!;
    if (p < 0 || p >= e.count) throw new UserError(`position ${p} is outside the latents list (0 to ${e.count - 1}).`);
    input = session.modelInput(await session.gather([e.indices[p]]));
  } else throw new UserError('Style transfer needs an image: a test image or a file.');
  const e = await session.encode();
  return transferImages(model, input, classMeanCodes(e.means, e.labels, L, K).means, S, K, per);
}

/** The figure's images for one input: its reconstruction, then its z^X with each class mean's z^Y. */
export async function transferImages(model: LoadedRun, input: Uint8Array, classMeans: Float32Array, style: number, classes: number, per: number): Promise<StyleTransferResult> {
  const L = model.latent;
  const { means } = await model.encode(input, 1);
  const z = new Float32Array((1 + classes) * L);
  z.set(means, 0);
  for (let k = 0; k < classes; k++) {
    const row = (1 + k) * L;
    z.set(means.subarray(0, style), row);
    for (let j = style; j < L; j++) z[row + j] = Number.isNaN(classMeans[k * L + j]) ? 0 : classMeans[k * L + j];
  }
  const pixels = await model.decode(z, 1 + classes);
  const judged = argMaxRows(await model.classify(pixels.subarray(per), classes), classes);
  const predicted = argMaxRows(await model.classify(input, 1), 1)[0];
  const { size, channels } = model.run.dataset;
  return { input, pixels, count: 1 + classes, size, channels, style: means.slice(0, style), predicted, judged: Array.from(judged) };
}
