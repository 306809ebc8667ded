// Names that come from a browser are untrusted: a relative path must stay inside the upload's
// folder on every OS, and a folder name must be one plain path component.

const MAX_PATH_CHARS = 4096;
const MAX_DEPTH = 32;
const MAX_COMPONENT_BYTES = 255;

/** A path that cannot be stored safely; the message names it and why. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/** Characters Windows forbids in names (and '\\', a separator there), and control characters. */
const FORBIDDEN = /[<>:"|?*\\\u0000-\u001f\u007f]/g;
/** Names Windows reserves for devices, with any extension. */
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/** One path component made safe: forbidden characters become '_'; trailing dots and spaces go. */
export function safeComponent(name: string): string {
  let safe = name.replace(FORBIDDEN, '_').replace(/[. ]+$/, '');
  if (RESERVED.test(safe)) safe = `_${safe}`;
  while (Buffer.byteLength(safe) > MAX_COMPONENT_BYTES) safe = safe.slice(0, -1);
  return safe;
}

/**
 * The parts of an uploaded file's relative path ('a/b.png' → ['a', 'b.png']), each made safe.
 * Refused (UnsafePathError): absolute paths, '..' or '.' parts, empty parts, NUL, too deep or long.
 */
export function safeRelativePath(path: unknown): string[] {
  if (typeof path !== 'string' || !path) throw new UnsafePathError('a file has no name');
  const shown = JSON.stringify(path.slice(0, 200));
  if (path.length > MAX_PATH_CHARS) throw new UnsafePathError(`${shown}…: path longer than ${MAX_PATH_CHARS} characters`);
  if (path.includes('\0')) throw new UnsafePathError(`${shown}: a NUL character in the name`);
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.startsWith('\\')) throw new UnsafePathError(`${shown}: an absolute path, not one inside the folder`);
  const parts = path.split(/[/\\]/);
  if (parts.length > MAX_DEPTH) throw new UnsafePathError(`${shown}: more than ${MAX_DEPTH} folders deep`);
  return parts.map((part) => {
    if (part === '' || part === '.' || part === '..') throw new UnsafePathError(`${shown}: '${part || '(empty)'}' is not a folder or file name inside the upload`);
    const safe = safeComponent(part);
    if (!safe) throw new UnsafePathError(`${shown}: the name '${part}' has no usable character`);
    return safe;
  });
}
