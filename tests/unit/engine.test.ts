// The engine's request handling, driven exactly as a host drives it: messages in, messages out.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message, ReplyMessage, EventMessage } from '../../electron/contract/messages.ts';
import { createEngine } from '../../electron/engine/engine.ts';
import { throttle } from '../../electron/engine/jobs.ts';
import * as tf from '@tensorflow/tfjs';
import { expectConsistentLadder } from './helpers/backend.ts';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'le-engine-'));
  process.env.LATENT_EXPLORER_DATA = dataDir;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function harness() {
  const out: Message[] = [];
  const engine = createEngine((m) => out.push(m));
  let id = 0;
  const request = async (method: string, params: unknown = {}) => {
    const myId = ++id;
    await engine.receive({ kind: 'request', id: myId, method, params });
    return out.find((m): m is ReplyMessage => m.kind === 'reply' && m.id === myId)!;
  };
  const waitForEvent = async (name: string, predicate: (d: any) => boolean = () => true, ms = 30_000) => {
    const start = Date.now();
    while (Date.now() - start < ms) {
      const hit = out.find((m): m is EventMessage => m.kind === 'event' && m.name === name && predicate(m.data));
      if (hit) return hit.data as any;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${name} event`);
  };
  return { engine, out, request, waitForEvent };
}

describe('engine request handling', () => {
  it('answers app.info with the backend in use and why native TensorFlow is not', async () => {
    const { request } = harness();
    const reply = await request('app.info');
    const info = reply.result as any;
    // the backend this process really runs on, and a ladder that says why each faster rung is not used
    expect(info.backend.backend).toBe(tf.getBackend());
    expectConsistentLadder(info.backend, process.env.LATENT_EXPLORER_BACKEND);
    expect(info.dataDir).toBe(dataDir);
  });

  it('replies with a not-found error to unknown requests, and keeps serving', async () => {
    const { request } = harness();
    const bad = await request('no.such.request');
    expect(bad.error).toEqual({ message: "Unknown request 'no.such.request'.", code: 'not-found' });
    expect((await request('dataset.recent')).result).toEqual([]);
  });

  it('looks request names up as its own handlers only: constructor, toString and __proto__ are unknown', async () => {
    const { request } = harness();
    for (const method of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const reply = await request(method);
      expect(reply.error, method).toEqual({ message: `Unknown request '${method}'.`, code: 'not-found' });
    }
  });

  it('lists folders for the folder browser and names a missing folder in its error', async () => {
    const root = join(dataDir, 'browse');
    mkdirSync(join(root, 'cats'), { recursive: true });
    mkdirSync(join(root, '.hidden'), { recursive: true });
    writeFileSync(join(root, 'a.png'), 'x');
    writeFileSync(join(root, 'notes.txt'), 'x');
    const { request } = harness();
    const listing = (await request('fs.list', { path: root })).result as any;
    expect(listing.entries.map((e: any) => e.name)).toEqual(['cats']);
    expect(listing.imageCount).toBe(1);
    const missing = await request('fs.list', { path: join(root, 'missing') });
    expect(missing.error?.code).toBe('bad-input');
    expect(missing.error?.message).toContain(join(root, 'missing'));
    expect(missing.error?.message).toContain('does not exist');
  });

  it('opens the sample as a job: the reply comes at once, the summary as an event, and Recent remembers it', async () => {
    const { request, waitForEvent, out } = harness();
    const reply = await request('dataset.open', { ref: 'sample:mnist' });
    const { jobId } = reply.result as { jobId: string };
    expect(jobId).toMatch(/^dataset-/);
    const opened = await waitForEvent('dataset.opened', (d) => d.jobId === jobId);
    // The reply that names the job goes out before any of the job's events.
    const replyAt = out.findIndex((m) => m.kind === 'reply' && m.id === reply.id);
    const firstEventAt = out.findIndex((m) => m.kind === 'event' && (m.data as { jobId?: string }).jobId === jobId);
    expect(replyAt).toBeGreaterThanOrEqual(0);
    expect(replyAt).toBeLessThan(firstEventAt);
    expect(opened.summary).toMatchObject({ ref: 'sample:mnist', images: 10_000, train: 9_001, test: 999, unlabelled: 0 }); // 10 % per class, rounded
    expect(opened.summary.classCounts['1']).toBe(1127);
    await waitForEvent('job.done', (d) => d.jobId === jobId);
    const recent = (await request('dataset.recent')).result as any[];
    expect(recent[0].ref).toBe('sample:mnist');
  });

  it('cancels nothing that is not running', async () => {
    const { request } = harness();
    expect((await request('job.cancel', { jobId: 'nope' })).result).toEqual({ cancelled: false });
  });
});

describe('throttle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes at most one call per interval and always delivers the latest value', () => {
    // fake timers: the interval is stepped exactly, no sleep racing the throttle's own timer
    vi.useFakeTimers();
    const seen: number[] = [];
    const t = throttle((v: number) => seen.push(v), 50);
    for (let i = 0; i < 100; i++) t(i);
    expect(seen).toEqual([0]);
    vi.advanceTimersByTime(49);
    expect(seen).toEqual([0]); // not before the interval is over
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([0, 99]);
    t(100);
    expect(seen).toEqual([0, 99]); // within the next interval: held back
    t.flush();
    expect(seen).toEqual([0, 99, 100]);
    vi.advanceTimersByTime(200);
    expect(seen).toEqual([0, 99, 100]); // nothing pending, nothing repeated
  });
});

describe('training through the engine', () => {
  it('trains, stops on request, and resumes the run from its checkpoint to the last epoch', async () => {
    const { request, waitForEvent, out } = harness();
    const settings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 2, batchSize: 256, lr: 0.001, seed: 3 };
    const started = (await request('train.start', { ref: 'sample:mnist', settings })).result as { jobId: string; runDir: string };
    expect(started.runDir.startsWith(join(dataDir, 'runs'))).toBe(true);
    const first = await waitForEvent('train.epoch', (e) => e.jobId === started.jobId && e.epoch === 1, 90_000);
    expect(first.testLoss).toBeGreaterThan(100);
    expect(first.testLoss).toBeLessThan(300);
    await request('train.control', { jobId: started.jobId, action: 'stop' });
    // Epoch 2 has 36 steps still to run when the stop arrives (it is answered between steps): it must stop, not finish.
    const stopped = await waitForEvent('train.state', (s) => s.jobId === started.jobId && ['stopped', 'done', 'failed'].includes(s.state), 60_000);
    expect(stopped.state).toBe('stopped');
    const onDisk = JSON.parse(readFileSync(join(started.runDir, 'run.json'), 'utf8'));
    expect(onDisk.status).toBe('stopped');
    expect(onDisk.history.map((h: { epoch: number }) => h.epoch)).toEqual([1]);
    expect(onDisk.modelEpoch).toBeGreaterThan(1);
    expect(onDisk.modelEpoch).toBeLessThan(2);

    // A second start of the same run is refused while it trains; a resume continues it.
    const resumed = (await request('train.resume', { runDir: started.runDir })).result as { jobId: string };
    const again = await request('train.resume', { runDir: started.runDir });
    expect(again.error?.message).toMatch(/already training/);
    const done = await waitForEvent('train.state', (s) => s.jobId === resumed.jobId && s.state === 'done', 90_000);
    expect(done.runDir).toBe(started.runDir);
    const epochs = out.filter((m): m is EventMessage => m.kind === 'event' && m.name === 'train.epoch').map((m) => (m.data as { epoch: number }).epoch);
    expect(epochs.at(-1)).toBe(2);

    const missing = await request('train.resume', { runDir: join(dataDir, 'no-such-run') });
    expect(missing.error?.code).toBe('bad-input');
    expect(missing.error?.message).toContain('no-such-run');
  });
});
