// Property-based tests of the WebSocket frame codec (fast-check): any message survives the round trip,
// and a frame that was cut short, extended or had bytes changed is either refused with an Error or decoded
// from its own bytes only. A socket's Buffer is often a slice of a larger pooled buffer, so every frame here
// sits inside a bigger buffer filled with other bytes: a decoder that read past its frame would return them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from '../../electron/contract/codec.ts';

const typedArray = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.int8Array({ maxLength: 40 }),
  fc.uint16Array({ maxLength: 20 }),
  fc.int16Array({ maxLength: 20 }),
  fc.uint32Array({ maxLength: 12 }),
  fc.int32Array({ maxLength: 12 }),
  fc.float32Array({ maxLength: 12 }),
  fc.float64Array({ maxLength: 8 }),
  fc.uint8ClampedArray({ maxLength: 40 }),
);
// JSON values as they come back from JSON (no -0, no undefined), mixed with typed arrays at any depth
const leaf = fc.oneof(fc.json({ maxDepth: 2 }).map((text) => JSON.parse(text) as unknown), typedArray);
const message = fc.record({
  kind: fc.constantFrom('request', 'reply', 'event'),
  id: fc.nat(),
  data: fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), fc.oneof(leaf, fc.array(leaf, { maxLength: 4 })), { maxKeys: 5 }),
});

/** `bytes` placed at `at` inside a larger buffer filled with `fill`: a view like a pooled socket Buffer. */
function embedded(bytes: Uint8Array, fill: number, at = 8): Uint8Array {
  const pool = new Uint8Array(at + bytes.length + 64).fill(fill);
  pool.set(bytes, at);
  return pool.subarray(at, at + bytes.length);
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
function outcome(frame: Uint8Array): Outcome {
  try {
    return { ok: true, value: decodeFrame(frame) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The frame decodes to `original`, or is refused with an Error; what lies outside the frame never matters. */
function refusedOrSame(frame: Uint8Array, original: unknown): void {
  for (const fill of [0x00, 0xaa]) {
    const r = outcome(embedded(frame, fill));
    if (r.ok) expect(r.value).toEqual(original);
    else expect(r.error).toBeInstanceOf(Error);
  }
}

describe('frame codec properties', () => {
  it('round-trips any message with typed arrays at any depth, also from inside a larger buffer', () => {
    fc.assert(
      fc.property(message, (m) => {
        const frame = encodeFrame(m);
        expect(frame.byteLength % 8).toBe(0);
        expect(decodeFrame(frame)).toEqual(m);
        expect(decodeFrame(embedded(frame, 0xaa, 3))).toEqual(m);
      }),
    );
  });

  it('a frame missing a whole 8-byte block or more of its buffers is refused with an Error', () => {
    fc.assert(
      fc.property(message, typedArray.filter((t) => t.byteLength >= 8), fc.nat(), (m, last, by) => {
        // a typed array at the end of the frame, so the cut removes bytes of a buffer, not only padding
        const withTail = { ...m, tail: last };
        const frame = encodeFrame(withTail);
        const cut = frame.byteLength - 8 - (by % (last.byteLength - 7));
        for (const fill of [0x00, 0xaa]) expect(() => decodeFrame(embedded(frame.subarray(0, cut), fill))).toThrow(Error);
      }),
    );
  });

  // Before #15's bounds checks, a frame cut inside its last buffer and a negative buffer index were decoded
  // from bytes outside the frame.
  it('a truncated frame is refused with an Error (or, cut only in its final padding, decodes the same)', () => {
    fc.assert(
      fc.property(message, fc.double({ min: 0, max: 1, noNaN: true }), (m, where) => {
        const frame = encodeFrame(m);
        const cut = Math.min(frame.byteLength - 1, Math.floor(where * frame.byteLength));
        refusedOrSame(frame.subarray(0, cut), m);
      }),
    );
    // Every cut of one frame with a typed array at its end: none may yield other values.
    const m = { kind: 'event', name: 'x', data: { pixels: Uint8Array.from({ length: 24 }, (_, i) => i + 1) } };
    const frame = encodeFrame(m);
    for (let cut = 0; cut < frame.byteLength; cut++) refusedOrSame(frame.subarray(0, cut), m);
  });

  it('an extended frame (bytes appended) decodes to the same message or is refused', () => {
    fc.assert(
      fc.property(message, fc.uint8Array({ minLength: 1, maxLength: 40 }), (m, extra) => {
        const frame = encodeFrame(m);
        const longer = new Uint8Array(frame.byteLength + extra.length);
        longer.set(frame);
        longer.set(extra, frame.byteLength);
        refusedOrSame(longer, m);
      }),
    );
  });

  it('a frame with bytes changed anywhere is refused with an Error or decoded from its own bytes only', () => {
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (m, changes) => {
          const frame = encodeFrame(m).slice();
          for (const [where, xor] of changes) frame[Math.floor(where * frame.byteLength)] ^= xor;
          const a = outcome(embedded(frame, 0x00));
          const b = outcome(embedded(frame, 0xaa));
          // the same answer whatever surrounds the frame: nothing outside it was read
          expect(a.ok).toBe(b.ok);
          if (a.ok && b.ok) expect(a.value).toEqual(b.value);
          for (const r of [a, b]) if (!r.ok) expect(r.error).toBeInstanceOf(Error);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('header fields that point outside the frame are refused, not followed', () => {
    const frame = encodeFrame({ kind: 'event', name: 'x', data: { v: Float32Array.from([1, 2, 3, 4]) } });
    const header = new TextDecoder().decode(frame.subarray(4, 4 + new DataView(frame.buffer).getUint32(0, true)));
    const withHeader = (json: string) => {
      const h = new TextEncoder().encode(json);
      const out = new Uint8Array(((4 + h.length + 7) & ~7) + 16);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 4);
      out.set(new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer), (4 + h.length + 7) & ~7);
      return out;
    };
    for (const json of [
      header.replace('"bytes":16', '"bytes":4096'), // longer than the frame
      header.replace('"index":0', '"index":5'), // a buffer that does not exist
      header.replace('"index":0', '"index":-1'),
      header.replace('"bytes":16', '"bytes":-16'),
      header.replace('"bytes":16', '"bytes":6'), // not a whole number of float32 values
    ]) {
      expect(json).not.toBe(header);
      for (const fill of [0x00, 0xaa]) expect(() => decodeFrame(embedded(withHeader(json), fill))).toThrow(Error);
    }
    // a header length larger than the frame
    const bad = frame.slice();
    new DataView(bad.buffer).setUint32(0, 1 << 30, true);
    expect(() => decodeFrame(embedded(bad, 0xaa))).toThrow(Error);
  });
});
