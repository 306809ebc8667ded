// Remembers the window's size and position between launches.
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const file = () => join(app.getPath('userData'), 'window-state.json');

export function loadBounds(): Partial<Rectangle> & { maximized?: boolean } {
  try {
    const saved = JSON.parse(readFileSync(file(), 'utf8'));
    // Ignore a position that is no longer on any display (a monitor was unplugged).
    const visible = screen.getAllDisplays().some(({ workArea: a }) => saved.x >= a.x && saved.y >= a.y && saved.x < a.x + a.width && saved.y < a.y + a.height);
    return visible ? saved : { width: saved.width, height: saved.height };
  } catch {
    return { width: 1280, height: 860 };
  }
}

export function trackBounds(win: BrowserWindow): void {
  const save = () => {
    const data = { ...win.getNormalBounds(), maximized: win.isMaximized() };
    const temp = `${file()}.tmp`;
    writeFileSync(temp, JSON.stringify(data));
    renameSync(temp, file());
  };
  win.on('close', save);
}
