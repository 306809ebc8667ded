// The app version for run.json, from package.json (bundled by vite, read directly under tsx).
import pkg from '../../../package.json' with { type: 'json' };

export function appVersion(): string {
  return (pkg as { version?: string }).version ?? 'unknown';
}
