// Exports: the files a user gets (GIFs decoded back with sharp, PNG sizes, CSV rows and columns, model
// bundles loaded with plain TF.js), overwrite refusal, cancellation, the engine's requests and the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { unzipSync } from 'fflate';
import { useWasm } from './helpers/tf.ts';
import { trainFixtureRuns, type FixtureRuns } from './exports-fixture.ts';
import type { ExportSource } from '../../electron/engine/exports/source.ts';
import { encodeImages, openExportSource } from '../../electron/engine/exports/source.ts';
import { describeRun, previewExport, produceExport, saveExport } from '../../electron/engine/exports/exporter.ts';
import { activeDimensions, frameOrder, traversalFrames } from '../../electron/engine/exports/sweeps.ts';
import { gridLayout, renderFrame } from '../../electron/engine/exports/layout.ts';
import { encodeGridGif } from '../../electron/engine/exports/gif.ts';
import { encodeGridPng } from '../../electron/engine/exports/png.ts';
import { buildEmbeddingTable, csvField, embeddingTableCsv } from '../../electron/engine/exports/embedding-table.ts';
import { BUNDLE_MARKER, OutputExistsError, writeOutputFile, writeOutputFolder } from '../../electron/engine/exports/write.ts';
import { exportHandlers } from '../../electron/engine/handlers/exports.ts';
import { createContext } from '../../electron/engine/context.ts';
import type { Events } from '../../electron/contract/api.ts';
import { UserError } from '../../electron/contract/errors.ts';
import { run as gifCommand } from '../../electron/cli/commands/gif.ts';
import { run as gridCommand } from '../../electron/cli/commands/grid.ts';
import { run as bundleCommand } from '../../electron/cli/commands/bundle.ts';

let fx: FixtureRuns;
let vae: ExportSource;
let ssvae: ExportSource;
let out: string;

beforeAll(async () => {
  await useWasm();
  fx = await trainFixtureRuns();
  vae = await openExportSource(fx.vae, fx.dataset.images);
  ssvae = await openExportSource(fx.ssvae, fx.dataset.images);
  out = join(fx.root, 'out');
  mkdirSync(out);
}, 120_000);

afterAll(() => {
  vae?.loaded.dispose();
  ssvae?.loaded.dispose();
  fx?.cleanup();
});

/** Every frame of a GIF as raw RGBA, via sharp's animated read (pages stacked vertically). */
async function gifFrames(file: string) {
  const meta = await sharp(file, { animated: true }).metadata();
  const { data } = await sharp(file, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const per = meta.width! * meta.pageHeight! * 4;
  const frames = Array.from({ length: meta.pages! }, (_, i) => data.subarray(i * per, (i + 1) * per));
  return { meta, frames };
}

/** Whether any image in the GIF has a local colour table (we promise one global palette). */
function localColorTables(bytes: Uint8Array): { images: number; local: number } {
  let p = 6;
  const lsd = bytes[p + 4];
  p += 7;
  if (lsd & 0x80) p += 3 * 2 ** ((lsd & 7) + 1);
  let images = 0;
  let local = 0;
  const skipBlocks = () => {
    while (bytes[p] !== 0) p += bytes[p] + 1;
    p++;
  };
  while (p < bytes.length && bytes[p] !== 0x3b) {
    if (bytes[p] === 0x21) {
      p += 2;
      skipBlocks();
    } else if (bytes[p] === 0x2c) {
      images++;
      const packed = bytes[p + 9];
      p += 10;
      if (packed & 0x80) {
        local++;
        p += 3 * 2 ** ((packed & 7) + 1);
      }
      p++; // LZW minimum code size
      skipBlocks();
    } else throw new Error(`unexpected GIF block 0x${bytes[p].toString(16)} at ${p}`);
  }
  return { images, local };
}

const differs = (a: Uint8Array, b: Uint8Array) => a.some((v, i) => v !== b[i]);

/** A grey PNG's pixels, one byte each (sharp's raw output would be sRGB). */
const greyPixels = async (file: string) => (await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true })).data;

