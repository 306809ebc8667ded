// A run opened for the explorer views: its model (decoder loaded once, so a slider's decode is one
// small tf call), the latent means of its test images, cached layouts, and the model snapshots.
// A run in training is followed: run.json is polled once a second and a newer model replaces the old
// one between requests (explorer.runUpdated tells the views).
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PrivateAttribute, RunInfo } from '../../contract/explorer.ts';
import { UserError } from '../../contract/errors.ts';
import type { Dataset, DatasetOpener } from '../datasets/types.ts';
import { writeJsonAtomic } from '../files.ts';
import { dataDir } from '../paths.ts';
import { sampleRunsDir } from './runs.ts';
import { mulberry32 } from '../random.ts';
import { resolveDir } from '../../../models/io.ts';
import { inferenceBinarize } from '../../../models/pixels.ts';
import { checkpointDir } from '../training/checkpoint.ts';
import { checkPrivateValue, privateAttributeOf, privateOfImages, privateRows } from './private-value.ts';
import { runLockHolder } from '../training/run-lock.ts';
import type { RunFile } from '../training/run-file.ts';
import { LoadedRun, loadNetworks, loadRun, readRunFile, runJsonPath, setDimensionNames } from '../training/run-file.ts';
import { inRequest, lease, retire } from './model-leases.ts';

/**
 * At most this many test images are encoded (and laid out); the views say when the cap applies. Tests
 * lower it. 70,000 is the largest t-SNE we measure (Fashion-MNIST, README): nothing below is capped.
 */
export const limits = { maxEncoded: 70_000 };
const ENCODE_CHUNK = 500;
const FOLLOW_MS = 1000;
const MAX_SNAPSHOTS = 6;
export const MAX_DECODE = 4096;

export interface Encodings {
  /** count × latent posterior means and log-variances, in list order. */
  means: Float32Array;
  logVars: Float32Array;
  /** Dataset index of each listed image, and its label (−1 unlabelled). */
  indices: Int32Array;
  labels: Int32Array;
  count: number;
  /** Test images in the dataset (count < total when capped). */
  total: number;
  capped: boolean;
  klPerDim: number[];
  modelEpoch: number;
}

export type SessionEvent = { runDir: string; modelEpoch: number; status: string; training: boolean };

/** Training now: run.json says so and a live process holds the run's lock (a crashed trainer left 'running' behind). */
const isTraining = (run: RunFile, runDir: string) => (run.status === 'running' || run.status === 'paused') && runLockHolder(runDir) !== null;

/** Sample runs ship with the app (read-only there): names given to their dimensions live in the data folder. */
function sampleNamesFile(runDir: string): string | null {
  const samples = sampleRunsDir();
  return samples && resolve(dirname(runDir)) === resolve(samples) ? join(dataDir(), 'sample-run-names', `${basename(runDir)}.json`) : null;
}

function readRun(runDir: string): RunFile {
  const run = readRunFile(runDir);
  const file = sampleNamesFile(runDir);
  if (file && existsSync(file)) {
    try {
      const names = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(names) && names.length === run.model.latent) run.dimensionNames = names.map(String);
    } catch {
      // unreadable names: keep the run's own
    }
  }
  return run;
}

/** Where the newest model of a run is, and after how many epochs it was saved. */
function latestModel(runDir: string, run: RunFile): { dir: string; epoch: number; stamp: string } | null {
  // While training, the checkpoint folder is the latest model written as one atomic folder
  // (encoder/ and decoder/ of the run are replaced one after the other), and its state.json says
  // which epoch it holds, even when it is newer than run.json.
  const ckpt = resolveDir(checkpointDir(runDir));
  const fromCheckpoint = () => {
    try {
      const state = JSON.parse(readFileSync(join(ckpt, 'state.json'), 'utf8')) as { epoch: number; stepInEpoch: number; savedAt: string };
      const epoch = state.stepInEpoch === 0 || Math.floor(run.modelEpoch) !== state.epoch ? state.epoch : run.modelEpoch;
      return { dir: ckpt, epoch, stamp: state.savedAt };
    } catch {
      return null;
    }
  };
  if (isTraining(run, runDir) && existsSync(join(ckpt, 'decoder'))) return fromCheckpoint();
  if (existsSync(resolveDir(join(runDir, 'decoder')))) return { dir: runDir, epoch: run.modelEpoch, stamp: run.updatedAt };
  if (existsSync(join(ckpt, 'decoder'))) return fromCheckpoint();
  return null;
}

