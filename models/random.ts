import seedrandom from 'seedrandom';

// A small seeded PRNG (mulberry32): splits, shuffles, sampling and augmentation repeat exactly for the same seed.
/** mulberry32's draws; `state` and `advance` let native code take draws from the same sequence (models/native). */
export type SeededRandom = (() => number) & {
  /** the generator's state (a uint32) before the next draw */
  readonly state: number;
  /** skips `draws` draws (taken elsewhere, from `state`) */
  advance(draws: number): void;
};

// Its state steps by a constant each draw, so skipping n draws is one multiply.
const STEP = 0x6d2b79f5;

export function mulberry32(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + STEP) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRandom;
  Object.defineProperty(next, 'state', { get: () => a });
  next.advance = (draws: number) => {
    a = (a + Math.imul(draws >>> 0, STEP)) >>> 0;
  };
  return next;
}

/**
 * tf.randomNormal([count], 0, 1, 'float32', tfSeed(seed))'s values, without making a tensor: the same
 * generator (seedrandom's alea, seeded with the seed's string) and the same Marsaglia polar method as TF.js's
 * MPRandGauss, so the same floats (tested). For the fused MLP step, which reads its noise from a plain array:
 * through TF.js the draw and its tensor took ~15 µs a step of ~1.7.
 */
export function normalFromSeed(count: number, seed: number | undefined): Float32Array {
  const s = tfSeed(seed);
  const random = seedrandom.alea((s ? s : Math.random()).toString());
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    let v1: number, v2: number, q: number;
    do {
      v1 = 2 * random() - 1;
      v2 = 2 * random() - 1;
      q = v1 * v1 + v2 * v2;
    } while (q >= 1 || q === 0);
    const mul = Math.sqrt((-2.0 * Math.log(q)) / q);
    out[i] = 0 + v1 * mul; // TF.js's mean + stdDev · v1 · mul with mean 0 and stdDev 1 (0 + turns −0 into 0 as there)
    if (i + 1 < count) out[i + 1] = 0 + v2 * mul;
  }
  return out;
}

/**
 * The seed to hand TF.js's random ops. TF.js reads a seed of 0 as "no seed" and draws one from
 * Math.random(), so a seeded run's step 0 did not repeat; 0 becomes 0.5, which no integer seed meets.
 */
export function tfSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 0.5 : seed;
}