describe('sweeps', () => {
  it('plays a ping-pong loop without repeating its ends', () => {
    expect(frameOrder(4, true)).toEqual([0, 1, 2, 3, 2, 1]);
    expect(frameOrder(4, false)).toEqual([0, 1, 2, 3]);
  });

  it('arranges traversal codes by frame: rows are dimensions, columns are bases', () => {
    const bases = new Float32Array([0, 0, 0, 5, 5, 5]); // two bases, latent 3
    const frame = traversalFrames(bases, 3, [0, 2], 3, 2);
    expect(Array.from(frame(0))).toEqual([-2, 0, 0, -2, 5, 5, 0, 0, -2, 5, 5, -2]);
    expect(Array.from(frame(2))).toEqual([2, 0, 0, 2, 5, 5, 0, 0, 2, 5, 5, 2]);
  });

  it('finds active dimensions from the test KL of the last epoch', () => {
    const run = { model: { latent: 3 }, history: [{ testKlPerDim: [0.5, 0.001, 2] }] } as never;
    expect(activeDimensions(run)).toEqual([0, 2]);
    expect(activeDimensions({ model: { latent: 2 }, history: [] } as never)).toEqual([0, 1]);
  });
});

describe('layout', () => {
  it('upscales tiles by nearest neighbour into their places', async () => {
    const layout = await gridLayout({ rows: 1, columns: 2, tileSize: 2, channels: 1, scale: 3, gap: 1 });
    expect([layout.width, layout.height]).toEqual([2 * 6 + 3, 6 + 2]);
    const frame = renderFrame(layout, new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]));
    const at = (x: number, y: number) => frame[y * layout.width + x];
    expect([at(1, 1), at(3, 3), at(4, 1), at(1, 4), at(6, 6)]).toEqual([10, 10, 20, 30, 40]);
    expect([at(8, 1), at(13, 6)]).toEqual([50, 80]);
    expect(at(0, 0)).toBe(layout.background[0]);
  });

  it('adds a label strip under each row when asked', async () => {
    const plain = await gridLayout({ rows: 3, columns: 1, tileSize: 28, channels: 1, scale: 4, gap: 4 });
    const labelled = await gridLayout({ rows: 3, columns: 1, tileSize: 28, channels: 1, scale: 4, gap: 4, rowLabels: ['z1', 'z2', 'z3'] });
    expect(labelled.width).toBe(plain.width);
    expect(labelled.height).toBeGreaterThan(plain.height + 3 * 10);
  });
});

describe('colour images', () => {
  it('keeps colours in GIFs and PNGs of RGB tiles', async () => {
    const layout = await gridLayout({ rows: 1, columns: 2, tileSize: 4, channels: 3, scale: 2, gap: 0 });
    const tile = (rgb: number[]) => Array.from({ length: 16 }, () => rgb).flat();
    const frames = [Uint8Array.from([...tile([220, 30, 30]), ...tile([30, 30, 220])]), Uint8Array.from([...tile([30, 200, 40]), ...tile([240, 240, 240])])];
    const gif = await encodeGridGif(layout, frames, { delayMs: 100 });
    const file = join(out, 'rgb.gif');
    writeFileSync(file, gif);
    const { meta, frames: decoded } = await gifFrames(file);
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([2, 16, 8]);
    const px = (f: number, x: number, y: number) => Array.from(decoded[f].subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 3));
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 8);
    expect(near(px(0, 1, 1), [220, 30, 30])).toBe(true);
    expect(near(px(0, 12, 5), [30, 30, 220])).toBe(true);
    expect(near(px(1, 1, 1), [30, 200, 40])).toBe(true);
    const png = await encodeGridPng(layout, frames[1]);
    const meta2 = await sharp(png).metadata();
    expect([meta2.width, meta2.height, meta2.channels]).toEqual([16, 8, 3]);
    const raw = (await sharp(png).raw().toBuffer()).subarray((1 * 16 + 12) * 3, (1 * 16 + 12) * 3 + 3);
    expect(Array.from(raw)).toEqual([240, 240, 240]);
  });
});

