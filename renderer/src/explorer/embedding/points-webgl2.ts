// The WebGL2 point layer: positions and colours live in GPU buffers, uploaded only when they change;
// panning and zooming set one uniform (the clip-space matrix) and redraw, so 100,000 points cost one
// draw call a frame. Plain WebGL2, not regl: regl compiles its commands with `new Function`, which the
// app's CSP (no unsafe-eval) forbids.
import { clipTransform, type View } from './geometry.ts';
import { BACKGROUND, Canvas2dPoints, type PointLayer } from './points-layer.ts';
import { rgbBytes } from './colours.ts';

const VERTEX = `#version 300 es
in vec2 a_position;
in vec4 a_colour;
uniform vec4 u_clip;
uniform float u_size;
out vec4 v_colour;
void main() {
  gl_Position = vec4(u_clip.x * a_position.x + u_clip.z, u_clip.y * a_position.y + u_clip.w, 0.0, 1.0);
  gl_PointSize = u_size;
  v_colour = a_colour;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_colour;
out vec4 colour;
void main() {
  colour = v_colour;
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`WebGL2 shader: ${gl.getShaderInfoLog(shader)}`);
  return shader;
}

export class WebGl2Points implements PointLayer {
  readonly kind = 'webgl2' as const;
  private readonly program: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly positions: WebGLBuffer;
  private readonly colourBuffer: WebGLBuffer;
  private readonly indices: WebGLBuffer;
  private readonly clip: WebGLUniformLocation;
  private readonly size: WebGLUniformLocation;
  private uploaded: { points?: Float32Array; colours?: Uint8Array; order?: Uint32Array } = {};
  private count = 0;

  constructor(private readonly gl: WebGL2RenderingContext) {
    const program = gl.createProgram()!;
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`WebGL2 program: ${gl.getProgramInfoLog(program)}`);
    this.program = program;
    this.clip = gl.getUniformLocation(program, 'u_clip')!;
    this.size = gl.getUniformLocation(program, 'u_size')!;
    this.vao = gl.createVertexArray()!;
    gl.bindVertexArray(this.vao);
    this.positions = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
    const position = gl.getAttribLocation(program, 'a_position');
    gl.enableVertexAttribArray(position);
    gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);
    this.colourBuffer = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colourBuffer);
    const colour = gl.getAttribLocation(program, 'a_colour');
    gl.enableVertexAttribArray(colour);
    gl.vertexAttribPointer(colour, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    this.indices = gl.createBuffer()!;
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indices);
    gl.bindVertexArray(null);
  }

  setData(points: Float32Array, colours: Uint8Array, order: Uint32Array): void {
    const gl = this.gl;
    const u = this.uploaded;
    const changed = u.points !== points || u.order !== order;
    gl.bindVertexArray(this.vao);
    if (u.points !== points) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
      gl.bufferData(gl.ARRAY_BUFFER, points, gl.DYNAMIC_DRAW);
      u.points = points;
    }
    if (u.colours !== colours) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.colourBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, colours, gl.DYNAMIC_DRAW);
      u.colours = colours;
    }
    if (u.order !== order) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indices);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.DYNAMIC_DRAW);
      u.order = order;
    }
    gl.bindVertexArray(null);
    // Never index past the points uploaded (a layout with fewer points than the order expects).
    if (changed) this.count = points.length / 2 >= maxIndex(order) ? order.length : 0;
  }

  draw(view: View, radius: number, dpr: number): void {
    const gl = this.gl;
    gl.viewport(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight);
    const [r, g, b] = rgbBytes(BACKGROUND);
    gl.clearColor(r / 255, g / 255, b / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (!this.count) return;
    gl.useProgram(this.program);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform4fv(this.clip, clipTransform(view));
    gl.uniform1f(this.size, Math.max(1, 2 * radius * dpr));
    gl.bindVertexArray(this.vao);
    gl.drawElements(gl.POINTS, this.count, gl.UNSIGNED_INT, 0);
    gl.bindVertexArray(null);
  }

  destroy(): void {
    const gl = this.gl;
    gl.deleteBuffer(this.positions);
    gl.deleteBuffer(this.colourBuffer);
    gl.deleteBuffer(this.indices);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
  }
}

function maxIndex(order: Uint32Array): number {
  let m = -1;
  for (let i = 0; i < order.length; i++) if (order[i] > m) m = order[i];
  return m + 1;
}

/**
 * The point layer for `canvas`: WebGL2 when the browser gives a context (also in software, as
 * Chromium's SwiftShader), else the 2-D canvas. `prefer: 'canvas2d'` forces the fallback.
 */
export function createPointLayer(canvas: HTMLCanvasElement, prefer: 'webgl2' | 'canvas2d' = 'webgl2'): PointLayer {
  if (prefer === 'webgl2') {
    // preserveDrawingBuffer: screenshots, exports and tests read the drawn pixels after the frame.
    const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, preserveDrawingBuffer: true });
    if (gl) {
      try {
        return new WebGl2Points(gl);
      } catch (e) {
        console.warn('WebGL2 point layer unavailable, drawing on a 2-D canvas:', e);
      }
    }
  }
  return new Canvas2dPoints(canvas);
}
