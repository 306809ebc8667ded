// Types for gifenc 1.0 (the package ships none). Only what the exports use. In Node the package
// resolves to its CommonJS build, whose exports arrive as the default import.
declare module 'gifenc' {
  export type Palette = number[][];
  export type ColorFormat = 'rgb565' | 'rgb444' | 'rgba4444';

  export interface QuantizeOptions {
    format?: ColorFormat;
    oneBitAlpha?: boolean | number;
    clearAlpha?: boolean;
    clearAlphaThreshold?: number;
    clearAlphaColor?: number;
  }

  export interface FrameOptions {
    palette?: Palette;
    first?: boolean;
    transparent?: boolean;
    transparentIndex?: number;
    /** ms */
    delay?: number;
    /** -1 once, 0 forever, n times */
    repeat?: number;
    colorDepth?: number;
    dispose?: number;
  }

  export interface GifStream {
    writeByte(byte: number): void;
    writeBytes(bytes: ArrayLike<number>, offset?: number, byteLength?: number): void;
    writeBytesView(bytes: Uint8Array, offset?: number, byteLength?: number): void;
  }

  export interface Encoder {
    writeHeader(): void;
    writeFrame(index: Uint8Array, width: number, height: number, opts?: FrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
    reset(): void;
    readonly stream: GifStream;
  }

  export function GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): Encoder;
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: QuantizeOptions): Palette;
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: ColorFormat): Uint8Array;
  export function nearestColorIndex(palette: Palette, pixel: number[]): number;

  const gifenc: {
    GIFEncoder: typeof GIFEncoder;
    quantize: typeof quantize;
    applyPalette: typeof applyPalette;
    nearestColorIndex: typeof nearestColorIndex;
  };
  export default gifenc;
}