describe('traversal GIF', () => {
  it('writes one dimension as a looping GIF: 2F-2 frames of 28·scale px that change frame to frame', async () => {
    const result = await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0], frames: 12, scale: 3, delayMs: 50, range: 3 } });
    const file = saveExport(result, join(out, 'one.gif'), false);
    const { meta, frames } = await gifFrames(file);
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(22);
    expect([meta.width, meta.pageHeight]).toEqual([84, 84]);
    expect(meta.loop).toBe(0);
    expect(meta.delay!.every((d) => d === 50)).toBe(true);
    for (let i = 1; i < 12; i++) expect(differs(frames[i - 1], frames[i]), `frame ${i} differs from frame ${i - 1}`).toBe(true);
    // The way back shows the way there in reverse.
    expect(differs(frames[11 + 1], frames[10])).toBe(false);
    expect(localColorTables(readFileSync(file))).toEqual({ images: 22, local: 0 });
  });

  it('writes every active dimension as a grid with a row per dimension and names under the rows', async () => {
    const active = activeDimensions(vae.run);
    expect(active.length).toBeGreaterThan(1);
    const result = await produceExport(vae, { kind: 'traversal-gif', options: { dims: 'active', frames: 8, scale: 2, pingPong: false } });
    const file = saveExport(result, join(out, 'all.gif'), false);
    const { meta, frames } = await gifFrames(file);
    expect(meta.pages).toBe(8);
    expect(meta.width).toBe(28 * 2 + 2 * 2);
    // Each row: a 56 px tile, a label strip and a gap.
    expect(meta.pageHeight).toBeGreaterThan(active.length * (56 + 2 + 10));
    for (let i = 1; i < 8; i++) expect(differs(frames[i - 1], frames[i])).toBe(true);
    expect(result.options).toMatchObject({ dims: active, labels: true });
  });

  it('starts from anchor images, one column each', async () => {
    const result = await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0, 1], anchors: [3, 9], frames: 4, scale: 1, labels: false } });
    expect(result.width).toBe(2 * 28 + 3);
    expect(result.height).toBe(2 * 28 + 3);
    const zero = await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0, 1], anchors: [], frames: 4, scale: 1, labels: false } });
    expect(zero.width).toBe(28 + 2);
  });

  it('takes base codes from the view: the same GIF as the anchors they were encoded from', async () => {
    const anchored = await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0, 2], anchors: [3, 9], frames: 5, scale: 1 } });
    const per = 784;
    const pixels = new Uint8Array(2 * per);
    pixels.set(fx.dataset.images.pixels.subarray(3 * per, 4 * per), 0);
    pixels.set(fx.dataset.images.pixels.subarray(9 * per, 10 * per), per);
    const bases = (await vae.loaded.encode(pixels, 2)).means;
    const given = await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0, 2], bases, frames: 5, scale: 1 } });
    expect(Buffer.from(given.data!).equals(Buffer.from(anchored.data!))).toBe(true);
    await expect(produceExport(vae, { kind: 'traversal-gif', options: { dims: [0], bases: new Float32Array(3) } })).rejects.toThrow(/codes of 4 values/);
  });

  it('leaves no tensors behind', async () => {
    await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0], frames: 4 } });
    const before = tf.memory().numTensors;
    await produceExport(vae, { kind: 'traversal-gif', options: { dims: [0, 1], frames: 6, anchors: [1] } });
    await produceExport(vae, { kind: 'reconstructions-png', options: { count: 8 } });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops when cancelled, with progress up to then', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const work = produceExport(vae, { kind: 'traversal-gif', options: { dims: 'active', frames: 40, scale: 4 } }, {
      signal: controller.signal,
      onProgress: (f) => {
        seen.push(f);
        if (f > 0.3) controller.abort();
      },
    });
    await expect(work).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.some((f) => f > 0 && f < 1)).toBe(true);
  });

  it('names what is wrong with the options', async () => {
    await expect(produceExport(vae, { kind: 'traversal-gif', options: { dims: [7] } })).rejects.toThrow(/dimension.*0 to 3/);
    await expect(produceExport(vae, { kind: 'traversal-gif', options: { dims: [0], frames: 1 } })).rejects.toThrow(/frames must be a whole number from 2 to 64/);
    await expect(produceExport(vae, { kind: 'traversal-gif', options: { dims: [0], scale: 0 } })).rejects.toThrow(/scale/);
  });
});

