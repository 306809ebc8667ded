import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import { createClient, followJob, RequestError, type Transport } from '../../electron/contract/client.ts';
import type { Message } from '../../electron/contract/messages.ts';
import { CancelledError, isCancelled, throwIfCancelled, toErrorInfo, UserError } from '../../electron/contract/errors.ts';
import { UsageError } from '../../electron/cli/errors.ts';
import { OutputExistsError } from '../../electron/engine/exports/write.ts';
import { VectorsCsvError } from '../../electron/engine/projections/vectors-csv.ts';
import { RunLoadError } from '../../electron/engine/training/run-file.ts';
import { SettingsError } from '../../electron/engine/training/settings.ts';
import { isMessage } from '../../electron/contract/messages.ts';

describe('WebSocket frame codec', () => {
  it('carries typed arrays as bytes, not number lists, and restores their types and values', () => {
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => i % 256);
    const means = Float32Array.from([0.5, -1.25, 3e-8]);
    const labels = Int32Array.from([-1, 7]);
    const message = { kind: 'event', name: 'x', data: { pixels, nested: [{ means }], labels, text: 'ok', n: 3 } };
    const frame = encodeFrame(message);
    // 784 + 12 + 8 bytes of payload plus a small header: a JSON number list would be several KB.
    expect(frame.byteLength).toBeLessThan(784 + 12 + 8 + 400);
    const back = decodeFrame(frame) as typeof message;
    expect(back.data.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.data.pixels)).toEqual(Array.from(pixels));
    expect(back.data.nested[0].means).toBeInstanceOf(Float32Array);
    expect(Array.from(back.data.nested[0].means)).toEqual(Array.from(means));
    expect(Array.from(back.data.labels)).toEqual([-1, 7]);
    expect(back.data.text).toBe('ok');
    expect(back.data.n).toBe(3);
  });

  it('encodes a view into a larger buffer by its own bytes only', () => {
    const big = new Float32Array(100).map((_, i) => i);
    const view = big.subarray(10, 13);
    const back = decodeFrame(encodeFrame({ view })) as { view: Float32Array };
    expect(Array.from(back.view)).toEqual([10, 11, 12]);
  });
});

