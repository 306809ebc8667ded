// The WebGL2 point layer: positions and colours live in GPU buffers, uploaded only when they change;
// a view sets one uniform (the clip-space matrix), so 100,000 points cost one draw call. Plain WebGL2,
// not regl: regl compiles its commands with `new Function`, which the app's CSP (no unsafe-eval) forbids.
//
// Gestures. Without a GPU (Chromium's SwiftShader rasterises on the CPU) the draw call returns at once
// but rasterising 100,000 points takes most of a frame. So the points are drawn into a snapshot texture
// a margin larger than the canvas, and the screen shows that texture: a frame in the middle of a pan or
// zoom moves and scales the last snapshot (one textured quad) instead of re-rasterising, as map tools
// do, and the points are drawn afresh when the gesture settles. Within a long gesture, when the
// snapshot no longer covers the view or is scaled too far (at most every REFRESH_MS), a new one is
// drawn into a second texture CHUNK points a frame, behind the moving one, and replaces it when done:
// no frame pays for all the points at once.
//
// Context loss. A lost WebGL context (driver reset, too many contexts, WEBGL_lose_context) makes the
// canvas blank; while it is lost the points are drawn by the 2-D fallback on a second canvas laid over
// this one, and when the context is restored every GPU resource is made again from the data kept here.
import { clipTransform, type View } from './geometry.ts';
import { BACKGROUND, Canvas2dPoints, type DrawKind, type PointLayer } from './points-layer.ts';
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

// The snapshot on a quad: four corners from gl_VertexID (no vertex buffer), u_rect = its clip-space box.
const QUAD_VERTEX = `#version 300 es
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
  v_uv = corner;
  gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}`;

const QUAD_FRAGMENT = `#version 300 es
precision mediump float;
uniform sampler2D u_image;
in vec2 v_uv;
out vec4 colour;
void main() {
  colour = texture(u_image, v_uv);
}`;

/** The snapshot's margin on each side, as a share of the canvas: pans of a quarter of the view and zooming out to 2/3 stay covered. */
const MARGIN_SHARE = 0.25;
/** Within a gesture, the snapshot is redrawn when scaled beyond these factors or when it no longer covers the view… */
const SCALE_LIMITS: [number, number] = [0.7, 2];
/** …but not more often than this (a redraw at 100,000 points takes most of a frame on SwiftShader). */
const REFRESH_MS = 400;
/** Points drawn per frame into a snapshot made during a gesture (about 20 ms a frame on SwiftShader under load). */
export const CHUNK = 20_000;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`WebGL2 shader: ${gl.getShaderInfoLog(shader)}`);
  return shader;
}

function link(gl: WebGL2RenderingContext, vertex: string, fragment: string): WebGLProgram {
  const program = gl.createProgram()!;
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, fragment));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`WebGL2 program: ${gl.getProgramInfoLog(program)}`);
  return program;
}

/** Every GPU object of the layer: made at start and again after a lost context is restored. */
interface Gpu {
  points: WebGLProgram;
  quad: WebGLProgram;
  vao: WebGLVertexArrayObject;
  quadVao: WebGLVertexArrayObject;
  positions: WebGLBuffer;
  colours: WebGLBuffer;
  indices: WebGLBuffer;
  clip: WebGLUniformLocation;
  size: WebGLUniformLocation;
  rect: WebGLUniformLocation;
  image: WebGLUniformLocation;
  /** Two snapshot textures: the one shown and the one a gesture's refresh is drawn into. */
  targets: [Target, Target];
}

/** A texture the points are drawn into, and its framebuffer. */
interface Target {
  texture: WebGLTexture;
  framebuffer: WebGLFramebuffer;
  /** Size as allocated, device pixels. */
  width: number;
  height: number;
}

function makeGpu(gl: WebGL2RenderingContext): Gpu {
  const points = link(gl, VERTEX, FRAGMENT);
  const quad = link(gl, QUAD_VERTEX, QUAD_FRAGMENT);
  const vao = gl.createVertexArray()!;
  gl.bindVertexArray(vao);
  const positions = gl.createBuffer()!;
  gl.bindBuffer(gl.ARRAY_BUFFER, positions);
  const position = gl.getAttribLocation(points, 'a_position');
  gl.enableVertexAttribArray(position);
  gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);
  const colours = gl.createBuffer()!;
  gl.bindBuffer(gl.ARRAY_BUFFER, colours);
  const colour = gl.getAttribLocation(points, 'a_colour');
  gl.enableVertexAttribArray(colour);
  gl.vertexAttribPointer(colour, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  const indices = gl.createBuffer()!;
  gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, indices);
  gl.bindVertexArray(null);
  const quadVao = gl.createVertexArray()!;
  const target = (): Target => ({ texture: gl.createTexture()!, framebuffer: gl.createFramebuffer()!, width: 0, height: 0 });
  return {
    points,
    quad,
    vao,
    quadVao,
    positions,
    colours,
    indices,
    clip: gl.getUniformLocation(points, 'u_clip')!,
    size: gl.getUniformLocation(points, 'u_size')!,
    rect: gl.getUniformLocation(quad, 'u_rect')!,
    image: gl.getUniformLocation(quad, 'u_image')!,
    targets: [target(), target()],
  };
}

