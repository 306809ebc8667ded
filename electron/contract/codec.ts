// Binary framing for the WebSocket: JSON for the structure, raw bytes for typed arrays, so images and
// latent vectors never become JSON number lists.
// Frame: [u32 header length][header JSON, UTF-8][pad to 8][buffer 0][pad to 8]...[buffer k]

const TYPED = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedName = keyof typeof TYPED;
type AnyTyped = InstanceType<(typeof TYPED)[TypedName]>;

/** What stands in the JSON where a typed array was. */
interface TypedRef {
  $typed: TypedName;
  index: number;
  bytes: number;
}

function typedName(value: unknown): TypedName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name as TypedName;
  return name in TYPED ? name : null;
}

/** A frame that is not one of ours: malformed, truncated, or with a ref outside its bytes. */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** The typed-array constructor of a name, looked up as an own property only ('constructor' is no type). */
function typedCtor(name: unknown) {
  return typeof name === 'string' && Object.hasOwn(TYPED, name) ? TYPED[name as TypedName] : null;
}

const align8 = (n: number) => (n + 7) & ~7;

export function encodeFrame(message: unknown): Uint8Array<ArrayBuffer> {
  const buffers: AnyTyped[] = [];
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key, value) {
    // The replacer sees typed arrays after their (absent) toJSON, so read the original from `this`.
    const original = this[key];
    const name = typedName(original);
    if (!name) return value;
    const typed = original as AnyTyped;
    buffers.push(typed);
    return { $typed: name, index: buffers.length - 1, bytes: typed.byteLength } satisfies TypedRef;
  });
  const header = new TextEncoder().encode(json);
  let size = align8(4 + header.length);
  const offsets = buffers.map((b) => {
    const at = size;
    size = align8(size + b.byteLength);
    return at;
  });
  const frame = new Uint8Array(size);
  new DataView(frame.buffer).setUint32(0, header.length, true);
  frame.set(header, 4);
  buffers.forEach((b, i) => frame.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]));
  return frame;
}

/** Largest header accepted: the host's maxPayload bounds frames anyway; this bounds JSON parsing. */
const MAX_HEADER = 16 * 1024 * 1024;

/**
 * Decodes a frame from an untrusted peer. Every ref is checked (a known type, indices 0..k-1 each
 * once and in order, a whole number of elements inside the frame); anything else throws FrameError,
 * so no byte outside `frame` (Node's pooled buffers hold other data) is ever read.
 */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4) throw new FrameError('Frame shorter than its length word');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > MAX_HEADER || 4 + headerLength > frame.byteLength) throw new FrameError('Frame header runs past the end of the frame');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(4, 4 + headerLength)));
  } catch {
    throw new FrameError('Frame header is not valid JSON');
  }
  // Buffers follow the header in index order: the k-th ref met while restoring must have index k.
  let offset = align8(4 + headerLength);
  let nextIndex = 0;
  const restoreRef = (ref: Record<string, unknown>): AnyTyped => {
    const Ctor = typedCtor(ref.$typed);
    const { index, bytes } = ref;
    if (!Ctor) throw new FrameError(`Frame names an unknown typed array '${String(ref.$typed).slice(0, 40)}'`);
    if (index !== nextIndex) throw new FrameError(`Frame buffer ref ${String(index).slice(0, 20)} is out of order (expected ${nextIndex})`);
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || bytes % Ctor.BYTES_PER_ELEMENT !== 0)
      throw new FrameError(`Frame buffer ${nextIndex} has a bad byte count`);
    if (offset + bytes > frame.byteLength) throw new FrameError(`Frame buffer ${nextIndex} runs past the end of the frame`);
    // Copy so the result is aligned and owns its memory; subarray cannot leave the frame.
    const copy = frame.slice(offset, offset + bytes);
    offset = align8(offset + bytes);
    nextIndex++;
    return new Ctor(copy.buffer);
  };
  const restore = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') {
      // A typed-array ref: an object with its own $typed key.
      if (Object.hasOwn(value, '$typed')) return restoreRef(value as Record<string, unknown>);
      // defineProperty, not assignment: a '__proto__' key stays data and never becomes the prototype.
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: restore(v), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return value;
  };
  return restore(parsed);
}
