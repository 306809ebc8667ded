// Data sets: the public API used by the engine's handlers, training and the CLI.
export { openDataset, FOLDER_DEFAULTS, validateOptions, groupSkipped, type OpenInternals } from './open.ts';
export { previewImport, suggestOptions, type ImportPreview, type OptionSuggestion, type PreviewImage } from './preview.ts';
export { toFloatBatch } from './batch.ts';
export { describeProgress } from './progress.ts';
export { stratifiedSplit } from './split.ts';
export { loadSampleMnist, SAMPLE_DEFAULTS } from './sample.ts';
export * from './types.ts';
