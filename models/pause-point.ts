// Crash-safety tests kill a process in the middle of a write. With LATENT_EXPLORER_PAUSE_AT="<point>" or
// "<point>@<n>" set, the n-th time (default: the first) the process reaches <point> it prints
// "paused at <point>" on stderr and blocks for good, waiting for the test's kill -9. Unset (always,
// outside those tests) a pause point is one environment lookup.
const reached = new Map<string, number>();

export function pausePoint(point: string): void {
  const spec = globalThis.process?.env?.LATENT_EXPLORER_PAUSE_AT;
  if (!spec) return;
  const at = spec.lastIndexOf('@');
  const [name, nth] = at > 0 ? [spec.slice(0, at), Number(spec.slice(at + 1))] : [spec, 1];
  if (name !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count !== nth) return;
  process.stderr.write(`paused at ${point}\n`); // synchronous on pipes and files
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks this thread until the kill
}
