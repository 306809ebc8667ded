// V8 flags the engine process starts with; both hosts fork it with them (engine-process.ts here,
// electron/shell/main.ts), and `npm run bench` runs the benchmarks with them so they measure the same heap.
//
// --max-semi-space-size=4 (MB): a training step makes many short-lived objects (TF.js's bookkeeping for
// its ~170 kernel calls), and V8 lets its young generation grow to three 16 MB semi-spaces for them: tens
// of MB of resident memory that a small data set cannot hide. Measured with `npm run bench memory`'s
// Fashion-MNIST case (52 MB as uint8), five runs each on the idle machine: 40–88 MB of growth (0.68–1.49×
// the data set plus the model) without it, 34–69 MB (0.58–1.17×) with it. Steps take as long either way
// (the MLP VAE's 5.3–5.9 ms a step in three alternating runs of each); the young objects die young.
//
// --single-threaded-gc: V8's collector otherwise hands parts of every collection to helper threads (parallel
// scavenges, concurrent marking and sweeping). On two cores both run training threads, so each helper
// task takes a core from the other thread's shard, and a data-parallel step waits for the slower shard:
// the worker's shard took 135 ms beside the training thread's 125 (the same work takes 117–120 alone on
// either). With it both take ~117–125, and the conv VAE's two threads went from 1.64–1.69x one thread
// to 1.73–1.88x in alternating runs (4 December, `npm run bench threads` and ten-round A/Bs). One thread
// runs as fast (conv 571–595 images/s either way; MLP 47–48K). Memory: the Fashion-MNIST case of `npm
// run bench memory` grew 68–73 MB with it (1.15–1.23x the target's base) and 29–69 MB without (0.50–1.17x);
// the conv case 519–540 MB against 513–530; the target is 1.5x. --no-parallel-scavenge alone did not help
// (1.67x), and --no-concurrent-marking with --no-parallel-marking crashed Node 20's V8.
// Flags cannot take effect later: V8 sizes its heap when the process starts.
export const ENGINE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--single-threaded-gc'];