describe('client', () => {
  function loopback(answer: (m: Message) => Message[]): Transport {
    let handler: (m: Message) => void = () => {};
    return {
      send: (m) => queueMicrotask(() => answer(m).forEach((r) => handler(r))),
      onMessage: (h) => (handler = h),
    };
  }

  it('matches replies to requests and rejects with the engine error', async () => {
    const client = createClient(
      loopback((m) => {
        if (m.kind !== 'request') return [];
        if (m.method === 'fs.list') return [{ kind: 'reply', id: m.id, error: { message: '/nope: cannot open this folder', code: 'bad-input' } }];
        return [{ kind: 'reply', id: m.id, result: { echoed: m.method } }];
      }),
    );
    await expect(client.request('dataset.recent', {})).resolves.toEqual({ echoed: 'dataset.recent' });
    const error = await client.request('fs.list', { path: '/nope' }).catch((e) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(error.info).toEqual({ message: '/nope: cannot open this folder', code: 'bad-input' });
  });

  it('delivers events to listeners until they unsubscribe', async () => {
    let push: (m: Message) => void = () => {};
    const client = createClient({ send: () => {}, onMessage: (h) => (push = h) });
    const seen: string[] = [];
    const off = client.on('job.progress', (p) => seen.push(p.message));
    push({ kind: 'event', name: 'job.progress', data: { jobId: 'a', kind: 'k', message: 'one' } });
    off();
    push({ kind: 'event', name: 'job.progress', data: { jobId: 'a', kind: 'k', message: 'two' } });
    expect(seen).toEqual(['one']);
  });
});

describe('messages', () => {
  it('recognises messages and maps errors for the user', () => {
    expect(isMessage({ kind: 'request', id: 1, method: 'x', params: {} })).toBe(true);
    expect(isMessage({ kind: 'other' })).toBe(false);
    expect(isMessage(null)).toBe(false);
    expect(toErrorInfo(new UserError('a.png: truncated'))).toEqual({ message: 'a.png: truncated', code: 'bad-input' });
    expect(toErrorInfo(new Error('boom')).code).toBe('internal');
  });
});

describe('one error vocabulary', () => {
  it('every way work is cancelled reads as cancelled, and nothing else does', () => {
    let domAbort: unknown;
    try {
      AbortSignal.abort().throwIfAborted();
    } catch (e) {
      domAbort = e;
    }
    for (const e of [new CancelledError(), new CancelledError('t-SNE cancelled'), domAbort]) {
      expect(isCancelled(e)).toBe(true);
      expect(toErrorInfo(e)).toEqual({ message: 'Cancelled.', code: 'cancelled' });
    }
    for (const e of [new Error('boom'), new UserError('a.png: truncated'), 'text', null, undefined]) expect(isCancelled(e)).toBe(false);
    expect(() => throwIfCancelled({ aborted: false })).not.toThrow();
    expect(() => throwIfCancelled({ aborted: true })).toThrow(CancelledError);
  });

  it("the engine's and the CLI's user-facing errors are UserErrors: one line for the user, not 'internal'", () => {
    const errors = [new SettingsError('latent must be a whole number'), new RunLoadError('/r/run.json: missing'), new VectorsCsvError('row 2: 3 values'), new OutputExistsError('/o.gif'), new UsageError('train needs --data')];
    for (const e of errors) {
      expect(e).toBeInstanceOf(UserError);
      expect(toErrorInfo(e)).toEqual({ message: e.message, code: 'bad-input' });
    }
    expect(new SettingsError('x').name).toBe('SettingsError');
  });
});

describe('followJob', () => {
  function fakeEngine() {
    let deliver: (m: Message) => void = () => {};
    const sent: Message[] = [];
    const transport: Transport = { send: (m) => sent.push(m), onMessage: (h) => (deliver = h) };
    return { client: createClient(transport), sent, push: (m: Message) => deliver(m) };
  }
  const frame = (jobId: string, iteration: number, done = false) => ({ kind: 'event' as const, name: 'explorer.embedFrame', data: { jobId, runDir: '/r', iteration, iterations: 10, coords: new Float32Array(2), done } });

  it("hears its own job's events, also those that beat the reply, and stops at the end", async () => {
    const { client, sent, push } = fakeEngine();
    const seen: number[] = [];
    let done = 0;
    const following = followJob(client, 'explorer.embed', { runDir: '/r', part: 'all', perplexity: 30, iterations: 10, seed: 1 }, {
      on: { 'explorer.embedFrame': (f) => seen.push(f.iteration) },
      done: () => done++,
    });
    push(frame('mine', 1)); // before the reply
    push(frame('other', 99));
    push({ kind: 'reply', id: (sent[0] as { id: number }).id, result: { jobId: 'mine', count: 1 } });
    const job = await following;
    expect(job.jobId).toBe('mine');
    push(frame('mine', 2, true));
    push({ kind: 'event', name: 'job.done', data: { jobId: 'mine', kind: 'embed' } });
    push(frame('mine', 3)); // after the end: no longer heard
    expect(seen).toEqual([1, 2]);
    expect(done).toBe(1);
  });

  it('reports a failed or cancelled job, and a dead engine, once', async () => {
    const { client, sent, push } = fakeEngine();
    const failures: { message: string; cancelled: boolean; engineStopped: boolean }[] = [];
    const start = () => followJob(client, 'dataset.open', { ref: '/d' }, { failed: (f) => failures.push(f) });
    let p = start();
    push({ kind: 'reply', id: (sent.at(-1) as { id: number }).id, result: { jobId: 'a' } });
    await p;
    push({ kind: 'event', name: 'job.failed', data: { jobId: 'a', kind: 'dataset', message: 'Cancelled.', cancelled: true } });
    p = start();
    push({ kind: 'reply', id: (sent.at(-1) as { id: number }).id, result: { jobId: 'b' } });
    await p;
    push({ kind: 'event', name: 'engine.restarted', data: { message: 'The engine stopped (SIGKILL) and restarts now.' } });
    push({ kind: 'event', name: 'engine.restarted', data: { message: 'again' } });
    expect(failures).toEqual([
      { message: 'Cancelled.', cancelled: true, engineStopped: false },
      { message: 'The engine stopped (SIGKILL) and restarts now.', cancelled: false, engineStopped: true },
    ]);
  });

  it('listens to nothing when the reply names no job (a cached layout)', async () => {
    const { client, sent, push } = fakeEngine();
    const seen: number[] = [];
    const p = followJob(client, 'explorer.embed', { runDir: '/r', part: 'all', perplexity: 30, iterations: 10, seed: 1 }, { on: { 'explorer.embedFrame': (f) => seen.push(f.iteration) } });
    push({ kind: 'reply', id: (sent[0] as { id: number }).id, result: { jobId: null, count: 1, coords: new Float32Array(2) } });
    expect((await p).jobId).toBeNull();
    push(frame('x', 1));
    expect(seen).toEqual([]);
  });
});
