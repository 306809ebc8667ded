// Mutation scope by name rather than by line number (scripts/mutation-groups.mjs): the lines of the named
// functions or methods of a file, found with the TypeScript parser each time Stryker starts, so a scope
// follows its code when other code in the file moves. Stryker's `mutate` takes "path:from-to" line ranges;
// this turns names into them.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Line ranges ["path:a-b", ...] covering the functions or methods named in `functions`, without:
 * - the statements, and the `a ? b : c` expressions or branches, whose text starts with one of the `skip` prefixes
 *   (another model's branch, say);
 * - in a switch on `switchOn` (its expression's text), the case clauses whose labels are not in `cases`
 *   (a fall-through clause is kept when any label of its group is);
 * - in a function named as { name, until, from }, everything from the statement that starts with `until`
 *   on, and everything above the top-level statement that starts with `from`.
 * A name that matches nothing, or a skip/until prefix that matches nothing, throws: a rename must not
 * quietly shrink the scope.
 */
export function linesOf(path, { functions, skip = [], switchOn, cases }) {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos) => file.getLineAndCharacterOfPosition(pos).line + 1;
  const wanted = new Map(functions.map((f) => (typeof f === 'string' ? [f, {}] : [f.name, f])));
  const included = new Set();
  const excluded = new Set();
  const found = new Set();
  const usedPrefixes = new Set();
  const range = (node) => [lineOf(node.getStart(file)), lineOf(node.getEnd())];
  const drop = (node) => {
    const [a, b] = range(node);
    for (let l = a; l <= b; l++) excluded.add(l);
  };

  const visitBody = (node, { until, from }) => {
    const visit = (n, cut) => {
      // statements after `until` inside the function body: dropped with the statement itself
      if (cut.active) {
        drop(n);
        return;
      }
      if (isStatementLike(n)) {
        const start = n.getText(file).trimStart();
        if (until && start.startsWith(until)) {
          usedPrefixes.add(until);
          cut.active = true;
          // this statement and every line below it in the function
          for (let l = lineOf(n.getStart(file)); l <= lineOf(node.getEnd()); l++) excluded.add(l);
          return;
        }
        const prefix = skip.find((p) => start.startsWith(p));
        if (prefix) {
          usedPrefixes.add(prefix);
          drop(n);
          return;
        }
      }
      if (ts.isConditionalExpression(n)) {
        // a whole `a ? b : c` that only another model's values reach
        const whole = skip.find((p) => n.getText(file).startsWith(p));
        if (whole) {
          usedPrefixes.add(whole);
          drop(n);
          return;
        }
        // a branch of `a ? b : c` that only another model takes
        for (const branch of [n.whenTrue, n.whenFalse]) {
          const prefix = skip.find((p) => branch.getText(file).startsWith(p));
          if (prefix) {
            usedPrefixes.add(prefix);
            drop(branch);
          } else visit(branch, cut);
        }
        visit(n.condition, cut);
        return;
      }
      if (ts.isSwitchStatement(n) && cases && (!switchOn || n.expression.getText(file) === switchOn)) {
        usedPrefixes.add(`switch ${switchOn}`);
        // a group of clauses that fall through to one body: kept if any of its labels is wanted
        let group = [];
        for (const clause of n.caseBlock.clauses) {
          group.push(clause);
          if (clause.statements.length === 0) continue;
          const keep = group.some((c) => ts.isCaseClause(c) && ts.isStringLiteral(c.expression) && cases.includes(c.expression.text));
          for (const c of group) {
            if (!keep) drop(c);
            else c.statements.forEach((s) => visit(s, { active: false }));
          }
          group = [];
        }
        for (const c of group) drop(c);
        return;
      }
      ts.forEachChild(n, (child) => visit(child, cut));
    };
    const cut = { active: false };
    if (!node.body || !ts.isBlock(node.body)) return;
    let statements = node.body.statements;
    if (from) {
      // only from the statement that starts with `from` on: the lines above it are out
      const at = statements.findIndex((s) => s.getText(file).trimStart().startsWith(from));
      if (at < 0) return;
      usedPrefixes.add(from);
      for (let l = lineOf(node.getStart(file)); l < lineOf(statements[at].getStart(file)); l++) excluded.add(l);
      statements = statements.slice(at);
    }
    for (const s of statements) visit(s, cut);
  };

  const walk = (node) => {
    const name = node.name && ts.isIdentifier(node.name) ? node.name.text : undefined;
    if (name && wanted.has(name) && (ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isGetAccessorDeclaration(node))) {
      found.add(name);
      const [a, b] = range(node);
      for (let l = a; l <= b; l++) included.add(l);
      visitBody(node, wanted.get(name));
      return;
    }
    ts.forEachChild(node, walk);
  };
  walk(file);

  for (const name of wanted.keys()) if (!found.has(name)) throw new Error(`${path}: no function or method named ${name} (mutation scope)`);
  const prefixes = [...skip, ...[...wanted.values()].flatMap((f) => [f.until, f.from]).filter(Boolean), ...(cases ? [`switch ${switchOn}`] : [])];
  for (const p of prefixes) if (!usedPrefixes.has(p)) throw new Error(`${path}: nothing in the named functions starts with ${JSON.stringify(p)} (mutation scope)`);

  const lines = [...included].filter((l) => !excluded.has(l)).sort((a, b) => a - b);
  const ranges = [];
  for (const l of lines) {
    const last = ranges[ranges.length - 1];
    if (last && l === last[1] + 1) last[1] = l;
    else ranges.push([l, l]);
  }
  return ranges.map(([a, b]) => `${path}:${a}-${b}`);
}

/** Statements, and the clauses of a switch, as the units a skip prefix names. */
function isStatementLike(n) {
  return ts.isStatement(n) || ts.isCaseClause(n) || ts.isDefaultClause(n);
}
