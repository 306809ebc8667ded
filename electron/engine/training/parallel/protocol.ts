// Messages between the training thread and its data-parallel workers. Weights and gradients travel
// through SharedArrayBuffers (written before a message says they are ready); messages carry the batch
// shard, the worker's share of the Adam step, and the shard's figures. Within a step the threads meet
// through the done counter (InitRequest.meeting, meeting.ts), not messages.
import type { ModelConfig } from '../../../../models/config.ts';
import type { Pass, ShardStats } from '../../../../models/parallel/shard.ts';
import type { AdamSettings } from '../../../../models/parallel/adam.ts';

/**
 * How data-parallel threads share their cores (stepper.ts StepperOptions.lending): 'help', a thread whose
 * shard is done runs parts of the others' native kernels; 'split', the kernels cut their work into those
 * parts but no thread helps (tests: the bits must be the same as 'help''s); 'off', neither.
 */
export type Lending = 'help' | 'split' | 'off';

export interface InitRequest {
  type: 'init';
  config: ModelConfig;
  /** The training thread's TF.js backend: the worker uses the same one, so shards add up to the same numbers. */
  backend: string;
  /** Float32 x weightCount: the model's weights, written by the training thread before every step */
  weights: SharedArrayBuffer;
  /** Float32 x passes x gradientCount: one gradient slot per pass of a step */
  gradients: SharedArrayBuffer;
  /** Float32 x 2 x gradientCount: Adam's first moments, then its second moments */
  moments: SharedArrayBuffer;
  /** Int32 x 2: the shards of the current step done so far, and those that failed (written before they count as
   * done). A thread whose shard is done lends its core until all are, then takes its share of the Adam step. */
  meeting: SharedArrayBuffer;
  lending: Lending;
}

export interface StepRequest {
  type: 'step';
  /** the thread's images [n, size, size, channels] in [0, 1], from batch image `first` on */
  x: Float32Array;
  shape: [number, number, number, number];
  labels?: Int32Array;
  seed: number;
  /** images in the whole batch (the random draws are the whole batch's) */
  total: number;
  first: number;
  /** the thread's passes (offsets in the whole batch), each into its gradient slot */
  passes: Pass[];
  /** the threads computing this step: when the done counter reaches it, every shard is in */
  parts: number;
  /** once every shard is in (and none failed), the worker's share of the Adam step, then its reply */
  update: UpdateOrder;
}

/** Adam step t on the parameters [from, to): the passes' gradients weighted by `scales`, into the shared weights and moments. */
export interface UpdateOrder {
  t: number;
  settings: AdamSettings;
  scales: number[];
  from: number;
  to: number;
}

export type WorkerRequest = InitRequest | StepRequest | { type: 'exit' };

export type WorkerReply = { type: 'ready' } | { type: 'done'; stats: ShardStats[]; lentParts: number } | { type: 'error'; message: string };
