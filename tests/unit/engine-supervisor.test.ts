// The engine's lifecycle as both hosts get it from the supervisor: replies pass through, a dying
// engine fails the requests in flight with the reason and is replaced after a pause, requests wait
// for the new one, and an engine that keeps dying is given up on with advice for the user.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../electron/contract/messages.ts';
import { superviseEngine, type EngineChild } from '../../electron/host/engine-supervisor.ts';

class FakeEngine implements EngineChild {
  static count = 0;
  readonly pid = ++FakeEngine.count;
  readonly received: Message[] = [];
  private messageHandlers: ((m: Message) => void)[] = [];
  private exitHandlers: ((code: number | null, signal: string | null) => void)[] = [];
  stopped = false;
  send(message: Message) {
    this.received.push(message);
  }
  onMessage(handler: (m: Message) => void) {
    this.messageHandlers.push(handler);
  }
  onExit(handler: (code: number | null, signal: string | null) => void) {
    this.exitHandlers.push(handler);
  }
  async stop() {
    this.stopped = true;
    this.die(0, null);
  }
  reply(id: number, result: unknown) {
    for (const h of this.messageHandlers) h({ kind: 'reply', id, result });
  }
  die(code: number | null, signal: string | null) {
    for (const h of this.exitHandlers) h(code, signal);
  }
}

function setup(options: { maxCrashes?: number } = {}) {
  const engines: FakeEngine[] = [];
  const delivered: Message[] = [];
  const supervisor = superviseEngine({
    start: () => {
      const engine = new FakeEngine();
      engines.push(engine);
      return engine;
    },
    deliver: (m) => delivered.push(m),
    giveUpAdvice: 'Restart the app.',
    firstDelayMs: 5,
    ...options,
  });
  const request = (id: number): Message => ({ kind: 'request', id, method: 'app.info', params: {} });
  const until = async (test: () => boolean) => {
    for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(test()).toBe(true);
  };
  return { engines, delivered, supervisor, request, until };
}

describe('engine supervisor', () => {
  it('passes messages both ways; a dead engine fails its requests with the reason and is replaced', async () => {
    const { engines, delivered, supervisor, request, until } = setup();
    supervisor.send(request(1));
    supervisor.send(request(2));
    engines[0].reply(1, 'ok');
    expect(delivered).toEqual([{ kind: 'reply', id: 1, result: 'ok' }]);
    expect(supervisor.pid()).toBe(engines[0].pid);

    engines[0].die(null, 'SIGKILL');
    const failed = delivered.find((m) => m.kind === 'reply' && m.id === 2);
    expect(failed).toMatchObject({ error: { code: 'internal', message: expect.stringMatching(/engine stopped \(SIGKILL\) and restarts now/) } });
    expect(delivered.find((m) => m.kind === 'event' && m.name === 'engine.restarted')).toBeTruthy();
    expect(delivered.filter((m) => m.kind === 'reply' && m.id === 1)).toHaveLength(1); // answered requests are not failed again

    // Meanwhile requests wait, and go to the new engine when it is there.
    supervisor.send(request(3));
    await until(() => engines.length === 2);
    expect(engines[1].received).toEqual([request(3)]);
    expect(supervisor.pid()).toBe(engines[1].pid);
    engines[1].reply(3, 'again');
    expect(delivered.at(-1)).toEqual({ kind: 'reply', id: 3, result: 'again' });
  });

  it('gives up on an engine that keeps dying, and says what to do', async () => {
    const { engines, delivered, supervisor, request, until } = setup({ maxCrashes: 2 });
    engines[0].die(1, null);
    await until(() => engines.length === 2);
    engines[1].die(1, null);
    await until(() => engines.length === 3);
    engines[2].die(1, null);
    await new Promise((r) => setTimeout(r, 100));
    expect(engines).toHaveLength(3);
    const last = delivered.filter((m) => m.kind === 'event' && m.name === 'engine.restarted').at(-1) as { data: { message: string } };
    expect(last.data.message).toMatch(/stopped \(exit code 1\) 3 times in 30 s; it is not restarted again\. Restart the app\./);
    supervisor.send(request(9));
    expect(delivered.at(-1)).toMatchObject({ kind: 'reply', id: 9, error: { message: last.data.message } });
  });

  it('stop() ends the engine for good: no restart, no failure message', async () => {
    const { engines, delivered, supervisor } = setup();
    await supervisor.stop();
    expect(engines[0].stopped).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(engines).toHaveLength(1);
    expect(delivered).toEqual([]);
  });
});
