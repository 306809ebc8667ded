// Long operations: each gets an id, an AbortController and throttled progress events.
import type { EventName, Events } from '../contract/api.ts';
import { isCancelled } from '../contract/errors.ts';
import type { JobState } from '../contract/training.ts';

/** Sends an event to the host (and on to every window). */
export type Emit = <E extends EventName>(name: E, data: Events[E]) => void;

export interface RunningJob {
  id: string;
  kind: string;
  controller: AbortController;
  /** The run folder the job works on (training), from the request on. */
  runDir?: string;
  /** Pause, resume and stop, for jobs that have them (training, once its data is open). */
  control?: JobControl;
}

export interface JobControl {
  readonly state: JobState;
  pause(): void;
  resume(): void;
  stop(): void;
}

export class JobRegistry {
  private jobs = new Map<string, RunningJob>();
  /** Settles when the job has finished, however it ended. */
  private finished = new Map<string, Promise<void>>();
  private counter = 0;

  constructor(private readonly emit: Emit) {}

  /**
   * Starts `work` in the background and returns its id at once. Completion and failure are reported
   * as job.done / job.failed events, so no request waits on long work.
   */
  start<T>(kind: string, work: (job: RunningJob) => Promise<T>, about: { runDir?: string } = {}): RunningJob {
    const job: RunningJob = { id: `${kind}-${++this.counter}-${Date.now().toString(36)}`, kind, controller: new AbortController(), ...about };
    this.jobs.set(job.id, job);
    // setImmediate, not a microtask: the request's reply (with this job's id) must go out before any
    // of the job's events, or a client could not tell they belong to it.
    let settle: () => void = () => {};
    this.finished.set(job.id, new Promise((resolve) => (settle = resolve)));
    setImmediate(async () => {
      try {
        const result = await work(job);
        this.emit('job.done', { jobId: job.id, kind, result });
      } catch (error) {
        const cancelled = job.controller.signal.aborted || isCancelled(error);
        const message = cancelled ? 'Cancelled.' : error instanceof Error ? error.message : String(error);
        this.emit('job.failed', { jobId: job.id, kind, message, cancelled });
      } finally {
        this.jobs.delete(job.id);
        this.finished.delete(job.id);
        settle();
      }
    });
    return job;
  }

  get(id: string): RunningJob | undefined {
    return this.jobs.get(id);
  }

  /** The jobs running now, of one kind. */
  list(kind: string): RunningJob[] {
    return [...this.jobs.values()].filter((job) => job.kind === kind);
  }

  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  /**
   * Cancels every job and waits (at most `ms`) for them to wind up: a training run saves its
   * checkpoint and marks itself stopped before the process goes.
   */
  async cancelAll(ms = 5000): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    const all = Promise.all(this.finished.values());
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
  }
}

/** Calls `fn` at most once per `ms`, always delivering the latest value last (trailing edge). */
export function throttle<T>(fn: (value: T) => void, ms = 100): ((value: T) => void) & { flush(): void } {
  let last = 0;
  let pending: { value: T } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    last = Date.now();
    fn(value);
  };
  const throttled = (value: T) => {
    pending = { value };
    const wait = ms - (Date.now() - last);
    if (wait <= 0) fire();
    else timer ??= setTimeout(fire, wait);
  };
  throttled.flush = () => {
    if (timer) clearTimeout(timer);
    fire();
  };
  return throttled;
}
