// One error vocabulary for the engine, the CLI and the hosts. UserError: a message meant for the user
// as it is (names the file and the reason); every error class of that kind extends it, so replies
// (toErrorInfo) and the CLI's exit codes classify them here, once. CancelledError: work the user
// stopped; isCancelled also knows the DOM's AbortError (AbortSignal.throwIfAborted throws that).

export interface ErrorInfo {
  message: string;
  /** 'bad-input' for the user's mistakes, 'cancelled' for cancelled work, 'internal' otherwise. */
  code: 'bad-input' | 'cancelled' | 'not-found' | 'internal';
}

/** An error whose message is meant for the user as it is (names the file and the reason). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: ErrorInfo['code'] = 'bad-input',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Work stopped because the user (or a shutdown) cancelled it. Named 'AbortError', like fetch and the DOM. */
export class CancelledError extends Error {
  override name = 'AbortError';
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

/** Whether `error` means "cancelled": ours, or an AbortError from an AbortSignal or a library. */
export function isCancelled(error: unknown): boolean {
  return error instanceof CancelledError || (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** Throws a CancelledError when `signal` has been aborted (a plain `{ aborted }` flag will do). */
export function throwIfCancelled(signal: { aborted: boolean } | undefined | null, message?: string): void {
  if (signal?.aborted) throw new CancelledError(message);
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof UserError) return { message: error.message, code: error.code };
  if (isCancelled(error)) return { message: 'Cancelled.', code: 'cancelled' };
  const message = error instanceof Error ? error.message : String(error);
  return { message, code: 'internal' };
}
