// A small seeded PRNG (mulberry32): splits, shuffles, sampling and augmentation repeat exactly for the same seed.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed to hand TF.js's random ops. TF.js reads a seed of 0 as "no seed" and draws one from
 * Math.random(), so a seeded run's step 0 did not repeat; 0 becomes 0.5, which no integer seed meets.
 */
export function tfSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 0.5 : seed;
}
