// A model replaced while a request still uses it (a newer epoch, a snapshot leaving the cache, the view
// closed) is disposed when the last request that took it settles, never under it: every read of a
// result is asynchronous now, so a request holds its model across awaits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from './helpers/tf.ts';
import { mnistSlice } from './helpers/sample.ts';
import { inRequest, lease, retire } from '../../electron/engine/explorer/model-leases.ts';
import { RunSession } from '../../electron/engine/explorer/session.ts';
import { startTraining } from '../../electron/engine/training/job.ts';

/** A stand-in model that counts its disposals. */
const model = () => ({ disposed: 0, dispose() { this.disposed++; } });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('model leases', () => {
  it('disposes a model no request holds at once', async () => {
    const m = model();
    retire(m);
    expect(m.disposed).toBe(1);
    // leased outside a request: nothing holds it
    const n = model();
    lease(n);
    retire(n);
    expect(n.disposed).toBe(1);
  });

  it('keeps a retired model whole until the requests that leased it settle, then disposes it once', async () => {
    const m = model();
    let second!: Promise<void>;
    let finishSecond!: () => void;
    await inRequest(async () => {
      lease(m);
      second = inRequest(async () => {
        lease(m);
        lease(m); // twice in one request counts once
        await new Promise<void>((resolve) => (finishSecond = resolve));
      });
      await turn();
      retire(m);
      await turn();
      expect(m.disposed, 'retired under a request').toBe(0);
    });
    expect(m.disposed, 'the other request still runs').toBe(0);
    finishSecond();
    await second;
    expect(m.disposed).toBe(1);
  });

  it('releases a failed request too', async () => {
    const m = model();
    await expect(
      inRequest(async () => {
        lease(m);
        retire(m);
        await turn();
        throw new Error('the request failed');
      }),
    ).rejects.toThrow('the request failed');
    expect(m.disposed).toBe(1);
  });
});

describe('a run session under a request', () => {
  let root: string;
  const ds = mnistSlice(300);
  beforeAll(async () => {
    await useWasm();
    root = mkdtempSync(join(tmpdir(), 'le-leases-'));
    await startTraining(ds, { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 100, lr: 2e-3, seed: 5, hidden: [32, 8] }, join(root, 'run')).done;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('decodes with the model it took after the session closed under it; the model goes when the request ends', async () => {
    const session = await RunSession.open(join(root, 'run'), () => {}, async () => ds);
    const z = new Float32Array(4);
    const taken = await inRequest(async () => {
      const m = session.requireModel();
      const first = await session.decodeWith(m, z, 2);
      session.close(); // as a newer epoch's load or closing the view would, between two reads of one request
      await turn();
      const second = await session.decodeWith(m, z, 2);
      expect(second).toEqual(first);
      return m;
    });
    await turn();
    await expect(session.decodeWith(taken, z, 2)).rejects.toThrow(/disposed/);
  });
});
