// Import progress as one line of text and a fraction, for progress bars and the CLI.
import type { ImportProgress } from './types.ts';

const number = (n: number) => Math.round(n).toLocaleString('en-US');

export function describeProgress(p: ImportProgress): { fraction?: number; message: string } {
  switch (p.phase) {
    case 'scanning':
      return { message: `Scanning: ${number(p.scanned)} files` };
    case 'decoding': {
      const left = p.imagesPerSec > 0 ? `, ${Math.ceil(p.etaSec)} s left` : '';
      return { fraction: p.total ? p.decoded / p.total : 0, message: `Decoding: ${number(p.decoded)} of ${number(p.total)} images (${number(p.imagesPerSec)} images/s${left})` };
    }
    case 'caching':
      return { fraction: 1, message: 'Saving the decoded images for a fast reopen' };
    default:
      return { fraction: 1, message: `Opened ${number(p.decoded)} images` };
  }
}
