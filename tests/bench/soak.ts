// Soak (issue #15): 4 sockets send mixed valid and invalid requests to the browser host for
// SOAK_MINUTES (default 5) while a run trains. Every request must be answered; the engine's RSS may
// grow by at most 100 MB from minute 1 to the end; the run then stops, resumes and finishes.
// Not part of npm test (it takes minutes): npm run bench -- soak.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';
import type { EventMessage, Message, ReplyMessage } from '../../electron/contract/messages.ts';
import { startBrowserHost } from '../../electron/host/browser-host.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 5);
const SOCKETS = 4;
const dataDir = mkdtempSync(join(tmpdir(), 'le-soak-'));
process.env.LATENT_EXPLORER_DATA = dataDir;
const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Client {
  request(method: string, params?: unknown, ms?: number): Promise<ReplyMessage>;
  events: EventMessage[];
  raw(bytes: Uint8Array): void;
  close(): void;
}

async function connect(port: number, token: string): Promise<Client> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}` });
  const waiting = new Map<number, (m: ReplyMessage) => void>();
  const events: EventMessage[] = [];
  let id = 0;
  socket.on('message', (data: Buffer) => {
    const m = decodeFrame(new Uint8Array(data)) as Message;
    if (m.kind === 'reply') waiting.get(m.id)?.(m);
    else if (m.kind === 'event' && m.name.startsWith('train.state')) events.push(m);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    events,
    request: (method, params = {}, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const mine = ++id;
        const timer = setTimeout(() => reject(new Error(`no reply to ${method} in ${ms / 1000} s`)), ms);
        waiting.set(mine, (m) => {
          clearTimeout(timer);
          waiting.delete(mine);
          resolve(m);
        });
        socket.send(encodeFrame({ kind: 'request', id: mine, method, params }));
      }),
    raw: (bytes) => socket.send(bytes),
    close: () => socket.close(),
  };
}

const VALID: Array<[string, unknown]> = [
  ['app.info', {}],
  ['dataset.recent', {}],
  ['explorer.runs', {}],
  ['train.jobs', {}],
  ['fs.list', { path: dataDir }],
];
const INVALID: Array<[string, unknown]> = [
  ['no.such.request', {}],
  ['constructor', {}],
  ['__proto__', {}],
  ['train.resume', { runDir: join(dataDir, 'missing') }],
  ['export.start', { spec: { kind: 'bundle', runDir: '/nowhere' }, out: '/tmp/x' }],
  ['fs.list', { path: '/no/such/folder' }],
  ['export.describe', { runDir: '/nowhere' }],
  ['train.start', { ref: 'sample:mnist', settings: { model: 'vae', arch: 'mlp', latent: 2, epochs: 1, batchSize: 64, lr: 0.001, seed: 1, samples: 1e7 } }],
  ['train.start', { ref: 'sample:mnist', settings: { model: '../../etc', latent: 2 } }],
];

async function main(): Promise<void> {
  const host = await startBrowserHost({ rendererDir, port: 0 });
  const control = await connect(host.port, host.token);
  const started = await control.request('train.start', { ref: 'sample:mnist', settings: { model: 'vae', arch: 'mlp', latent: 2, epochs: 1000, batchSize: 128, lr: 0.001, seed: 1 } });
  if (started.error) throw new Error(started.error.message);
  const { jobId, runDir } = started.result as { jobId: string; runDir: string };
  console.log(`training ${runDir}; ${SOCKETS} sockets for ${MINUTES} min`);

  const end = Date.now() + MINUTES * 60_000;
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let unanswered = 0;
  let garbage = 0;
  const rss: { minute: number; mb: number }[] = [];
  const sampler = setInterval(() => rss.push({ minute: (Date.now() - (end - MINUTES * 60_000)) / 60_000, mb: rssMb(host.enginePid()!) }), 5000);
  const clients = await Promise.all(Array.from({ length: SOCKETS }, () => connect(host.port, host.token)));
  await Promise.all(
    clients.map(async (client, c) => {
      let k = c;
      while (Date.now() < end) {
        k++;
        if (k % 13 === 0) {
          // A frame that is not one of ours: dropped without a reply, the socket and host live on.
          client.raw(Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + k) & 255));
          garbage++;
          continue;
        }
        const [method, params] = k % 3 === 0 ? INVALID[k % INVALID.length] : VALID[k % VALID.length];
        sent++;
        try {
          const reply = await client.request(method, params);
          answered++;
          if (reply.error) errors++;
        } catch (e) {
          unanswered++;
          console.log(`socket ${c}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }),
  );
  clearInterval(sampler);
  const at = (minute: number) => rss.reduce((best, s) => (Math.abs(s.minute - minute) < Math.abs(best.minute - minute) ? s : best)).mb;
  const growth = at(MINUTES) - at(1);

  // The run stops, resumes with one more epoch, and finishes with every epoch in its history.
  await control.request('train.control', { jobId, action: 'stop' });
  const waitState = async (id: string, states: string[], ms: number) => {
    const limit = Date.now() + ms;
    while (Date.now() < limit) {
      const hit = control.events.find((e) => (e.data as { jobId: string }).jobId === id && states.includes((e.data as { state: string }).state));
      if (hit) return (hit.data as { state: string }).state;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not reach ${states.join('/')}`);
  };
  await waitState(jobId, ['stopped'], 120_000);
  const stoppedRun = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  const epochsBefore = stoppedRun.history.length;
  const resumed = await control.request('train.resume', { runDir, epochs: epochsBefore + 1 });
  if (resumed.error) throw new Error(resumed.error.message);
  const final = await waitState((resumed.result as { jobId: string }).jobId, ['done', 'failed'], 600_000);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  const epochs = run.history.map((h: { epoch: number }) => h.epoch);
  const contiguous = epochs.every((e: number, i: number) => e === i + 1);

  for (const c of [...clients, control]) c.close();
  await host.close();
  rmSync(dataDir, { recursive: true, force: true });

  console.log(`requests sent ${sent}, answered ${answered} (${errors} with an error reply, as intended for the invalid ones), unanswered ${unanswered}; ${garbage} garbage frames dropped`);
  console.log(`engine RSS: minute 1 ${at(1).toFixed(0)} MB, minute ${MINUTES} ${at(MINUTES).toFixed(0)} MB, growth ${growth.toFixed(0)} MB (limit 100 MB); peak ${Math.max(...rss.map((s) => s.mb)).toFixed(0)} MB`);
  console.log(`run: stopped after ${epochsBefore} epochs, resumed to ${epochs.length} (${final}); epochs contiguous: ${contiguous}`);
  const ok = unanswered === 0 && answered === sent && growth <= 100 && final === 'done' && contiguous && epochs.length === epochsBefore + 1;
  console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