/** What the snapshot holds: the view it was drawn for, in CSS pixels, and its size in device pixels. */
interface Snapshot {
  view: View;
  /** Margin on each side, device pixels. */
  mx: number;
  my: number;
  /** Texture size, device pixels. */
  width: number;
  height: number;
  dpr: number;
  /** When it was begun (performance.now()). */
  at: number;
  /** Which of the two textures holds it. */
  target: 0 | 1;
}

/** A snapshot being drawn during a gesture, some points at a time. */
interface Pending extends Snapshot {
  radius: number;
  /** Points of the draw order drawn so far. */
  drawn: number;
}

export interface WebGl2Options {
  /** A 2-D canvas laid over this one, drawn on while the WebGL context is lost (else nothing is drawn then). */
  fallback?: HTMLCanvasElement | null;
  /** Called when the layer needs a redraw it cannot do itself: the context was lost or restored. */
  onInvalidate?: () => void;
}

export class WebGl2Points implements PointLayer {
  private gpu: Gpu | null;
  private data: { points: Float32Array; colours: Uint8Array; order: Uint32Array } = { points: new Float32Array(0), colours: new Uint8Array(0), order: new Uint32Array(0) };
  private uploaded: { points?: Float32Array; colours?: Uint8Array; order?: Uint32Array } = {};
  private count = 0;
  private snapshot: Snapshot | null = null;
  private pending: Pending | null = null;
  /** Snapshots completed within gestures (the benchmark reports them). */
  refreshes = 0;
  private lost = false;
  private readonly fallback: Canvas2dPoints | null;
  private readonly onLost = (event: Event) => {
    event.preventDefault(); // without this the browser never restores the context
    this.lost = true;
    this.gpu = null;
    this.uploaded = {};
    this.snapshot = null;
    this.pending = null;
    this.options.onInvalidate?.();
  };
  private readonly onRestored = () => {
    try {
      this.gpu = makeGpu(this.gl);
      this.lost = false;
    } catch (e) {
      console.warn('WebGL2 context restored but the point layer could not be rebuilt; staying on the 2-D canvas:', e);
    }
    // The fallback stays up until the first WebGL frame replaces it (draw hides it), so no blank frame between.
    this.options.onInvalidate?.();
  };

  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly options: WebGl2Options = {},
  ) {
    this.gpu = makeGpu(gl);
    this.fallback = options.fallback ? new Canvas2dPoints(options.fallback) : null;
    gl.canvas.addEventListener('webglcontextlost', this.onLost);
    gl.canvas.addEventListener('webglcontextrestored', this.onRestored);
  }

  /** 'canvas2d' while the context is lost and the fallback draws. */
  get kind(): 'webgl2' | 'canvas2d' {
    return this.lost ? 'canvas2d' : 'webgl2';
  }

  setData(points: Float32Array, colours: Uint8Array, order: Uint32Array): void {
    const d = this.data;
    if (d.points !== points || d.colours !== colours || d.order !== order) this.snapshot = this.pending = null;
    const changed = d.points !== points || d.order !== order;
    this.data = { points, colours, order };
    this.fallback?.setData(points, colours, order);
    // Never index past the points uploaded (a layout with fewer points than the order expects).
    if (changed) this.count = points.length / 2 >= maxIndex(order) ? order.length : 0;
  }

  /** Uploads what changed since the last upload (and everything after a restored context). */
  private upload(g: Gpu): void {
    const gl = this.gl;
    const u = this.uploaded;
    const { points, colours, order } = this.data;
    if (u.points === points && u.colours === colours && u.order === order) return;
    gl.bindVertexArray(g.vao);
    if (u.points !== points) {
      gl.bindBuffer(gl.ARRAY_BUFFER, g.positions);
      gl.bufferData(gl.ARRAY_BUFFER, points, gl.DYNAMIC_DRAW);
      u.points = points;
    }
    if (u.colours !== colours) {
      gl.bindBuffer(gl.ARRAY_BUFFER, g.colours);
      gl.bufferData(gl.ARRAY_BUFFER, colours, gl.DYNAMIC_DRAW);
      u.colours = colours;
    }
    if (u.order !== order) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, g.indices);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.DYNAMIC_DRAW);
      u.order = order;
    }
    gl.bindVertexArray(null);
  }

  draw(view: View, radius: number, dpr: number, moving = false): DrawKind {
    if (this.lost || !this.gpu) return this.drawFallback(view, radius, dpr);
    if (this.options.fallback && !this.options.fallback.hidden) this.options.fallback.hidden = true;
    const g = this.gpu;
    const now = performance.now();
    const s = this.snapshot;
    const usable = !!s && s.dpr === dpr && s.view.width === view.width && s.view.height === view.height && sameFit(s.view, view);
    if (moving && usable) {
      this.refreshStep(g, view, radius, dpr, now);
      this.present(g, this.snapshot!, view, true);
      return 'moved';
    }
    this.pending = null;
    const snap = this.begin(g, s?.target ?? 0, view, radius, dpr, now);
    this.drawInto(g, snap, this.count);
    this.snapshot = snap;
    this.present(g, snap, view, false);
    return 'full';
  }

  /**
   * Mid-gesture: begins a new snapshot when the shown one needs it (and REFRESH_MS have passed), draws
   * the next CHUNK points of one under way, and shows it once all are in.
   */
  private refreshStep(g: Gpu, view: View, radius: number, dpr: number, now: number): void {
    const s = this.snapshot!;
    if (!this.pending) {
      if (!needsRefresh(s, view) || now - s.at < REFRESH_MS) return;
      this.pending = this.begin(g, s.target === 0 ? 1 : 0, view, radius, dpr, now);
    }
    const p = this.pending;
    this.drawInto(g, p, Math.min(CHUNK, this.count - p.drawn));
    if (p.drawn >= this.count) {
      this.snapshot = p;
      this.pending = null;
      this.refreshes++;
    }
  }

  /** Sizes and clears a target for a snapshot of `view` plus the margin; nothing drawn yet. */
  private begin(g: Gpu, target: 0 | 1, view: View, radius: number, dpr: number, now: number): Pending {
    const gl = this.gl;
    this.upload(g);
    const w = gl.drawingBufferWidth;
    const h = gl.drawingBufferHeight;
    const mx = Math.round(w * MARGIN_SHARE);
    const my = Math.round(h * MARGIN_SHARE);
    const tw = w + 2 * mx;
    const th = h + 2 * my;
    const t = g.targets[target];
    if (t.width !== tw || t.height !== th) {
      gl.bindTexture(gl.TEXTURE_2D, t.texture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, tw, th, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      // Nearest sampling also while moving: on SwiftShader bilinear filtering made a moved frame cost
      // about 1.5× as much (26–29 against 40–42 frames/s for the quad alone, measured under load).
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t.texture, 0);
      t.width = tw;
      t.height = th;
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer);
    gl.viewport(0, 0, tw, th);
    const [r, gr, b] = rgbBytes(BACKGROUND);
    gl.clearColor(r / 255, gr / 255, b / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return { view: { ...view, zoom: { ...view.zoom } }, mx, my, width: tw, height: th, dpr, at: now, target, radius, drawn: 0 };
  }

  /** Draws the next `n` points of the draw order into a snapshot's target (in order, so blending is as one draw). */
  private drawInto(g: Gpu, p: Pending, n: number): void {
    if (n <= 0) return;
    const gl = this.gl;
    const t = g.targets[p.target];
    gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer);
    gl.viewport(0, 0, p.width, p.height);
    // The same view, widened by the margin on every side (the zoom's translation moves by the margin).
    const wide: View = { width: p.width / p.dpr, height: p.height / p.dpr, fit: p.view.fit, zoom: { k: p.view.zoom.k, x: p.view.zoom.x + p.mx / p.dpr, y: p.view.zoom.y + p.my / p.dpr } };
    gl.useProgram(g.points);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.uniform4fv(g.clip, clipTransform(wide));
    gl.uniform1f(g.size, Math.max(1, 2 * p.radius * p.dpr));
    gl.bindVertexArray(g.vao);
    gl.drawElements(gl.POINTS, n, gl.UNSIGNED_INT, 4 * p.drawn);
    gl.bindVertexArray(null);
    gl.disable(gl.BLEND);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    p.drawn += n;
  }

  /**
   * Shows the snapshot for `view`: one quad. Unmoved, texel for pixel (so a settled map is exactly what
   * was rasterised); moved, the snapshot scaled and shifted by the zoom since.
   */
  private present(g: Gpu, s: Snapshot, view: View, moved: boolean): void {
    const gl = this.gl;
    const w = gl.drawingBufferWidth;
    const h = gl.drawingBufferHeight;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, w, h);
    if (moved) {
      const [r, gr, b] = rgbBytes(BACKGROUND);
      gl.clearColor(r / 255, gr / 255, b / 255, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
    }
    const box = snapshotBox(s, view);
    gl.useProgram(g.quad);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, g.targets[s.target].texture);
    gl.uniform1i(g.image, 0);
    // CSS pixels of the view -> clip space: (left, bottom, right, top), as texture row 0 is the bottom.
    gl.uniform4f(g.rect, (2 * box[0]) / view.width - 1, 1 - (2 * box[3]) / view.height, (2 * box[2]) / view.width - 1, 1 - (2 * box[1]) / view.height);
    gl.bindVertexArray(g.quadVao);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindVertexArray(null);
  }

  private drawFallback(view: View, radius: number, dpr: number): DrawKind {
    const c = this.options.fallback;
    if (!this.fallback || !c) return 'none';
    const main = this.gl.canvas as HTMLCanvasElement;
    if (c.width !== main.width) c.width = main.width;
    if (c.height !== main.height) c.height = main.height;
    c.hidden = false;
    this.fallback.draw(view, radius, dpr);
    return 'full';
  }

  destroy(): void {
    const gl = this.gl;
    gl.canvas.removeEventListener('webglcontextlost', this.onLost);
    gl.canvas.removeEventListener('webglcontextrestored', this.onRestored);
    const g = this.gpu;
    if (!g) return;
    gl.deleteBuffer(g.positions);
    gl.deleteBuffer(g.colours);
    gl.deleteBuffer(g.indices);
    gl.deleteVertexArray(g.vao);
    gl.deleteVertexArray(g.quadVao);
    for (const t of g.targets) {
      gl.deleteFramebuffer(t.framebuffer);
      gl.deleteTexture(t.texture);
    }
    gl.deleteProgram(g.points);
    gl.deleteProgram(g.quad);
    this.gpu = null;
  }
}

