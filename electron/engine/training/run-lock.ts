// One trainer per run folder, across processes: an engine job and a CLI `train --resume` (or two
// engines) must not both write one run, or the last writer silently wins. The lock is a file in the
// run folder, created exclusively, holding the trainer's pid and start times; a lock whose process
// is gone (kill -9, a crash, a reboot that reused the pid) is stale and taken over.
import { readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, processStartMs } from '../processes.ts';
import { SettingsError } from './settings.ts';

export const LOCK_FILE = '.training.lock';

export interface RunLockInfo {
  pid: number;
  /** When the lock was taken (ISO). */
  startedAt: string;
  /** When the locking process started (ms since the epoch), to tell a reused pid apart; null where unknown. */
  processStart: number | null;
  host: string;
}

/** Another live process trains this run; the message names it. */
export class RunBusyError extends SettingsError {
  override name = 'RunBusyError';
}

/** Run folders whose lock this process holds. */
const held = new Set<string>();

export function lockPath(runDir: string): string {
  return join(runDir, LOCK_FILE);
}

function readLock(runDir: string): { info: RunLockInfo | null; text: string } | null {
  let text: string;
  try {
    text = readFileSync(lockPath(runDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const info = JSON.parse(text) as RunLockInfo;
    return { info: typeof info?.pid === 'number' ? info : null, text };
  } catch {
    return { info: null, text }; // half-written by a process killed at that moment
  }
}

/** Whether the lock's process still holds it: alive, the same process (start time), on this machine. */
function isLive(info: RunLockInfo | null, runDir: string): boolean {
  if (!info) return false;
  if (info.host !== hostname()) return true; // a network share: we cannot tell, so respect it
  if (info.pid === process.pid) return held.has(runDir);
  if (!isProcessAlive(info.pid)) return false;
  const started = processStartMs(info.pid);
  // A different process with the same pid started well after (or before) the lock's owner.
  return started === null || info.processStart === null || Math.abs(started - info.processStart) < 5000;
}

function busyMessage(runDir: string, info: RunLockInfo): string {
  const where = info.host === hostname() ? '' : ` on ${info.host}`;
  return `${runDir}: already being trained by process ${info.pid}${where} (since ${info.startedAt}); stop that one first or wait for it to finish`;
}

/** Throws RunBusyError if a live process (this one included) trains `runDir`. */
export function checkRunLock(runDir: string): void {
  const current = readLock(runDir);
  if (current?.info && isLive(current.info, runDir)) throw new RunBusyError(busyMessage(runDir, current.info));
}

/** The lock of `runDir`'s trainer, or null when none is live. */
export function runLockHolder(runDir: string): RunLockInfo | null {
  const current = readLock(runDir);
  return current?.info && isLive(current.info, runDir) ? current.info : null;
}

/**
 * Takes the lock of `runDir` for this process, taking over a stale one; throws RunBusyError naming
 * the live holder. Returns the function that releases it.
 */
export function acquireRunLock(runDir: string): () => void {
  mkdirSync(runDir, { recursive: true });
  const mine: RunLockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    processStart: processStartMs(process.pid) ?? Math.round(Date.now() - process.uptime() * 1000),
    host: hostname(),
  };
  const text = JSON.stringify(mine);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(lockPath(runDir), text, { flag: 'wx' }); // exclusive: fails if a lock exists
      held.add(runDir);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(runDir);
        // Remove only our own lock (a stale-lock takeover elsewhere must not be undone).
        if (readLock(runDir)?.text === text) unlinkSync(lockPath(runDir));
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readLock(runDir);
    if (!current) continue; // released meanwhile: try again
    if (isLive(current.info, runDir)) throw new RunBusyError(busyMessage(runDir, current.info!));
    // Stale: remove it if it is still the one we judged (another process may have taken over since).
    if (readLock(runDir)?.text === current.text) {
      try {
        unlinkSync(lockPath(runDir));
      } catch {
        // someone else removed it first
      }
    }
  }
  throw new RunBusyError(`${runDir}: could not take the training lock (${LOCK_FILE}); another process keeps taking it`);
}
