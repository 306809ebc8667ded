// Where the threads of a data-parallel step meet: a shared Int32Array [shards done, shards failed]. A
// thread whose shard is done lends its core to the slower threads' native kernels until every shard is in
// (kernels.ts helpUntil), then takes its share of the Adam step without a message in between.
import { helpUntil } from '../../../../models/native/kernels.ts';

const DONE = 0;
const FAILED = 1;
/**
 * How long a thread lends its core, or blocks for the other shards, without a part to run or a shard
 * coming in; then the training thread waits for its workers' messages, a worker for the counter.
 */
const PATIENCE_MS = 50;

/** Int32 x 2, shared by the training thread and its workers. */
export function meetingBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * 4);
}

/** A new step: no shard in yet (the training thread, before any worker hears of the step). */
export function startStep(meeting: Int32Array): void {
  Atomics.store(meeting, FAILED, 0);
  Atomics.store(meeting, DONE, 0);
}

/**
 * This thread's shard: `compute()`, then counted in, as failed if it threw (a failure is written first,
 * so whoever sees every shard in sees it too).
 */
export function shard<T>(meeting: Int32Array, compute: () => T): T {
  let ok = false;
  try {
    const result = compute();
    ok = true;
    return result;
  } finally {
    if (!ok) Atomics.add(meeting, FAILED, 1);
    Atomics.add(meeting, DONE, 1);
    Atomics.notify(meeting, DONE);
  }
}

/**
 * Lends this core (when `lend`) until `parts` shards are in, else blocks for them, but never more than
 * PATIENCE_MS without progress (the training thread then waits for its workers' messages, which also
 * tell it of a worker that died). Returns the kernel parts it ran.
 */
export function lendUntilIn(meeting: Int32Array, parts: number, lend: boolean): number {
  const ran = lend ? helpUntil(meeting, DONE, parts, PATIENCE_MS) : 0;
  let end = performance.now() + PATIENCE_MS;
  for (let seen = Atomics.load(meeting, DONE), now; seen < parts && (now = performance.now()) < end; ) {
    Atomics.wait(meeting, DONE, seen, end - now);
    const next = Atomics.load(meeting, DONE);
    if (next !== seen) end = performance.now() + PATIENCE_MS;
    seen = next;
  }
  return ran;
}

/** Whether all `parts` shards are in and none failed: then the Adam step may start. */
export function allInAndWell(meeting: Int32Array, parts: number): boolean {
  return Atomics.load(meeting, DONE) >= parts && Atomics.load(meeting, FAILED) === 0;
}

/**
 * Blocks until `parts` shards are in (worker threads only: the training thread waits for messages), and
 * throws if one failed or none came for `timeoutMs`.
 */
export function waitUntilIn(meeting: Int32Array, parts: number, timeoutMs: number): void {
  const end = performance.now() + timeoutMs;
  for (let seen; (seen = Atomics.load(meeting, DONE)) < parts; ) {
    if (performance.now() > end) throw new Error(`the other training threads did not finish their shards within ${timeoutMs / 1000} s`);
    Atomics.wait(meeting, DONE, seen, 100);
  }
  if (Atomics.load(meeting, FAILED) > 0) throw new Error("another training thread's shard failed; this step is not applied");
}
