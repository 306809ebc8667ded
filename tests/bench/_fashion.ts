// Fashion-MNIST (70,000 images, Debian's dataset-fashion-mnist) reduced to PCA-50, for the large
// t-SNE benchmark. The PCA-50 is cached in the OS temp folder (it is input, not a measured figure)
// and written as raw float32 so that the scikit-learn reference script reads the very same vectors.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pca } from '../../electron/engine/projections/pca.ts';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const buf = gunzipSync(readFileSync(file));
  const rank = buf.readUInt32BE(0) & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, buf.length - offset) };
}

export interface Pca50 {
  n: number;
  data: Float32Array;
  labels: Int32Array;
  dataFile: string;
  labelsFile: string;
}

/** Train (60,000) then test (10,000) images, PCA-50 of pixels / 255. */
export function fashionPca50(): Pca50 {
  if (!existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'))) {
    throw new Error(`${FASHION_DIR}: Fashion-MNIST not found (apt-get install dataset-fashion-mnist)`);
  }
  const dir = join(tmpdir(), 'latent-explorer-bench');
  mkdirSync(dir, { recursive: true });
  const dataFile = join(dir, 'fashion70k-pca50.f32');
  const labelsFile = join(dir, 'fashion70k-labels.i32');
  if (existsSync(dataFile) && existsSync(labelsFile)) {
    const d = readFileSync(dataFile);
    const l = readFileSync(labelsFile);
    const data = new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.length));
    const labels = new Int32Array(l.buffer.slice(l.byteOffset, l.byteOffset + l.length));
    return { n: labels.length, data, labels, dataFile, labelsFile };
  }
  const parts = ['train', 't10k'].map((p) => ({
    images: readIdx(join(FASHION_DIR, `${p}-images-idx3-ubyte.gz`)),
    labels: readIdx(join(FASHION_DIR, `${p}-labels-idx1-ubyte.gz`)),
  }));
  const n = parts.reduce((a, p) => a + p.images.dims[0], 0);
  const pixels = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  let row = 0;
  for (const p of parts) {
    const count = p.images.dims[0];
    for (let i = 0; i < count * 784; i++) pixels[row * 784 + i] = p.images.data[i] / 255;
    labels.set(p.labels.data.subarray(0, count), row);
    row += count;
  }
  const data = pca(pixels, n, 784, 50).projected;
  writeFileSync(dataFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(labelsFile, Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength));
  return { n, data, labels, dataFile, labelsFile };
}
