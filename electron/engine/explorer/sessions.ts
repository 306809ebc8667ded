// The open run sessions of one engine, by run folder. A few stay open (switching back is instant);
// the least recently used one closes beyond that.
import { resolve } from 'node:path';
import { UserError } from '../../contract/errors.ts';
import type { DatasetOpener } from '../datasets/types.ts';
import type { Emit, JobRegistry } from '../jobs.ts';
import { RunSession } from './session.ts';

const MAX_OPEN = 3;

export class RunSessions {
  private readonly sessions = new Map<string, Promise<RunSession>>();

  constructor(
    private readonly emit: Emit,
    private readonly jobs: JobRegistry,
    private readonly openDataset: DatasetOpener,
  ) {}

  get(runDir: string): Promise<RunSession> {
    if (typeof runDir !== 'string' || !runDir) throw new UserError('Which run? runDir is missing.');
    const { sessions } = this;
    const key = resolve(runDir);
    let p = sessions.get(key);
    if (p) {
      sessions.delete(key);
      sessions.set(key, p);
      return p;
    }
    // A bad run folder gives a RunLoadError (a UserError): its message names the file and the reason.
    p = RunSession.open(key, (event) => this.emit('explorer.runUpdated', event), this.openDataset).catch((e) => {
      sessions.delete(key);
      throw e;
    });
    sessions.set(key, p);
    while (sessions.size > MAX_OPEN) {
      const [oldKey, old] = sessions.entries().next().value as [string, Promise<RunSession>];
      sessions.delete(oldKey);
      old.then((s) => this.closeSession(s)).catch(() => {});
    }
    return p;
  }

  async close(runDir: string): Promise<boolean> {
    const key = resolve(runDir);
    const p = this.sessions.get(key);
    if (!p) return false;
    this.sessions.delete(key);
    this.closeSession(await p);
    return true;
  }

  private closeSession(session: RunSession): void {
    if (session.embedJobId) this.jobs.cancel(session.embedJobId);
    session.close();
  }
}
