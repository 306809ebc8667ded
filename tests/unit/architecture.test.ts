// The rules of the layout, checked: only the Electron shell imports electron, the renderer never
// reaches Node or the engine's code (types aside), and models/ stays free of the app.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|svelte|mjs)$/.test(name) ? [path] : [];
  });
}

const read = (path: string) => readFileSync(join(root, path), 'utf8');
const ELECTRON_IMPORT = /from ['"]electron['"]|require\(['"]electron['"]\)/;

describe('layout rules', () => {
  it("only electron/shell imports 'electron'", () => {
    // scripts/ and tests/ may ask the electron package where its binary is; the app's code may not.
    const offenders = ['electron', 'renderer', 'models']
      .flatMap(sources)
      .filter((f) => !f.startsWith(join('electron', 'shell')) && ELECTRON_IMPORT.test(read(f)));
    expect(offenders).toEqual([]);
    // …and the shell really does (the rule above would pass vacuously otherwise).
    expect(sources(join('electron', 'shell')).some((f) => ELECTRON_IMPORT.test(read(f)))).toBe(true);
  });

  it('the renderer imports no Node modules and only types from the engine', () => {
    const offenders: string[] = [];
    for (const file of sources('renderer')) {
      for (const line of read(file).split('\n')) {
        const nodeImport = /from ['"](node:|fs|path|child_process|@tensorflow)/.test(line);
        const engineValueImport = /^\s*import (?!type)[^;]*from ['"][./]+\/electron\/engine\//.test(line);
        if (nodeImport || engineValueImport) offenders.push(`${relative(root, join(root, file))}: ${line.trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('models/ does not depend on the app', () => {
    const offenders = sources('models').filter((f) => /from ['"][./]+\/(electron|renderer)\//.test(read(f)));
    expect(offenders).toEqual([]);
  });
});
