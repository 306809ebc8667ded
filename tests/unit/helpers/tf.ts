// Tests run TF.js on the wasm backend, as the engine does on a machine without native TensorFlow.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export async function useWasm(): Promise<typeof tf> {
  if (tf.getBackend() !== 'wasm') {
    await tf.setBackend('wasm');
    await tf.ready();
  }
  if (tf.getBackend() !== 'wasm') throw new Error('wasm backend did not start');
  return tf;
}
