// Scrolling the dataset page's thumbnail grid through 60,000 images, in Chromium against the real
// browser host (engine process, WebSocket, built renderer). Frame times come from
// requestAnimationFrame while the page scrolls the grid by a fixed distance every frame:
//   wheel   40 px a frame (a mouse wheel or trackpad)
//   fling  400 px a frame (a fast fling)
//   jump  6,000 px a frame (dragging the scrollbar)
// Three interleaved rounds of 240 frames each, pooled. For each: median, 95th percentile and worst frame, the share of frames over 25 ms (1.5 frames at
// 60 Hz: a visible stutter), and the share of frames that showed a visible row not drawn yet.
// Main-thread time per frame (script, style and layout, from Chromium's Performance.getMetrics) is
// CPU time, so it depends far less on the machine's load than frame times do.
// Reference, in the same page and at the same moment: the same scroll of a plain element as tall as
// the grid (no rows made, nothing fetched or drawn), so the ratio removes the machine's load.
// Usage: npm run build && npm run bench -- thumbnails
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { connectHost, jobDone, startServe } from './_views-client.ts';
import { generateMnist60k, MNIST60K_COUNT, MNIST60K_FOLDER } from './_mnist60k.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FRAMES = 240;
const ROUNDS = 3;
const SPEEDS = [
  ['wheel', 40],
  ['fling', 400],
  ['jump', 6000],
] as const;

interface Run {
  frames: number[];
  /** Main-thread milliseconds spent in script, style recalculation and layout over the run. */
  busy?: number;
  /** Frames in which a row in the viewport had no pixels yet. */
  blank: number;
}

