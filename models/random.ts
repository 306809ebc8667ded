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
 * The seed to hand TF.js's random ops. TF.js reads a seed of 0 as "no seed" and draws one from
 * Math.random(), so a seeded run's step 0 did not repeat; 0 becomes 0.5, which no integer seed meets.
 */
export function tfSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 0.5 : seed;
}
