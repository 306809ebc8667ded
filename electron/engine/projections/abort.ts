// The error a cancelled projection throws (name 'AbortError', like fetch and the DOM).
export class TsneAbortError extends Error {
  override name = 'AbortError';
  constructor() {
    super('t-SNE cancelled');
  }
}