/** Scrolls `selector` by `step` px each animation frame for `frames` frames; returns frame intervals. */
function scroll(page: Page, selector: string, step: number, frames: number): Promise<Run> {
  return page.evaluate(
    ({ selector, step, frames }) =>
      new Promise<Run>((resolve) => {
        const el = document.querySelector<HTMLElement>(selector)!;
        el.scrollTop = 0;
        const times: number[] = [];
        let blank = 0;
        let direction = 1;
        const tick = (t: number) => {
          times.push(t);
          // Rows that intersect the viewport and are not drawn yet.
          const view = el.getBoundingClientRect();
          for (const c of el.querySelectorAll<HTMLCanvasElement>('canvas[data-key]')) {
            const r = c.getBoundingClientRect();
            if (r.bottom > view.top && r.top < view.bottom && c.dataset.drawn !== 'true') {
              blank++;
              break;
            }
          }
          if (times.length > frames) {
            resolve({ frames: times.slice(1).map((x, i) => x - times[i]), blank });
            return;
          }
          if (el.scrollTop + el.clientHeight + step >= el.scrollHeight) direction = -1;
          else if (el.scrollTop - step <= 0) direction = 1;
          el.scrollTop += direction * step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    { selector, step, frames },
  );
}

type Cdp = Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>>;

/** Script + style + layout seconds so far in the page's main thread. */
async function busySeconds(cdp: Cdp): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
  return get('ScriptDuration') + get('RecalcStyleDuration') + get('LayoutDuration');
}

async function measured(page: Page, cdp: Cdp, selector: string, step: number, frames: number): Promise<Run> {
  const before = await busySeconds(cdp);
  const run = await scroll(page, selector, step, frames);
  return { ...run, busy: 1000 * ((await busySeconds(cdp)) - before) };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const over = (xs: number[], ms: number) => xs.filter((x) => x > ms).length / xs.length;
const f1 = (x: number) => x.toFixed(1);

await generateMnist60k();
const dataDir = mkdtempSync(join(tmpdir(), 'le-bench-thumbs-'));
const { url, child } = await startServe(dataDir);
const conn = await connectHost(url);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
try {
  // Import once through the contract (the cache makes the page's open instant), then open the page on it.
  const started = performance.now();
  const { jobId } = await conn.client.request('dataset.open', { ref: MNIST60K_FOLDER, options: { size: 28, channels: 1 } });
  await jobDone(conn.client, jobId);
  console.log(`import of ${MNIST60K_COUNT.toLocaleString()} PNGs: ${((performance.now() - started) / 1000).toFixed(1)} s (setup, not measured here)`);

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  // tsx names inner functions with a __name helper the page does not have.
  await page.addInitScript('globalThis.__name = (f) => f');
  await page.goto(`${url}&open=${encodeURIComponent(MNIST60K_FOLDER)}`);
  await page.getByTestId('images-used').filter({ hasText: '60,000' }).waitFor({ timeout: 120_000 });
  const grid = '[role="region"][aria-label="Thumbnails"]';
  await page.locator(`${grid} canvas[data-drawn="true"]`).first().waitFor();
  const shape = await page.evaluate((sel) => {
    const el = document.querySelector<HTMLElement>(sel)!;
    return { height: el.scrollHeight, view: el.clientHeight, width: el.clientWidth, canvases: el.querySelectorAll('canvas').length };
  }, grid);
  // The reference: a plain element of the same size and scroll height, over the page.
  await page.evaluate(({ height, view, width }) => {
    const outer = document.createElement('div');
    outer.id = 'plain-scroller';
    Object.assign(outer.style, { position: 'fixed', left: '0', top: '0', width: `${width}px`, height: `${view}px`, overflowY: 'auto', zIndex: '-1' });
    const inner = document.createElement('div');
    Object.assign(inner.style, { height: `${height}px`, background: 'repeating-linear-gradient(#222 0 28px, #444 28px 62px)' });
    outer.append(inner);
    document.body.append(outer);
  }, shape);

  console.log(`grid: ${MNIST60K_COUNT.toLocaleString()} thumbnails of 28 px drawn at 56 px, ${shape.height.toLocaleString()} px tall, ${shape.canvases} row canvases in the DOM; viewport 1360x900, Chromium headless (software compositing)`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${2} cores (shared machine)`);
  console.log('            frame ms: median   p95   worst  >25ms   blank | plain element: median   p95  >25ms | p95 ratio | main thread ms/frame: grid  plain');
  for (const [name, step] of SPEEDS) {
    await scroll(page, grid, step, 30); // warm-up: JIT, first fetches
    // Interleaved rounds, frames pooled: the machine's load changes from second to second.
    const plain: Run = { frames: [], blank: 0, busy: 0 };
    const run: Run = { frames: [], blank: 0, busy: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const p = await measured(page, cdp, '#plain-scroller', step, FRAMES);
      const g = await measured(page, cdp, grid, step, FRAMES);
      plain.frames.push(...p.frames);
      plain.busy! += p.busy!;
      run.frames.push(...g.frames);
      run.blank += g.blank;
      run.busy! += g.busy!;
    }
    const line = [
      `${name.padEnd(5)} ${String(step).padStart(5)} px/frame:`,
      f1(pct(run.frames, 0.5)).padStart(6),
      f1(pct(run.frames, 0.95)).padStart(6),
      f1(Math.max(...run.frames)).padStart(7),
      `${(100 * over(run.frames, 25)).toFixed(0)}%`.padStart(6),
      `${(100 * run.blank / run.frames.length).toFixed(0)}%`.padStart(7),
      '|',
      f1(pct(plain.frames, 0.5)).padStart(21),
      f1(pct(plain.frames, 0.95)).padStart(6),
      `${(100 * over(plain.frames, 25)).toFixed(0)}%`.padStart(6),
      '|',
      (pct(run.frames, 0.95) / pct(plain.frames, 0.95)).toFixed(2).padStart(9),
      '|',
      (run.busy! / run.frames.length).toFixed(2).padStart(26),
      (plain.busy! / plain.frames.length).toFixed(2).padStart(6),
    ];
    console.log(line.join(' '));
  }
  const fetched = await page.evaluate((sel) => Number(document.querySelector<HTMLElement>(sel)!.dataset.fetched), grid);
  console.log(`images fetched by the grid in all: ${fetched.toLocaleString()} (pixels come only for rows near the viewport)`);
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await browser.close();
  conn.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