function sameFit(a: View, b: View): boolean {
  return a.fit.s === b.fit.s && a.fit.ox === b.fit.ox && a.fit.oy === b.fit.oy;
}

/**
 * Where the snapshot lies on screen for `view`, in CSS pixels [x0, y0, x1, y1]: the zoom since the
 * snapshot maps its screen positions p to k·(p − t₀)/k₀ + t, margin included.
 */
export function snapshotBox(s: { view: View; mx: number; my: number; dpr: number }, view: View): [number, number, number, number] {
  const z0 = s.view.zoom;
  const z = view.zoom;
  const r = z.k / z0.k;
  const mx = s.mx / s.dpr;
  const my = s.my / s.dpr;
  const x = (p: number) => r * (p - z0.x) + z.x;
  const y = (p: number) => r * (p - z0.y) + z.y;
  return [x(-mx), y(-my), x(s.view.width + mx), y(s.view.height + my)];
}

/** True when the snapshot, moved to `view`, is scaled beyond SCALE_LIMITS or leaves part of the view uncovered. */
export function needsRefresh(s: { view: View; mx: number; my: number; dpr: number }, view: View): boolean {
  const r = view.zoom.k / s.view.zoom.k;
  if (r < SCALE_LIMITS[0] || r > SCALE_LIMITS[1]) return true;
  const [x0, y0, x1, y1] = snapshotBox(s, view);
  return x0 > 0 || y0 > 0 || x1 < view.width || y1 < view.height;
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
export function createPointLayer(canvas: HTMLCanvasElement, prefer: 'webgl2' | 'canvas2d' = 'webgl2', options: WebGl2Options = {}): PointLayer {
  if (prefer === 'webgl2') {
    // preserveDrawingBuffer: screenshots, exports and tests read the drawn pixels after the frame.
    const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, preserveDrawingBuffer: true });
    if (gl) {
      try {
        return new WebGl2Points(gl, options);
      } catch (e) {
        console.warn('WebGL2 point layer unavailable, drawing on a 2-D canvas:', e);
      }
    }
  }
  return new Canvas2dPoints(canvas);
}
