// How commands print: human lines by default, one JSON object per line with --json.
export interface Output {
  json: boolean;
  /** A terminal (not --json, stderr not piped): progress goes to one rewritten stderr line. */
  tty: boolean;
  /** A progress or status line; with --json an object {event, ...}. */
  event(event: string, data: Record<string, unknown>, human?: string): void;
  /** The final summary; with --json one object, else the human text. */
  result(data: unknown, human: string): void;
  /** Rewrites the terminal's progress line on stderr; nothing with --json or when stderr is piped. */
  progressLine(text: string): void;
  /** Clears the progress line (before a result or an error is printed). */
  endProgressLine(): void;
}

export function createOutput(json: boolean): Output {
  const tty = !json && process.stderr.isTTY === true;
  return {
    json,
    tty,
    event(event, data, human) {
      if (json) console.log(JSON.stringify({ event, ...data }));
      else if (human) console.log(human);
    },
    result(data, human) {
      if (json) console.log(JSON.stringify(data));
      else console.log(human);
    },
    progressLine(text) {
      if (tty) process.stderr.write(`\r\x1b[K${text}`);
    },
    endProgressLine() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
