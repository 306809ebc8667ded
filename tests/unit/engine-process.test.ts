// The engine as its own process: when its host goes away mid-training, it saves the run (checkpoint,
// status 'stopped') before it exits, so nothing but the last moments is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../../electron/contract/messages.ts';
import { forkEngine } from '../../electron/host/engine-process.ts';
import { ENGINE_V8_FLAGS } from '../../electron/host/engine-flags.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'le-engine-proc-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('engine process', () => {
  it("the CLI started as a command takes the engine's V8 flags (its first line)", () => {
    const shebang = readFileSync('bin/latent-explorer.mjs', 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${ENGINE_V8_FLAGS.join(' ')}`);
  });

  it('saves a training run as stopped, mid-epoch, when its host disconnects', async () => {
    const engine = forkEngine({ ...process.env, LATENT_EXPLORER_DATA: dataDir });
    // started with the engine's V8 flags (a small young generation, and no GC helper threads to take a
    // training thread's core: see electron/host/engine-flags.ts)
    expect(engine.child.spawnargs).toContain('--max-semi-space-size=4');
    expect(engine.child.spawnargs).toContain('--single-threaded-gc');
    const inbox: Message[] = [];
    engine.onMessage((m) => inbox.push(m));
    const exited = new Promise<number | null>((resolve) => engine.onExit((code) => resolve(code)));
    const waitFor = async (match: (m: Message) => boolean, ms = 90_000) => {
      for (let t = 0; t < ms; t += 20) {
        const hit = inbox.find(match);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('timed out');
    };
    const settings = { model: 'vae', arch: 'mlp', latent: 2, epochs: 5, batchSize: 128, lr: 0.001, seed: 2 };
    engine.send({ kind: 'request', id: 1, method: 'train.start', params: { ref: 'sample:mnist', settings } });
    const reply = (await waitFor((m) => m.kind === 'reply' && m.id === 1)) as { result: { runDir: string } };
    // The first epoch is saved; then some steps of the second, and the host goes away.
    await waitFor((m) => m.kind === 'event' && m.name === 'train.epoch');
    await waitFor((m) => m.kind === 'event' && m.name === 'train.progress' && (m.data as { epoch: number; stepInEpoch: number }).epoch === 2 && (m.data as { stepInEpoch: number }).stepInEpoch > 5);
    engine.child.disconnect();
    expect(await exited).toBe(0);
    const run = JSON.parse(readFileSync(join(reply.result.runDir, 'run.json'), 'utf8'));
    expect(run.status).toBe('stopped');
    expect(run.modelEpoch).toBeGreaterThan(1); // part of epoch 2 was kept
    expect(run.modelEpoch).toBeLessThan(5);
  }, 120_000);
});