describe('style sweep GIF', () => {
  it('sweeps one style dimension for every class side by side', async () => {
    const result = await produceExport(ssvae, { kind: 'style-gif', options: { styleDim: 1, frames: 6, scale: 2 } });
    const file = saveExport(result, join(out, 'style.gif'), false);
    const { meta, frames } = await gifFrames(file);
    expect(meta.pages).toBe(10);
    expect(meta.width).toBe(10 * 56 + 11 * 2); // ten digit classes
    expect(meta.pageHeight).toBeGreaterThan(56 + 4);
    for (let i = 1; i < 6; i++) expect(differs(frames[i - 1], frames[i])).toBe(true);
  });

  it('starts from the style sliders when given', async () => {
    const zero = await produceExport(ssvae, { kind: 'style-gif', options: { styleDim: 0, frames: 3, scale: 1 } });
    const moved = await produceExport(ssvae, { kind: 'style-gif', options: { styleDim: 0, frames: 3, scale: 1, styleValues: [0, 2.5] } });
    expect(Buffer.from(zero.data!).equals(Buffer.from(moved.data!))).toBe(false);
    await expect(produceExport(ssvae, { kind: 'style-gif', options: { styleValues: [1] } })).rejects.toThrow(/2 style values/);
  });

  it('is refused for a run without style dimensions', async () => {
    await expect(produceExport(vae, { kind: 'style-gif', options: {} })).rejects.toThrow(/semi-supervised/);
    expect(describeRun(vae.run, fx.vae).kinds).not.toContain('style-gif');
    expect(describeRun(ssvae.run, fx.ssvae).kinds).toContain('style-gif');
  });
});

describe('PNG images', () => {
  it('writes the manifold grid at n·28·scale px', async () => {
    const result = await produceExport(vae, { kind: 'manifold-png', options: { dims: [0, 2], n: 7, scale: 3 } });
    const file = saveExport(result, join(out, 'grid.png'), false);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 7 * 28 * 3, 7 * 28 * 3, 1]);
    // Neighbouring cells differ: the grid sweeps the latent space.
    const data = await greyPixels(file);
    const cell = (r: number, c: number) => {
      const px: number[] = [];
      for (let y = 0; y < 84; y++) for (let x = 0; x < 84; x++) px.push(data[(r * 84 + y) * 588 + c * 84 + x]);
      return Uint8Array.from(px);
    };
    expect(differs(cell(0, 0), cell(0, 6))).toBe(true);
    expect(differs(cell(0, 0), cell(6, 0))).toBe(true);
  });

  it('takes the other dimensions from a base code', async () => {
    const zero = await produceExport(vae, { kind: 'manifold-png', options: { n: 3, scale: 1 } });
    const based = await produceExport(vae, { kind: 'manifold-png', options: { n: 3, scale: 1, base: Float32Array.from([0, 0, 2, -2]) } });
    const same = await produceExport(vae, { kind: 'manifold-png', options: { n: 3, scale: 1, base: new Float32Array(4) } });
    expect(Buffer.from(based.data!).equals(Buffer.from(zero.data!))).toBe(false);
    expect(Buffer.from(same.data!).equals(Buffer.from(zero.data!))).toBe(true);
  });

  it('writes reconstructions: inputs above their reconstructions', async () => {
    const result = await produceExport(vae, { kind: 'reconstructions-png', options: { count: 10, columns: 5, scale: 2 } });
    const file = saveExport(result, join(out, 'recon.png'), false);
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height]).toEqual([5 * 56 + 6 * 2, 4 * 56 + 5 * 2]);
    // The top-left tile is the first test image, as stored.
    const data = await greyPixels(file);
    const images = fx.dataset.images;
    const first = images.split.indexOf(1);
    for (const [x, y] of [[10, 14], [14, 14], [20, 5]]) expect(data[(2 + 2 * y) * meta.width! + 2 + 2 * x]).toBe(images.pixels[first * 784 + y * 28 + x]);
  });
});

