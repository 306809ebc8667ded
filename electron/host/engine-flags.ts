// V8 flags the engine process starts with; both hosts fork it with them (engine-process.ts here,
// electron/shell/main.ts), and `npm run bench` runs the benchmarks with them so they measure the same heap.
//
// --max-semi-space-size=4 (MB): a training step makes many short-lived objects (TF.js's bookkeeping for
// its ~170 kernel calls), and V8 lets its young generation grow to three 16 MB semi-spaces for them: tens
// of MB of resident memory that a small data set cannot hide. Measured with `npm run bench memory`'s
// Fashion-MNIST case (52 MB as uint8), five runs each on the idle machine: 40–88 MB of growth (0.68–1.49×
// the data set plus the model) without it, 34–69 MB (0.58–1.17×) with it. Steps take as long either way
// (the MLP VAE's 5.3–5.9 ms a step in three alternating runs of each); the young objects die young.
// Flags cannot take effect later: V8 sizes its heap when the process starts.
export const ENGINE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
