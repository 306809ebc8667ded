// The WebSocket frame decoder faces untrusted bytes: every typed-array ref is bounds-checked against
// the frame, type names are looked up as own properties only, and anything malformed ends in the
// codec's own FrameError — never another exception, never bytes from outside the frame.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, FrameError } from '../../electron/contract/codec.ts';

/** A frame with the given header JSON and payload bytes after it (8-aligned as the encoder does). */
function rawFrame(header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = (4 + json.length + 7) & ~7;
  const frame = new Uint8Array(start + payload.length);
  new DataView(frame.buffer).setUint32(0, json.length, true);
  frame.set(json, 4);
  frame.set(payload, start);
  return frame;
}

describe('frame decoder bounds', () => {
  it('refuses a ref with index -1 instead of reading the bytes before the frame (Node pools small buffers)', () => {
    // Put a secret into Node's shared pool right before the frame, as the host's own buffers would.
    const secret = Buffer.from('TOKEN-abcdefghijklmnop');
    const header = { data: { $typed: 'Uint8Array', index: -1, bytes: 16 } };
    const bytes = rawFrame(header);
    const pooled = Buffer.from(bytes); // small Buffers share one pool: byteOffset > 0
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(() => decodeFrame(new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength))).toThrow(FrameError);
    expect(secret.length).toBeGreaterThan(0);
  });

  it('refuses refs that skip an index, repeat one, are fractional or claim more bytes than the frame has', () => {
    const bad = [
      { a: { $typed: 'Uint8Array', index: 1, bytes: 0 } },
      { a: { $typed: 'Uint8Array', index: 0, bytes: 8 }, b: { $typed: 'Uint8Array', index: 0, bytes: 8 } },
      { a: { $typed: 'Uint8Array', index: 0.5, bytes: 8 } },
      { a: { $typed: 'Uint8Array', index: 0, bytes: 1e9 } },
      { a: { $typed: 'Uint8Array', index: 0, bytes: -8 } },
      { a: { $typed: 'Float32Array', index: 0, bytes: 6 } }, // not a whole number of floats
    ];
    for (const header of bad) expect(() => decodeFrame(rawFrame(header, new Uint8Array(8))), JSON.stringify(header)).toThrow(FrameError);
  });

  it('takes type names as own properties only: constructor, toString and __proto__ are not typed arrays', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const frame = rawFrame({ a: { $typed: name, index: 0, bytes: 8 } }, new Uint8Array(8));
      expect(() => decodeFrame(frame), name).toThrow(FrameError);
    }
  });

  it('refuses a header length past the end, a frame shorter than its length word, and a header that is not JSON', () => {
    const long = new Uint8Array(16);
    new DataView(long.buffer).setUint32(0, 1000, true);
    expect(() => decodeFrame(long)).toThrow(FrameError);
    expect(() => decodeFrame(new Uint8Array(2))).toThrow(FrameError);
    const junk = rawFrame({});
    junk[4] = 0x7b; // '{' then garbage
    junk.fill(0x41, 5);
    expect(() => decodeFrame(junk)).toThrow(FrameError);
  });

  // Each refusal names its reason, so these say which check refused (another check may catch a frame too:
  // a header past the end of the frame is usually also bad JSON).
  it('refuses a header that claims more bytes than the frame has, even when the bytes there are valid JSON', () => {
    const json = new TextEncoder().encode('{"kind":"event","name":"x","data":1}'); // 36 bytes: 4 + 36 is 8-aligned, no padding
    const frame = new Uint8Array(4 + json.length);
    frame.set(json, 4);
    new DataView(frame.buffer).setUint32(0, json.length, true);
    expect(decodeFrame(frame)).toEqual({ kind: 'event', name: 'x', data: 1 });
    new DataView(frame.buffer).setUint32(0, json.length + 1, true);
    expect(() => decodeFrame(frame)).toThrow(/Frame header runs past the end of the frame/);
  });

  it('refuses a header above 16 MiB before parsing it, and takes one of exactly 16 MiB', () => {
    const MiB16 = 16 * 1024 * 1024;
    const frameOf = (headerBytes: number) => {
      const frame = new Uint8Array(4 + headerBytes).fill(0x61); // "aaa…" inside a JSON string
      frame[4] = 0x22;
      frame[frame.length - 1] = 0x22;
      new DataView(frame.buffer).setUint32(0, headerBytes, true);
      return frame;
    };
    expect(decodeFrame(frameOf(MiB16))).toHaveLength(MiB16 - 2);
    expect(() => decodeFrame(frameOf(MiB16 + 1))).toThrow(/Frame header runs past the end of the frame/);
  });

  it('refuses a header that is not valid UTF-8 instead of decoding it with replacement characters', () => {
    const frame = rawFrame({ text: 'ab' });
    const at = new TextDecoder().decode(frame).indexOf('ab');
    frame[at] = 0xff; // a byte that starts no UTF-8 sequence, inside the JSON string
    expect(() => decodeFrame(frame)).toThrow(/Frame header is not valid JSON/);
  });

  it('names the reason of each refusal in one short line, however long the hostile field', () => {
    const cases: [unknown, RegExp][] = [
      [{ a: { $typed: 'X'.repeat(100_000), index: 0, bytes: 0 } }, /Frame names an unknown typed array 'X{40}'$/],
      [{ a: { $typed: 'Uint8Array', index: '9'.repeat(100_000), bytes: 0 } }, /Frame buffer ref 9{20} is out of order \(expected 0\)$/],
      [{ a: { $typed: 'Float32Array', index: 0, bytes: 6 } }, /^Frame buffer 0 has a bad byte count$/],
      [{ a: { $typed: 'Uint8Array', index: 0, bytes: 64 } }, /^Frame buffer 0 runs past the end of the frame$/],
    ];
    for (const [header, reason] of cases) expect(() => decodeFrame(rawFrame(header, new Uint8Array(8)))).toThrow(reason);
    expect(() => decodeFrame(new Uint8Array(3))).toThrow(/^Frame shorter than its length word$/);
  });

  it('decodes plain objects: their fields can be changed and deleted like any other', () => {
    const back = decodeFrame(encodeFrame({ kind: 'request', id: 3, method: 'm', params: { a: 1, nested: { b: 2 } } })) as { params: { a: number; nested: { b?: number } } };
    back.params.a = 5;
    delete back.params.nested.b;
    expect(back.params).toEqual({ a: 5, nested: {} });
  });

  it('keeps __proto__ keys as plain data, never as the prototype of the decoded object', () => {
    const json = '{"kind":"request","id":1,"method":"x","params":{"__proto__":{"polluted":true}}}';
    const text = new TextEncoder().encode(json);
    const frame = new Uint8Array((4 + text.length + 7) & ~7);
    new DataView(frame.buffer).setUint32(0, text.length, true);
    frame.set(text, 4);
    const back = decodeFrame(frame) as { params: Record<string, unknown> };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back.params)).toBe(Object.prototype);
    expect((back.params as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

// ---- fuzz: 10,000+ random and mutated frames ------------------------------------------------------

const typedArbitrary = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.float32Array({ maxLength: 16 }),
  fc.int32Array({ maxLength: 16 }),
  fc.float64Array({ maxLength: 8 }),
);
const messageArbitrary = fc.record({
  kind: fc.constantFrom('request', 'reply', 'event'),
  id: fc.integer(),
  method: fc.string(),
  params: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.jsonValue({ maxDepth: 2 }), typedArbitrary), { maxKeys: 4 }),
});

