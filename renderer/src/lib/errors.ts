// The renderer's one way to turn a failure into the line the user reads. Requests fail with a
// RequestError whose message is the engine's (a UserError names the file and the reason).
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
