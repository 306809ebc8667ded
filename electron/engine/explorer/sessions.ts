// The open run sessions of the engine, by run folder. A few stay open (switching back is instant);
// the least recently used one closes beyond that.
import { resolve } from 'node:path';
import { UserError } from '../../contract/errors.ts';
import type { EngineContext } from '../context.ts';
import { RunSession } from './session.ts';

const MAX_OPEN = 3;
const sessions = new Map<string, Promise<RunSession>>();

export function getSession(runDir: string, ctx: EngineContext): Promise<RunSession> {
  if (typeof runDir !== 'string' || !runDir) throw new UserError('Which run? runDir is missing.');
  const key = resolve(runDir);
  let p = sessions.get(key);
  if (p) {
    sessions.delete(key);
    sessions.set(key, p);
    return p;
  }
  // A bad run folder gives a RunLoadError (a UserError): its message names the file and the reason.
  p = RunSession.open(key, (event) => ctx.emit('explorer.runUpdated', event)).catch((e) => {
    sessions.delete(key);
    throw e;
  });
  sessions.set(key, p);
  while (sessions.size > MAX_OPEN) {
    const [oldKey, old] = sessions.entries().next().value as [string, Promise<RunSession>];
    sessions.delete(oldKey);
    old.then((s) => closeSession(s, ctx)).catch(() => {});
  }
  return p;
}

function closeSession(session: RunSession, ctx: EngineContext): void {
  if (session.embedJobId) ctx.jobs.cancel(session.embedJobId);
  session.close();
}

export async function closeRun(runDir: string, ctx: EngineContext): Promise<boolean> {
  const key = resolve(runDir);
  const p = sessions.get(key);
  if (!p) return false;
  sessions.delete(key);
  closeSession(await p, ctx);
  return true;
}

/** Closes every session (tests). */
export async function closeAll(ctx: EngineContext): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const p of all) {
    try {
      closeSession(await p, ctx);
    } catch {
      // it never opened
    }
  }
}
