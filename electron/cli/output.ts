// How commands print: human lines by default, one JSON object per line with --json.
export interface Output {
  json: boolean;
  /** A progress or status line; with --json an object {event, ...}. */
  event(event: string, data: Record<string, unknown>, human?: string): void;
  /** The final summary; with --json one object, else the human text. */
  result(data: unknown, human: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    event(event, data, human) {
      if (json) console.log(JSON.stringify({ event, ...data }));
      else if (human) console.log(human);
    },
    result(data, human) {
      if (json) console.log(JSON.stringify(data));
      else console.log(human);
    },
  };
}
