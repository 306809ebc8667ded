// The engine's seeded PRNG is the models' one: one implementation for splits, shuffles and training.
export { mulberry32 } from '../../models/random.ts';
