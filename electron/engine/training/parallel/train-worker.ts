// Entry of a data-parallel training worker (node:worker_threads). It keeps a replica of the model on
// its own TF.js backend; each step it takes the weights from the shared buffer, computes the gradients
// of its shard of the batch into its slot, and reports the shard's figures. Bundled as train-worker.js.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend.ts';
import { VaeModel } from '../../../../models/vae.ts';
import { gradientSizes, shardGradients, weightCount, writeWeights } from '../../../../models/parallel/shard.ts';
import { adamRange, trainableSegments, type Segment } from '../../../../models/parallel/adam.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

if (!parentPort) throw new Error('train-worker must run as a worker thread');
const port = parentPort;
const reply = (r: WorkerReply) => port.postMessage(r);

let model: VaeModel | null = null;
let weights: Float32Array;
/** Every pass's gradient slot (the update reads them all), the moments, and where each variable sits. */
let slots: Float32Array[];
let moments: { m: Float32Array; v: Float32Array };
let segments: Segment[];

port.on('message', async (request: WorkerRequest) => {
  try {
    if (request.type === 'init') {
      process.env.LATENT_EXPLORER_BACKEND = request.backend === 'tensorflow' ? 'tensorflow' : request.backend;
      await initBackend();
      if (tf.getBackend() !== request.backend) throw new Error(`the worker started TF.js backend '${tf.getBackend()}', not '${request.backend}'`);
      model = VaeModel.create(request.config);
      const count = gradientSizes(model).reduce((a, n) => a + n, 0);
      if (request.weights.byteLength !== weightCount(model) * 4) throw new Error('weight buffer does not match the model');
      weights = new Float32Array(request.weights);
      slots = Array.from({ length: request.gradients.byteLength / (count * 4) }, (_, s) => new Float32Array(request.gradients, s * count * 4, count));
      moments = { m: new Float32Array(request.moments, 0, count), v: new Float32Array(request.moments, count * 4, count) };
      segments = trainableSegments(model);
      reply({ type: 'ready' });
    } else if (request.type === 'step') {
      if (!model) throw new Error('step before init');
      writeWeights(model, weights);
      const [, h, w, c] = request.shape;
      const per = h * w * c;
      const stats = request.passes.map((pass) => {
        const from = pass.offset - request.first;
        const x = tf.tensor4d(request.x.subarray(from * per, (from + pass.size) * per), [pass.size, h, w, c]);
        try {
          return shardGradients(model!, x, request.labels?.slice(from, from + pass.size), request.seed, { offset: pass.offset, total: request.total }, slots[pass.slot]);
        } finally {
          x.dispose();
        }
      });
      reply({ type: 'done', stats });
    } else if (request.type === 'update') {
      adamRange(request.t, request.settings, slots.slice(0, request.scales.length), request.scales, moments, weights, segments, request.from, request.to);
      reply({ type: 'updated' });
    } else {
      model?.dispose();
      process.exit(0);
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
