import { UserError } from '../contract/errors.ts';

/** Bad use of the command line: the CLI prints the message on one line and exits with code 2, as for every UserError. */
export class UsageError extends UserError {
  override name = 'UsageError';
}
