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

function isTypedRef(value: unknown): value is TypedRef {
  if (!value || typeof value !== 'object') return false;
  const ref = value as Partial<TypedRef>;
  return typeof ref.$typed === 'string' && ref.$typed in TYPED && typeof ref.index === 'number' && typeof ref.bytes === 'number';
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

export function decodeFrame(frame: Uint8Array): unknown {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, true);
  const json = new TextDecoder().decode(frame.subarray(4, 4 + headerLength));
  const refs: TypedRef[] = [];
  const parsed = JSON.parse(json, (_key, value) => {
    if (isTypedRef(value)) refs[value.index] = value;
    return value;
  });
  // Buffers follow the header in index order; recompute their offsets from the recorded sizes.
  const offsets: number[] = [];
  let offset = align8(4 + headerLength);
  for (const ref of refs) {
    offsets.push(offset);
    offset = align8(offset + ref.bytes);
  }
  if (offset > frame.byteLength + 7) throw new Error('Truncated frame');
  const restore = (value: unknown): unknown => {
    if (isTypedRef(value)) {
      const Ctor = TYPED[value.$typed];
      const start = frame.byteOffset + offsets[value.index];
      // Copy so the result is aligned and owns its memory.
      const bytes = new Uint8Array(frame.buffer, start, value.bytes).slice().buffer;
      return new Ctor(bytes);
    }
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = restore(v);
      return out;
    }
    return value;
  };
  return restore(parsed);
}
