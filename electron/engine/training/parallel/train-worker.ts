// Entry of a data-parallel training worker (node:worker_threads). It keeps a replica of the model on
// its own TF.js backend; each step it takes the weights from the shared buffer, computes the gradients
// of its shard of the batch into its slot, and reports the shard's figures. Bundled as train-worker.js.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend.ts';
import { VaeModel } from '../../../../models/vae.ts';
import { gradientSizes, passesGradients, weightCount, writeWeights } from '../../../../models/parallel/shard.ts';
import { adamRange, trainableSegments, type Segment } from '../../../../models/parallel/adam.ts';
import { setLending } from '../../../../models/native/kernels.ts';
import { lendUntilIn, shard, waitUntilIn } from './meeting.ts';
import type { Lending, WorkerReply, WorkerRequest } from './protocol.ts';

if (!parentPort) throw new Error('train-worker must run as a worker thread');
const port = parentPort;
const reply = (r: WorkerReply) => port.postMessage(r);
/** How long a worker waits for the other threads' shards of a step before it gives the step up. */
const SHARD_TIMEOUT_MS = 600_000;

let model: VaeModel | null = null;
let weights: Float32Array;
/** Every pass's gradient slot (the update reads them all), the moments, and where each variable sits. */
let slots: Float32Array[];
let moments: { m: Float32Array; v: Float32Array };
let segments: Segment[];
/** where the step's threads meet (meeting.ts), and how this one shares its core (protocol.ts Lending) */
let meeting: Int32Array;
let lending: Lending = 'help';

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
      meeting = new Int32Array(request.meeting);
      lending = request.lending;
      setLending(lending !== 'off');
      reply({ type: 'ready' });
    } else if (request.type === 'step') {
      if (!model) throw new Error('step before init');
      const replica = model;
      const stats = shard(meeting, () => {
        writeWeights(replica, weights);
        return passesGradients(replica, request.x, request.shape, request.first, request.labels, request.seed, request.total, request.passes, slots);
      });
      // the slower threads' kernels take this core until every shard is in; then this thread's share of Adam
      const lentParts = lendUntilIn(meeting, request.parts, lending === 'help');
      waitUntilIn(meeting, request.parts, SHARD_TIMEOUT_MS);
      const u = request.update;
      adamRange(u.t, u.settings, slots.slice(0, u.scales.length), u.scales, moments, weights, segments, u.from, u.to);
      reply({ type: 'done', stats, lentParts });
    } else {
      model?.dispose();
      process.exit(0);
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
