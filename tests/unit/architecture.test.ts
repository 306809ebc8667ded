// The rules of the layout, checked: only the Electron shell imports electron, the renderer never
// reaches Node or the engine's code (types aside), models/ stays free of the app, the contract owns
// its types (imports nothing outside contract/), and no modules import each other in a circle.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|svelte|mjs)$/.test(name) ? [path] : [];
  });
}

const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Relative imports of a file (static, re-exports, type-only, dynamic), resolved to repository paths. */
function relativeImports(file: string): string[] {
  const specifiers = [...read(file).matchAll(/(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)]
    .map((m) => m[1] ?? m[2] ?? m[3])
    .filter((s) => s.startsWith('.'));
  return specifiers.map((s) => relative(root, resolve(root, dirname(file), s)));
}

/** Strongly connected groups of more than one file in the import graph (Tarjan). */
function importCircles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) circles.push(group.sort());
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return circles;
}
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

  it('contract/ imports only contract/: the wire types live there, not in the engine', () => {
    const contract = join('electron', 'contract');
    const files = sources(contract);
    const offenders = files.flatMap((f) => relativeImports(f).filter((target) => !target.startsWith(contract + '/')).map((target) => `${f} -> ${target}`));
    expect(offenders).toEqual([]);
    // The check sees imports at all (a contract file that imports another one).
    expect(files.some((f) => relativeImports(f).length > 0)).toBe(true);
  });

  it('no modules import each other, directly or round a circle', () => {
    const files = ['electron', 'renderer', 'models', 'bin', 'scripts'].flatMap(sources);
    const graph = new Map(files.map((f) => [f, relativeImports(f)]));
    // Every relative import resolves to a file seen here, so no edge of a circle can be missed.
    const unresolved = [...graph].flatMap(([f, targets]) => targets.filter((t) => !graph.has(t) && !/\.(json|css|d\.ts)$/.test(t)).map((t) => `${f} -> ${t}`));
    expect(unresolved).toEqual([]);
    expect(importCircles(graph)).toEqual([]);
    // The detector finds circles where there are some: a pair, and a longer loop.
    const made = new Map([['a', ['b']], ['b', ['a', 'c']], ['c', ['d']], ['d', ['e']], ['e', ['c']], ['f', ['a']]]);
    expect(importCircles(made)).toEqual(expect.arrayContaining([['a', 'b'], ['c', 'd', 'e']]));
    expect(importCircles(made)).toHaveLength(2);
  });

  it("both hosts leave the engine's lifecycle to the one supervisor", () => {
    for (const host of [join('electron', 'shell', 'main.ts'), join('electron', 'host', 'browser-host.ts')]) {
      expect(relativeImports(host)).toContain(join('electron', 'host', 'engine-supervisor.ts'));
      // Restarting and failing requests is the supervisor's alone.
      expect(read(host)).not.toMatch(/engine\.restarted/);
    }
  });
});