/** Where the decoded typed arrays came from must be inside the frame: mark the bytes around it. */
function decodeInsideSentinels(frame: Uint8Array): unknown {
  const padded = new Uint8Array(frame.length + 128).fill(0xee);
  padded.set(frame, 64);
  return decodeFrame(padded.subarray(64, 64 + frame.length));
}

function typedArraysIn(value: unknown, out: ArrayBufferView[] = []): ArrayBufferView[] {
  if (ArrayBuffer.isView(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => typedArraysIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => typedArraysIn(v, out));
  return out;
}

describe('frame decoder fuzz', () => {
  it('round-trips random messages and survives 10,000 random and mutated frames with only FrameError', () => {
    let decoded = 0;
    let refused = 0;
    const check = (frame: Uint8Array) => {
      let value: unknown;
      try {
        value = decodeInsideSentinels(frame);
      } catch (error) {
        if (!(error instanceof FrameError)) throw error;
        refused++;
        return;
      }
      decoded++;
      // Every byte of every decoded array lies within the frame's payload, so the total fits in it.
      const bytes = typedArraysIn(value).reduce((a, v) => a + v.byteLength, 0);
      expect(bytes).toBeLessThanOrEqual(frame.length);
      for (const view of typedArraysIn(value)) {
        const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        // The sentinel byte run (0xee x 16) from outside the frame never appears unless the frame has it.
        if (raw.length >= 16 && raw.every((b) => b === 0xee)) expect(frame.includes(0xee)).toBe(true);
      }
    };
    // 1. Valid messages round-trip exactly.
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const back = decodeFrame(encodeFrame(message));
        expect(JSON.stringify(back, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v))).toBe(
          JSON.stringify(message, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v)),
        );
      }),
      { numRuns: 2000, seed: 15 },
    );
    // 2. Valid frames with random bytes overwritten, truncated or extended.
    fc.assert(
      fc.property(
        messageArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.integer({ min: -16, max: 16 }),
        (message, edits, resize) => {
          const frame = encodeFrame(message);
          for (const [at, byte] of edits) frame[at % frame.length] = byte;
          const length = Math.max(0, frame.length + resize);
          const mutated = new Uint8Array(length);
          mutated.set(frame.subarray(0, Math.min(length, frame.length)));
          check(mutated);
        },
      ),
      { numRuns: 5000, seed: 16 },
    );
    // 3. Hostile headers: refs with any numbers and names, in otherwise valid frames.
    const refArbitrary = fc.record({
      $typed: fc.oneof(fc.constantFrom('Uint8Array', 'Float32Array', 'Float64Array', 'constructor', '__proto__', 'toString', 'DataView'), fc.string()),
      index: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double(), fc.constant(2 ** 53)),
      bytes: fc.oneof(fc.integer({ min: -16, max: 64 }), fc.double(), fc.constant(2 ** 32)),
    });
    fc.assert(
      fc.property(fc.array(refArbitrary, { maxLength: 4 }), fc.uint8Array({ maxLength: 96 }), (refs, payload) => {
        check(rawFrame({ kind: 'request', id: 1, method: 'x', params: { refs } }, payload));
      }),
      { numRuns: 3000, seed: 17 },
    );
    // 4. Pure noise.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => check(bytes)), { numRuns: 2000, seed: 18 });
    expect(decoded + refused).toBeGreaterThanOrEqual(10_000);
    expect(refused).toBeGreaterThan(1000);
    expect(decoded).toBeGreaterThan(1000);
  });
});
