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
