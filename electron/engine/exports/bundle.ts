// Model bundles: a run's TF.js encoder and decoder (and class head), run.json and a README saying how
// to use them, as a zip (fflate: small, pure JS, no native build) or as a folder.
import { hasClassPart } from '../../../models/config.ts';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { resolveDir, weightsPath } from '../../../models/io.ts';
import { UserError } from '../../contract/errors.ts';
import type { RunFile } from '../training/run-file.ts';
import { runJsonPath } from '../training/run-file.ts';

export interface BundleFile {
  /** Path inside the bundle, '/'-separated. */
  path: string;
  data: Uint8Array;
}

/** The files of one TF.js model folder: model.json and the weight files its manifest names. */
function modelFiles(dir: string, name: string): BundleFile[] {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new UserError(`${jsonPath}: missing, the run has no ${name} to bundle`);
  const json = readFileSync(jsonPath);
  let manifest: { weightsManifest?: { paths: string[] }[] };
  try {
    manifest = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new UserError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  const files: BundleFile[] = [{ path: `${name}/model.json`, data: json }];
  for (const group of manifest.weightsManifest ?? []) {
    for (const p of group.paths) {
      let file: string;
      try {
        file = weightsPath(dir, p, jsonPath);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (!existsSync(file)) throw new UserError(`${file}: missing weights file named in ${jsonPath}`);
      files.push({ path: `${name}/${p}`, data: readFileSync(file) });
    }
  }
  return files;
}

function readme(run: RunFile, name: string): string {
  const m = run.model;
  const s = run.dataset.size;
  const c = run.dataset.channels;
  const zeros = Array.from({ length: m.latent }, () => '0').join(', ');
  const fair = m.objective === 'fair-vae' ? m.fair : undefined;
  const fairNote = fair
    ? `\nfair-vae: both networks take a second input, the private attribute s = ${run.settings.private} one-hot [N, ${fair.values}] (all zeros: unknown).
  encoder.predict([images, s]); decoder.predict([z, s]). p(s) on the training images: ${fair.prior.map((p) => p.toFixed(3)).join(', ')}.`
    : '';
  return `${name}: a ${m.objective} model trained with Latent Explorer (TF.js ${run.versions?.tfjs ?? ''}).

encoder/     TF.js layers model: images [N, ${s}, ${s}, ${c}], values 0..1, ink high -> [mean [N, ${m.latent}], logVar [N, ${m.latent}]]
decoder/     TF.js layers model: codes z [N, ${m.latent}] -> logits [N, ${s}, ${s}, ${c}]; the pixels are sigmoid(logits)${
    hasClassPart(m) ? `\nclassifier/  TF.js layers model: the class part z[:, ${m.style}:] -> class logits [N, ${m.numClasses}] (${run.dataset.classNames.join(', ')})` : ''
  }
run.json     configuration, dataset, training history, dimension names (${run.dimensionNames.join(', ')})${fairNote}

Inputs are preprocessed as in training: ${JSON.stringify(run.dataset.options)}
(a numeric "binarize" is a threshold: pixel / 255 > binarize gives 1, else 0).

Use in a browser:  const decoder = await tf.loadLayersModel('decoder/model.json');
Use in Node with @tensorflow/tfjs-node:  tf.loadLayersModel('file://' + __dirname + '/decoder/model.json')
Use in Node with plain @tensorflow/tfjs:
  const tf = require('@tensorflow/tfjs'), fs = require('fs');
  async function load(dir) {
    const json = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));
    const weights = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(dir + '/' + p))));
    return tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    }));
  }
  const decoder = await load('decoder');
  const pixels = tf.sigmoid(decoder.predict(tf.tensor2d([[${zeros}]])));   // the image of z = 0
In Python (Keras): tensorflowjs_converter --input_format=tfjs_layers_model --output_format=keras decoder/model.json decoder.h5
`;
}

/** Everything that goes into the bundle of this run. */
export function bundleFiles(runDir: string, run: RunFile): BundleFile[] {
  const name = basename(runDir.replace(/[\\/]+$/, '')) || 'run';
  const files: BundleFile[] = [{ path: 'run.json', data: readFileSync(runJsonPath(runDir)) }];
  const nets = ['encoder', 'decoder', ...(hasClassPart(run.model) ? ['classifier'] : [])];
  for (const net of nets) files.push(...modelFiles(resolveDir(join(runDir, net)), net));
  files.push({ path: 'README.txt', data: new TextEncoder().encode(readme(run, name)) });
  return files;
}

/** The bundle as a zip whose entries sit in one folder named after the run. */
export function zipBundle(files: BundleFile[], folder: string): Uint8Array {
  const tree: Zippable = {};
  // Weights barely compress: store them, deflate the JSON and text.
  for (const f of files) tree[`${folder}/${f.path}`] = [f.data, { level: f.path.endsWith('.bin') ? 0 : 6 }];
  return zipSync(tree);
}