describe('embedding table', () => {
  it('has a row per image and columns id, file, label, split, every mean and t-SNE x,y', async () => {
    const n = fx.dataset.images.count;
    const coords = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
    const result = await produceExport(vae, { kind: 'embedding-csv', options: { tsne: { coords, indices: [4, 0, 9] } } });
    const file = saveExport(result, join(out, 'embedding.csv'), false);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(n + 1);
    expect(lines[0]).toBe('id,file,label,split,mean_1,mean_2,mean_3,mean_4,tsne_x,tsne_y');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.every((r) => r.length === 10)).toBe(true);
    expect(rows[0].slice(0, 4)).toEqual(['0', 'sample:mnist#0', fx.dataset.images.classNames[fx.dataset.images.labels[0]], fx.dataset.images.split[0] ? 'test' : 'train']);
    expect(rows[0].slice(8)).toEqual(['2.5', '3.5']);
    expect(rows[4].slice(8)).toEqual(['0.5', '1.5']);
    expect(rows[1].slice(8)).toEqual(['', '']);
    expect(new Set(rows.map((r) => r[3]))).toEqual(new Set(['train', 'test']));
    // The means are the encoder's posterior means.
    const { means } = await vae.loaded.encode(fx.dataset.images.pixels.subarray(0, 784), 1);
    for (let d = 0; d < 4; d++) expect(Number(rows[0][4 + d])).toBeCloseTo(means[d], 5);
  });

  it('builds the table from means the caller already has (the embed command encodes once for t-SNE and table)', async () => {
    const images = fx.dataset.images;
    const means = await encodeImages(vae.loaded, images, null);
    const testRows = Array.from(images.split.keys()).filter((i) => images.split[i] === 1);
    const coords = Float32Array.from({ length: testRows.length * 2 }, (_, i) => i);
    const table = await buildEmbeddingTable(vae, { means, tsne: { coords, indices: testRows } });
    expect(table.rows).toBe(images.count);
    expect(table.columns.slice(-2)).toEqual(['tsne_x', 'tsne_y']);
    const lines = table.csv.trimEnd().split('\n');
    expect(lines[1 + testRows[1]].split(',').slice(-2)).toEqual(['2', '3']);
    expect(lines.slice(1).filter((l) => l.endsWith(',,')).length).toBe(images.count - testRows.length);
  });

  it('quotes file names that need it and leaves t-SNE columns out when not computed', () => {
    const table = embeddingTableCsv({
      images: { count: 2, files: ['a,b.png', 'say "hi".png'], labels: Int32Array.from([0, -1]), classNames: ['cat'], split: Uint8Array.from([0, 1]) },
      means: Float32Array.from([0.1, 0.2, 0.3, 0.4]),
      latent: 2,
      root: '/data/set',
    });
    expect(table.csv).toBe('id,file,label,split,mean_1,mean_2\n0,"/data/set/a,b.png",cat,train,0.1,0.2\n1,"/data/set/say ""hi"".png",,test,0.3,0.4\n');
    expect(csvField('plain')).toBe('plain');
  });
});