export class RunSession {
  run: RunFile;
  private model: LoadedRun | null = null;
  /** Epochs behind the loaded model (run.json's modelEpoch can lag the checkpoint for a moment). */
  modelEpoch = 0;
  /** Bumped whenever the model is replaced: caches keyed by it go stale. */
  version = 0;
  private runMtime = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private encodings: { version: number; promise: Promise<Encodings> } | null = null;
  private datasetPromise: Promise<Dataset> | null = null;
  datasetError: string | undefined;
  private snapshots = new Map<number, Promise<LoadedRun>>();
  /** t-SNE layouts by settings and model version. */
  readonly layouts = new Map<string, Float32Array>();
  /** Reconstruction error per listed image, for the model version it was computed with (point-facts.ts). */
  reconErrors: { version: number; promise: Promise<Float32Array> } | null = null;
  /** The embed job running for this run, so a new one cancels it. */
  embedJobId: string | null = null;
  /** Names the user set while the run trains: training rewrites run.json from memory, so they are re-applied. */
  private namesSetHere: string[] | null = null;
  private checking = false;
  private closed = false;

  private constructor(
    readonly runDir: string,
    run: RunFile,
    private readonly onUpdate: (event: SessionEvent) => void,
    private readonly openDataset: DatasetOpener,
  ) {
    this.run = run;
  }

  static async open(runDir: string, onUpdate: (event: SessionEvent) => void, openDataset: DatasetOpener): Promise<RunSession> {
    let mtime = 0;
    try {
      mtime = statSync(runJsonPath(runDir)).mtimeMs;
    } catch {
      // readRunFile below names the problem
    }
    const session = new RunSession(runDir, readRun(runDir), onUpdate, openDataset);
    session.runMtime = mtime;
    await session.load(session.run);
    session.timer = setInterval(() => void session.check(), FOLLOW_MS);
    session.timer.unref?.();
    return session;
  }

  /** Loads the newest model if it is not the one loaded; true when the model changed. */
  private async load(run: RunFile): Promise<boolean> {
    const latest = latestModel(this.runDir, run);
    if (!latest || (this.model && latest.epoch === this.modelEpoch)) return false;
    const net = await loadNetworks(latest.dir, run.model, run.pixelLogVar);
    if (this.closed) {
      net.dispose();
      return false;
    }
    // Replaced while loading? Look again at the next tick (what was loaded is still a whole model).
    if (latestModel(this.runDir, run)?.stamp !== latest.stamp) this.runMtime = 0;
    const old = this.model;
    this.model = new LoadedRun(this.runDir, run, net, null);
    this.modelEpoch = latest.epoch;
    this.version++;
    this.layouts.clear();
    // disposed once the requests and the encoding that hold it settle
    if (old) retire(old);
    return true;
  }

