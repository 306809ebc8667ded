// The preprocessing flags that import and train share (--size, --channels, --binarize, --test-split).
import type { Binarize, PreprocessOptions } from '../engine/datasets/types.ts';
import { choiceOption, intOption, numberOption } from './args.ts';
import { UsageError } from './errors.ts';

export const PREPROCESS_FLAGS = {
  size: { type: 'string' },
  channels: { type: 'string' },
  binarize: { type: 'string' },
  'test-split': { type: 'string' },
} as const;

/** The preprocessing options given on the command line (absent ones stay unset). */
export function preprocessOptions(values: Record<string, unknown>): Partial<PreprocessOptions> {
  const o: Partial<PreprocessOptions> = {};
  const size = intOption(values, 'size', { min: 4, max: 512 });
  if (size !== undefined) o.size = size;
  const channels = choiceOption(values, 'channels', ['1', '3']);
  if (channels !== undefined) o.channels = Number(channels) as 1 | 3;
  const binarize = values.binarize as string | undefined;
  if (binarize !== undefined) o.binarize = parseBinarize(binarize);
  const split = numberOption(values, 'test-split', { min: 0, below: 1, what: 'a share from 0 to below 1, e.g. 0.1' });
  if (split !== undefined) o.testSplit = split;
  return o;
}

function parseBinarize(b: string): Binarize {
  if (b === 'off' || b === 'dynamic') return b;
  const t = Number(b);
  if (b.trim() === '' || !(t > 0 && t < 1)) throw new UsageError(`--binarize must be off, dynamic or a threshold between 0 and 1 (got '${b}')`);
  return t;
}
