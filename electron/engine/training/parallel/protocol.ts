// Messages between the training thread and its data-parallel workers. Weights and gradients travel
// through SharedArrayBuffers (written before a message says they are ready); messages carry the batch
// shard and the shard's figures.
import type { ModelConfig } from '../../../../models/config.ts';
import type { Pass, ShardStats } from '../../../../models/parallel/shard.ts';
import type { AdamSettings } from '../../../../models/parallel/adam.ts';

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
}

/** Adam step t on the parameters [from, to): the shards' gradients weighted by `scales`, into the shared weights and moments. */
export interface UpdateRequest {
  type: 'update';
  t: number;
  settings: AdamSettings;
  scales: number[];
  from: number;
  to: number;
}

export type WorkerRequest = InitRequest | StepRequest | UpdateRequest | { type: 'exit' };

export type WorkerReply = { type: 'ready' } | { type: 'done'; stats: ShardStats[] } | { type: 'updated' } | { type: 'error'; message: string };