describe('model bundle', () => {
  /** Loads a TF.js layers model from in-memory files with plain @tensorflow/tfjs (no app code). */
  async function loadFromFiles(files: Record<string, Uint8Array>, folder: string): Promise<tf.LayersModel> {
    const json = JSON.parse(new TextDecoder().decode(files[`${folder}/model.json`]));
    const handler: tf.io.IOHandler = {
      load: async () => {
        const weightSpecs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
        const parts = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => files[`${folder}/${p}`]));
        const weightData = new Uint8Array(parts.reduce((a: number, p: Uint8Array) => a + p.length, 0));
        let o = 0;
        for (const p of parts) {
          weightData.set(p, o);
          o += p.length;
        }
        return { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer, format: json.format };
      },
    };
    return tf.loadLayersModel(handler);
  }

  it('zips the encoder, decoder and run.json; plain TF.js decodes a code to the same pixels as the app', async () => {
    const result = await produceExport(ssvae, { kind: 'bundle', options: { format: 'zip' } });
    const file = saveExport(result, join(out, 'model.zip'), false);
    const entries = unzipSync(readFileSync(file));
    const names = Object.keys(entries).sort();
    expect(names).toEqual(
      ['README.txt', 'classifier/group1-shard1of1.bin', 'classifier/model.json', 'decoder/group1-shard1of1.bin', 'decoder/model.json', 'encoder/group1-shard1of1.bin', 'encoder/model.json', 'run.json'].map(
        (n) => `ssvae-run-model/${n}`,
      ),
    );
    const files = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k.replace(/^ssvae-run-model\//, ''), v]));
    const runJson = JSON.parse(new TextDecoder().decode(files['run.json']));
    expect(runJson.model.latent).toBe(6);

    const decoder = await loadFromFiles(files, 'decoder');
    const z = Float32Array.from([0.5, -1, 0.25, 1.5, -0.75, 0.1, -2, 0.3, 0, 1, -0.5, 2]); // two codes
    const outside = tf.tidy(() => {
      const probs = tf.sigmoid(decoder.predict(tf.tensor2d(z, [2, 6])) as tf.Tensor);
      return Uint8Array.from(probs.dataSync(), (p) => Math.max(0, Math.min(255, Math.round(p * 255))));
    });
    decoder.dispose();
    const inApp = await ssvae.loaded.decode(z, 2);
    expect(outside.length).toBe(2 * 784);
    expect(Array.from(outside)).toEqual(Array.from(inApp));
    expect(inApp.some((v) => v > 128)).toBe(true);

    // The encoder, fed as README.txt says (the run's binarization), gives the app's posterior means.
    const encoder = await loadFromFiles(files, 'encoder');
    const binarize = runJson.dataset.options.binarize;
    expect(new TextDecoder().decode(files['README.txt'])).toContain(`"binarize":${JSON.stringify(binarize)}`);
    const input = Float32Array.from(fx.dataset.images.pixels.subarray(0, 784), (v) => (typeof binarize === 'number' ? (v / 255 > binarize ? 1 : 0) : v / 255));
    const [mean] = encoder.predict(tf.tensor4d(input, [1, 28, 28, 1])) as tf.Tensor[];
    expect(Array.from(mean.dataSync())).toEqual(Array.from((await ssvae.loaded.encode(fx.dataset.images.pixels.subarray(0, 784), 1)).means));
    encoder.dispose();
    tf.dispose(mean);
  });

  it('writes the bundle as a folder too', async () => {
    const result = await produceExport(vae, { kind: 'bundle', options: { format: 'folder' } });
    const dir = saveExport(result, join(out, 'model-folder'), false);
    expect(readdirSync(dir).sort()).toEqual([BUNDLE_MARKER, 'README.txt', 'decoder', 'encoder', 'run.json']);
    expect(readdirSync(join(dir, 'decoder')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
  });
});

describe('writing files', () => {
  it('refuses to replace an existing file or folder unless forced', () => {
    const file = join(out, 'taken.gif');
    writeFileSync(file, 'mine');
    expect(() => writeOutputFile(file, new Uint8Array([1, 2, 3]), false)).toThrow(OutputExistsError);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    writeOutputFile(file, new Uint8Array([1, 2, 3]), true);
    expect(Array.from(readFileSync(file))).toEqual([1, 2, 3]);
    const dir = join(out, 'taken-folder');
    mkdirSync(dir);
    expect(() => writeOutputFolder(dir, [{ path: 'a.txt', data: new Uint8Array([1]) }], false)).toThrow(/already exists/);
    writeOutputFolder(dir, [{ path: 'a.txt', data: new Uint8Array([1]) }], true);
    expect(readdirSync(dir).sort()).toEqual([BUNDLE_MARKER, 'a.txt']);
    // No temporary files left behind.
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('engine requests', () => {
  function context() {
    const events: { name: keyof Events; data: unknown }[] = [];
    const ctx = createContext((name, data) => events.push({ name, data }));
    /** The first event of this name (a failed job fails the test with its message). */
    const next = async (name: keyof Events) => {
      for (let i = 0; i < 3000; i++) {
        const hit = events.find((e) => e.name === name);
        if (hit) return hit.data;
        const failed = events.find((e) => e.name === 'job.failed');
        if (failed) throw new Error((failed.data as Events['job.failed']).message);
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${name} event in 30 s`);
    };
    return { ctx, events, next };
  }

  it('describes, previews and exports, sending the bytes back when there is no path', async () => {
    const { ctx, next } = context();
    const info = await exportHandlers['export.describe']!({ runDir: fx.vae }, ctx);
    expect(info.dimensions.map((d) => d.name)).toEqual(['z1', 'z2', 'z3', 'z4']);
    const preview = await exportHandlers['export.preview']!({ kind: 'traversal-gif', runDir: fx.vae, options: { dims: [1], scale: 2, frames: 10 } }, ctx);
    expect(preview.frames).toBe(18);
    expect(preview.fileName).toBe('vae-run-traversal-z2.gif');
    const meta = await sharp(preview.png!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 56, 56]);

    const started = await exportHandlers['export.start']!({ spec: { kind: 'manifold-png', runDir: fx.vae, options: { n: 4, scale: 1 } } }, ctx);
    expect(started.jobId).toBeTruthy();
    const done = (await next('export.done')) as Events['export.done'];
    expect(done.jobId).toBe(started.jobId);
    expect(done.path).toBeUndefined();
    expect((await sharp(done.data!).metadata()).width).toBe(4 * 28);
  });

  it('writes to a path, and answers `exists` instead of replacing a file', async () => {
    const { ctx, next } = context();
    const target = join(out, 'from-engine.png');
    writeFileSync(target, 'keep me');
    const refused = await exportHandlers['export.start']!({ spec: { kind: 'manifold-png', runDir: fx.vae }, out: target }, ctx);
    expect(refused).toEqual({ jobId: null, exists: target });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    const started = await exportHandlers['export.start']!({ spec: { kind: 'manifold-png', runDir: fx.vae, options: { n: 3, scale: 1 } }, out: target, overwrite: true }, ctx);
    const done = (await next('export.done')) as Events['export.done'];
    expect(done.jobId).toBe(started.jobId);
    expect(done.path).toBe(target);
    expect((await sharp(target).metadata()).width).toBe(3 * 28);
    expect(await exportHandlers['host.saveFile']!({ defaultName: 'x.gif' }, ctx)).toEqual({ path: null, download: true });
  });

  it('a cancelled export writes nothing: no new file, no temporary file, an existing file untouched', async () => {
    const { ctx, events, next } = context();
    const dir = join(out, 'cancelled');
    mkdirSync(dir, { recursive: true });
    const existing = join(dir, 'existing.gif');
    writeFileSync(existing, 'keep me');
    for (const [target, overwrite] of [[join(dir, 'new.gif'), false], [existing, true]] as const) {
      events.length = 0;
      const spec = { kind: 'traversal-gif' as const, runDir: fx.vae, options: { dims: 'active' as const, frames: 64, scale: 8 } };
      const { jobId } = await exportHandlers['export.start']!({ spec, out: target, overwrite }, ctx);
      expect(jobId).toBeTruthy();
      // cancel once the export is under way (progress between 0 and 1), as the Cancel button does
      for (let i = 0; i < 3000 && !events.some((e) => e.name === 'job.progress' && (e.data as { fraction: number }).fraction > 0); i++) await new Promise((r) => setTimeout(r, 10));
      expect(ctx.jobs.cancel(jobId!)).toBe(true);
      const failed = (await next('job.failed')) as Events['job.failed'];
      expect(failed).toMatchObject({ jobId, cancelled: true });
      expect(events.some((e) => e.name === 'export.done')).toBe(false);
      expect(readdirSync(dir)).toEqual(['existing.gif']);
      expect(readFileSync(existing, 'utf8')).toBe('keep me');
    }
  });

  it('reports a bad run folder by name', async () => {
    const { ctx } = context();
    await expect(Promise.resolve().then(() => exportHandlers['export.describe']!({ runDir: join(out, 'nope') }, ctx))).rejects.toThrow(/nope: no such run folder/);
  });
});

describe('CLI', () => {
  it('gif, grid and bundle write their files', async () => {
    const log = console.log;
    const lines: string[] = [];
    console.log = (line: string) => lines.push(line);
    try {
      expect(await gifCommand([fx.vae, '--dim', '2', '--frames', '5', '--scale', '2', '--out', join(out, 'cli.gif'), '--json'])).toBe(0);
      expect(await gridCommand([fx.vae, '--dims', '1,2', '--n', '5', '--scale', '1', '--out', join(out, 'cli.png')])).toBe(0);
      expect(await bundleCommand([fx.ssvae, '--out', join(out, 'cli.zip')])).toBe(0);
    } finally {
      console.log = log;
    }
    const summary = JSON.parse(lines.find((l) => l.includes('"done"'))!);
    expect(summary).toMatchObject({ kind: 'traversal-gif', width: 56, height: 56, frames: 8 });
    expect((await sharp(join(out, 'cli.gif'), { animated: true }).metadata()).pages).toBe(8);
    expect((await sharp(join(out, 'cli.png')).metadata()).width).toBe(140);
    expect(Object.keys(unzipSync(readFileSync(join(out, 'cli.zip'))))).toContain('ssvae-run-model/decoder/model.json');
  });

  it('refuses bad input with a message naming the problem', async () => {
    const file = join(out, 'exists.gif');
    writeFileSync(file, 'x');
    // A UserError: the CLI prints its one line and exits with code 2.
    await expect(gifCommand([fx.vae, '--dim', '1', '--out', file])).rejects.toThrow(UserError);
    await expect(gifCommand([fx.vae, '--dim', '1', '--out', file])).rejects.toThrow(/already exists \(use --force/);
    await expect(gifCommand([fx.vae, '--dim', '5', '--out', join(out, 'a.gif')])).rejects.toThrow(/dimensions 1 to 4/);
    await expect(gifCommand([fx.vae, '--dim', '1', '--all', '--out', join(out, 'a.gif')])).rejects.toThrow(/only one of/);
    await expect(gifCommand([fx.vae, '--style', '1', '--out', join(out, 'a.gif')])).rejects.toThrow(/semi-supervised/);
    await expect(gridCommand([fx.vae, '--dims', '1', '--out', join(out, 'a.png')])).rejects.toThrow(/two dimensions/);
    await expect(gridCommand([fx.vae, '--dims', '1,2', '--out', join(out, 'a.gif')])).rejects.toThrow(/must end in \.png/);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(existsSync(join(out, 'a.gif'))).toBe(false);
  });

  it('exits non-zero with one line when asked to overwrite without --force', () => {
    const file = join(out, 'exists-cli.png');
    writeFileSync(file, 'x');
    const r = spawnSync(process.execPath, ['bin/latent-explorer.mjs', 'grid', fx.vae, '--dims', '1,2', '--out', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`latent-explorer: ${file}: already exists (use --force to replace it)`]);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
