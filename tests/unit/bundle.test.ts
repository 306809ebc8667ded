// The engine as electron-vite bundles it for Electron (out/main/engine.js, started there with
// utilityProcess.fork) must work on its own: the backend ladder, a sample run, and t-SNE in its
// worker thread (out/main/tsne-worker.js), all without the TypeScript sources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventMessage, Message, ReplyMessage } from '../../electron/contract/messages.ts';
import type { BackendInfo } from '../../electron/contract/api.ts';
import { expectConsistentLadder } from './helpers/backend.ts';

const root = join(import.meta.dirname, '..', '..');
const engineJs = join(root, 'out', 'main', 'engine.js');
let child: ChildProcess;
let dataDir: string;
const inbox: Message[] = [];

beforeAll(() => {
  if (!existsSync(engineJs)) throw new Error(`${engineJs} is missing: run \`npm run build\` first (npm test does).`);
  dataDir = mkdtempSync(join(tmpdir(), 'le-bundle-'));
  child = fork(engineJs, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, LATENT_EXPLORER_DATA: dataDir } });
  child.on('message', (m) => inbox.push(m as Message));
});
afterAll(() => {
  child?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

let nextId = 1;
async function request(method: string, params: unknown = {}): Promise<ReplyMessage> {
  const id = nextId++;
  child.send({ kind: 'request', id, method, params });
  return waitFor((m): m is ReplyMessage => m.kind === 'reply' && m.id === id);
}
async function waitFor<T extends Message>(match: (m: Message) => m is T, ms = 60_000): Promise<T> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const hit = inbox.find(match);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting for the bundled engine');
}

describe('the bundled engine (out/main/engine.js)', () => {
  it('starts, picks the best backend installed here and says why faster ones are not used', async () => {
    const info = (await request('app.info')).result as { backend: BackendInfo };
    expectConsistentLadder(info.backend, process.env.LATENT_EXPLORER_BACKEND);
  });

  it('opens a shipped run and lays out its latent means with t-SNE in the bundled worker', async () => {
    const runs = ((await request('explorer.runs')).result as { runs: { runDir: string; name: string }[] }).runs;
    const run = runs.find((r) => r.name === 'mnist-vae-2d');
    expect(run, 'the shipped 2-D VAE run is listed').toBeTruthy();
    const opened = await request('explorer.open', { runDir: run!.runDir });
    expect(opened.error).toBeUndefined();
    const reply = await request('explorer.embed', { runDir: run!.runDir, part: 'all', perplexity: 20, iterations: 300, seed: 1 });
    expect(reply.error).toBeUndefined();
    const { jobId, count } = reply.result as { jobId: string; count: number };
    const done = await waitFor((m): m is EventMessage => m.kind === 'event' && m.name === 'explorer.embedFrame' && (m.data as { jobId: string; done: boolean }).jobId === jobId && (m.data as { done: boolean }).done, 120_000);
    const coords = (done.data as { coords: Float32Array }).coords;
    expect(coords).toBeInstanceOf(Float32Array);
    expect(coords.length).toBe(count * 2);
    expect(coords.every(Number.isFinite)).toBe(true);
    // A real layout, not the initialisation: the points spread out.
    let spread = 0;
    for (let i = 0; i < coords.length; i += 2) spread = Math.max(spread, Math.abs(coords[i]));
    expect(spread).toBeGreaterThan(1);
  });
});