  /** Polls run.json; a newer model (or a changed status) is loaded and announced. */
  async check(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      let mtime: number;
      try {
        mtime = statSync(runJsonPath(this.runDir)).mtimeMs;
      } catch {
        return; // the folder went away; requests will say so
      }
      if (mtime === this.runMtime) return;
      this.runMtime = mtime;
      const run = readRun(this.runDir);
      const before = this.run;
      const changed = await this.load(run);
      this.run = run;
      if (changed || run.status !== before.status) {
        this.onUpdate({ runDir: this.runDir, modelEpoch: this.modelEpoch, status: run.status, training: isTraining(run, this.runDir) });
      }
      if (this.namesSetHere) {
        // Another process training this run (the CLI) wrote run.json over the names: put them back.
        if (JSON.stringify(run.dimensionNames) !== JSON.stringify(this.namesSetHere)) {
          this.run = await setDimensionNames(this.runDir, this.namesSetHere);
          this.runMtime = statSync(runJsonPath(this.runDir)).mtimeMs;
        } else if (!isTraining(run, this.runDir)) this.namesSetHere = null;
      }
    } catch {
      // A run.json caught mid-replace or a model folder mid-write: try again at the next tick.
      this.runMtime = 0;
    } finally {
      this.checking = false;
    }
  }

  get ready(): boolean {
    return this.model !== null;
  }

  requireModel(): LoadedRun {
    if (!this.model) {
      throw new UserError(
        `${this.runDir}: no model saved yet${isTraining(this.run, this.runDir) ? ' — the first epoch is still training; the views fill in when it ends' : ''}.`,
        'not-found',
      );
    }
    return lease(this.model);
  }

  get latent(): number {
    return this.run.model.latent;
  }

  get style(): number {
    return this.run.model.objective === 'ssvae' ? this.run.model.style : 0;
  }

  get imageSize(): number {
    return this.run.dataset.size;
  }

  get channels(): number {
    return this.run.dataset.channels;
  }

  /** The dataset the run was trained on (opened once, shared with the rest of the engine). */
  dataset(): Promise<Dataset> {
    this.datasetPromise ??= (async () => {
      const d = this.run.dataset;
      const ds = await this.openDataset(d.ref, d.options);
      if (ds.images.size !== d.size || ds.images.channels !== d.channels)
        throw new UserError(`${d.ref}: now opens as ${ds.images.size} px × ${ds.images.channels} channels, but the run was trained on ${d.size} px × ${d.channels}.`);
      return ds;
    })();
    this.datasetPromise.catch((e) => (this.datasetError = (e as Error).message));
    return this.datasetPromise;
  }

  /** Latent means of the test images (all of them up to limits.maxEncoded), computed once per model. */
  encode(): Promise<Encodings> {
    if (!this.encodings || this.encodings.version !== this.version) {
      const version = this.version;
      // its own lease on the model: the encoding may outlive the request that started it
      const promise = inRequest(() => this.encodeNow());
      this.encodings = { version, promise };
      promise.catch(() => {
        if (this.encodings?.promise === promise) this.encodings = null;
      });
    }
    return this.encodings.promise;
  }

  private async encodeNow(): Promise<Encodings> {
    const model = this.requireModel();
    const modelEpoch = this.modelEpoch;
    const ds = await this.dataset();
    const { split, labels: allLabels, count: n } = ds.images;
    let listed: number[] = [];
    for (let i = 0; i < n; i++) if (split[i] === 1) listed.push(i);
    // No test split: the training images are all there is.
    if (listed.length === 0) listed = Array.from({ length: n }, (_, i) => i);
    const total = listed.length;
    if (total > limits.maxEncoded) listed = pickSorted(listed, limits.maxEncoded, 7);
    const count = listed.length;
    const L = this.latent;
    const per = ds.images.size * ds.images.size * ds.images.channels;
    const means = new Float32Array(count * L);
    const logVars = new Float32Array(count * L);
    const chunk = new Uint8Array(ENCODE_CHUNK * per);
    // a fair VAE encodes each image with its own private attribute s: q(z|x, s), the code it was trained to give
    const priv = this.privateOf(ds);
    for (let start = 0; start < count; start += ENCODE_CHUNK) {
      const m = Math.min(ENCODE_CHUNK, count - start);
      for (let k = 0; k < m; k++) chunk.set(ds.images.pixels.subarray(listed[start + k] * per, (listed[start + k] + 1) * per), k * per);
      const r = await model.encode(chunk.subarray(0, m * per), m, undefined, priv ? Int32Array.from(listed.slice(start, start + m), (i) => priv[i]) : undefined);
      means.set(r.means, start * L);
      logVars.set(r.logVars, start * L);
      // Let slider requests through between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const kl = new Float64Array(L);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < L; j++) {
        const mu = means[i * L + j];
        const lv = logVars[i * L + j];
        kl[j] += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
      }
    }
    return {
      means,
      logVars,
      indices: Int32Array.from(listed),
      labels: Int32Array.from(listed, (i) => allLabels[i]),
      count,
      total,
      capped: count < total,
      // the denoising autoencoder's codes are points: no KL to report
      klPerDim: this.run.model.objective === 'dae' ? new Array(L).fill(0) : Array.from(kl, (v) => v / Math.max(1, count)),
      modelEpoch,
    };
  }

  /** A fair VAE's private attribute s per image of its dataset (null for other models, or when it cannot be read). */
  privateOf(ds: Dataset): Int32Array | null {
    if (this.run.model.objective !== 'fair-vae') return null;
    if (this.privateCache?.ds === ds) return this.privateCache.values;
    // null when the column went missing from the folder: images are then encoded as of unknown s
    const values = privateOfImages(this.run, ds.images);
    this.privateCache = { ds, values };
    return values;
  }
  private privateCache: { ds: Dataset; values: Int32Array | null } | null = null;

  /** A fair VAE's private attribute (names from its dataset when that opens, else from run.json); null for other models. */
  async privateAttribute(): Promise<PrivateAttribute | null> {
    if (this.run.model.objective !== 'fair-vae') return null;
    this.attributePromise ??= this.dataset()
      .catch(() => null) // the dataset went away: the names the run saved
      .then((ds) => privateAttributeOf(this.run, ds));
    return this.attributePromise;
  }
  private attributePromise: Promise<PrivateAttribute | null> | null = null;

  /** The s a decode request names (see contract DecodeAs), checked against this run: per code, or undefined for the mixture. */
  async decodeAs(privateValue: unknown, count: number): Promise<Int32Array | undefined> {
    if (privateValue === undefined || privateValue === null) return undefined;
    const attribute = await this.privateAttribute();
    return privateRows(checkPrivateValue(this.run, this.runDir, privateValue, attribute), count);
  }

  async info(): Promise<RunInfo> {
    const run = this.run;
    let enc: Encodings | null = null;
    if (this.model) {
      try {
        enc = await this.encode();
      } catch (e) {
        this.datasetError ??= (e as Error).message;
      }
    }
    const lastKl = [...run.history].reverse().find((h) => h.testKlPerDim?.length === run.model.latent)?.testKlPerDim;
    const attribute = await this.privateAttribute();
    return {
      runDir: this.runDir,
      name: basename(this.runDir),
      objective: run.model.objective,
      arch: run.model.arch,
      imageSize: run.dataset.size,
      channels: run.dataset.channels,
      latent: run.model.latent,
      style: this.style,
      classNames: run.dataset.classNames,
      dimensionNames: run.dimensionNames,
      klPerDim: enc?.klPerDim ?? lastKl ?? new Array(run.model.latent).fill(0),
      snapshots: run.snapshots ?? [],
      status: run.status,
      modelEpoch: this.modelEpoch,
      epochs: run.settings.epochs,
      training: isTraining(run, this.runDir),
      ready: this.ready,
      count: enc?.count ?? 0,
      total: enc?.total ?? run.dataset.test,
      capped: enc?.capped ?? false,
      datasetError: this.datasetError,
      ...(run.privacy ? { privacy: run.privacy } : {}),
      ...(attribute ? { privateAttribute: attribute } : {}),
    };
  }

  /** The model of a snapshot epoch (loaded on first use, a few kept). */
  async snapshotModel(epoch: number): Promise<LoadedRun> {
    let p = this.snapshots.get(epoch);
    if (!p) {
      if (!this.run.snapshots.includes(epoch)) throw new UserError(`${this.runDir}: no snapshot for epoch ${epoch} (have ${this.run.snapshots.join(', ') || 'none'}).`, 'not-found');
      p = loadRun(this.runDir, { snapshot: epoch });
      this.snapshots.set(epoch, p);
      p.catch(() => this.snapshots.delete(epoch));
      if (this.snapshots.size > MAX_SNAPSHOTS) {
        const [oldest, op] = this.snapshots.entries().next().value as [number, Promise<LoadedRun>];
        this.snapshots.delete(oldest);
        op.then((m) => retire(m)).catch(() => {});
      }
    } else {
      // most recently used last
      this.snapshots.delete(epoch);
      this.snapshots.set(epoch, p);
    }
    return lease(await p);
  }

  async modelFor(snapshot?: number): Promise<LoadedRun> {
    return snapshot === undefined || snapshot === null ? this.requireModel() : this.snapshotModel(snapshot);
  }

  /** uint8 HWC images for count codes; the hot path of every slider. priv: a fair VAE's s per code (absent: the mixture over s). */
  async decodeWith(model: LoadedRun, z: Float32Array, count: number, priv?: Int32Array): Promise<Uint8Array> {
    if (!(z instanceof Float32Array)) throw new UserError('decode: z must be a Float32Array of latent codes.');
    if (!Number.isInteger(count) || count < 1 || count > MAX_DECODE) throw new UserError(`decode: count must be 1 to ${MAX_DECODE} (got ${count}).`);
    if (z.length !== count * this.latent) throw new UserError(`decode: expected ${count} codes of ${this.latent} values (${count * this.latent}), got ${z.length}.`);
    // The tensor leaves tf.tidy, not the pixels: tidy walks every element of a returned typed array
    // looking for tensors, which costs more than the decoder itself at 400 images.
    if (priv && priv.length !== count) throw new Error(`decode: ${count} codes but ${priv.length} values of s`);
    const images = tf.tidy(() => model.model.decode(tf.tensor2d(z, [count, this.latent]), priv));
    let means: Float32Array;
    try {
      means = (await images.data()) as Float32Array;
    } finally {
      images.dispose();
    }
    const out = new Uint8Array(means.length);
    // sigmoid outputs lie in [0, 1]: +0.5 rounds, and 255.5 truncates to 255
    for (let i = 0; i < means.length; i++) out[i] = means[i] * 255 + 0.5;
    return out;
  }

  /** What the model sees of stored images: the run's binarization applied (dynamic → grey values). */
  modelInput(pixels: Uint8Array): Uint8Array {
    const mode = inferenceBinarize(this.run.dataset.options.binarize);
    if (mode === 'off' || mode === 'dynamic') return pixels;
    const t = mode * 255;
    return Uint8Array.from(pixels, (v) => (v > t ? 255 : 0));
  }

  async gather(indices: ArrayLike<number>): Promise<Uint8Array> {
    const ds = await this.dataset();
    const per = ds.images.size * ds.images.size * ds.images.channels;
    const out = new Uint8Array(indices.length * per);
    for (let k = 0; k < indices.length; k++) out.set(ds.images.pixels.subarray(indices[k] * per, (indices[k] + 1) * per), k * per);
    return out;
  }

  /**
   * Fixed train and test images (seeded picks) and their reconstructions E[x|E[z|x]]. A fair VAE's also as
   * counterfactuals: each image's z (encoded with its own s) decoded with every value of s.
   */
  async reconstructions(count: number) {
    const model = this.requireModel();
    const ds = await this.dataset();
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < ds.images.count; i++) (ds.images.split[i] === 1 ? test : train).push(i);
    const pick = (list: number[], seed: number) => pickSorted(list.length ? list : train, Math.min(count, (list.length ? list : train).length), seed);
    const priv = this.privateOf(ds);
    const attribute = priv ? privateAttributeOf(this.run, ds) : null;
    const make = async (idx: number[]) => {
      const input = this.modelInput(await this.gather(idx));
      const own = priv ? Int32Array.from(idx, (i) => priv[i]) : undefined;
      const output = await model.reconstruct(input, idx.length, own);
      if (!attribute || !own) return { input, output };
      // value-major: every image decoded with s = 0, then every image with s = 1, …
      const { means } = await model.encode(input, idx.length, undefined, own);
      const per = output.length / Math.max(1, idx.length);
      const counterfactual = new Uint8Array(attribute.values.length * idx.length * per);
      for (let k = 0; k < attribute.values.length; k++) counterfactual.set(await model.decode(means, idx.length, privateRows(k, idx.length)), k * idx.length * per);
      return { input, output, own, counterfactual };
    };
    const trainIdx = pick(train, 11);
    const testIdx = pick(test, 12);
    const t = await make(trainIdx);
    const v = await make(testIdx);
    return {
      size: ds.images.size,
      channels: ds.images.channels,
      count: Math.min(trainIdx.length, testIdx.length),
      train: { input: t.input, output: t.output },
      test: { input: v.input, output: v.output },
      ...(attribute && t.counterfactual && v.counterfactual
        ? { counterfactual: { attribute: attribute.name, values: attribute.values, train: t.counterfactual, test: v.counterfactual, ownTrain: t.own!, ownTest: v.own! } }
        : {}),
    };
  }

  async setNames(names: string[]): Promise<string[]> {
    if (!Array.isArray(names) || names.length !== this.latent) throw new UserError(`${runJsonPath(this.runDir)}: expected ${this.latent} dimension names, got ${Array.isArray(names) ? names.length : 'none'}.`);
    const clean = names.map((n, i) => String(n).trim().slice(0, 60) || this.run.dimensionNames[i] || `z${i + 1}`);
    const sampleFile = sampleNamesFile(this.runDir);
    if (sampleFile) {
      writeJsonAtomic(sampleFile, clean);
      this.run = { ...this.run, dimensionNames: clean };
      return clean;
    }
    // Serialised with the training job's writes of run.json (updateRunFile), which keep these names.
    this.run = await setDimensionNames(this.runDir, clean);
    this.runMtime = statSync(runJsonPath(this.runDir)).mtimeMs;
    this.namesSetHere = isTraining(this.run, this.runDir) ? clean : null;
    return clean;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const model = this.model;
    this.model = null;
    if (model) retire(model);
    for (const p of this.snapshots.values()) p.then((m) => retire(m)).catch(() => {});
    this.snapshots.clear();
  }
}

/** `count` items of `list` chosen with a seeded shuffle, in their original order. */
export function pickSorted(list: number[], count: number, seed: number): number[] {
  const out = list.slice();
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.slice(0, count).sort((a, b) => a - b);
}

/** Codes with one latent part kept: the columns [from, to) of count × latent rows. */
export function sliceColumns(data: Float32Array, count: number, latent: number, from: number, to: number): Float32Array {
  const width = to - from;
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) out.set(data.subarray(i * latent + from, i * latent + to), i * width);
  return out;
}
