// The best one-to-one matching of rows to columns of a score table: shared by the MCC (sources to code
// dimensions, mcc.ts) and the agreement of two seeds' dimensions (seed-agreement.ts).

/** The assignment of rows to distinct columns with the largest sum (rows ≤ columns), by dynamic programming over column subsets (≤ 20 columns) or greedily beyond. */
export function bestMatching(score: number[][]): { pairs: [number, number][]; total: number } {
  const rows = score.length;
  const cols = rows ? score[0].length : 0;
  if (rows === 0 || cols === 0) return { pairs: [], total: 0 };
  if (rows > cols) {
    const t = bestMatching(score[0].map((_, c) => score.map((row) => row[c])));
    return { pairs: t.pairs.map(([c, r]) => [r, c]), total: t.total };
  }
  if (cols > 20) {
    const used = new Set<number>();
    const pairs: [number, number][] = [];
    const all = score.flatMap((row, r) => row.map((v, c) => [v, r, c] as const)).sort((a, b) => b[0] - a[0]);
    const doneRows = new Set<number>();
    for (const [, r, c] of all) if (!doneRows.has(r) && !used.has(c)) (doneRows.add(r), used.add(c), pairs.push([r, c]));
    return { pairs, total: pairs.reduce((s, [r, c]) => s + score[r][c], 0) };
  }
  // best[mask] = best sum assigning rows 0..popcount(mask)-1 to the columns in mask
  const size = 1 << cols;
  const best = new Float64Array(size).fill(-Infinity);
  const from = new Int32Array(size).fill(-1);
  best[0] = 0;
  for (let mask = 0; mask < size; mask++) {
    if (best[mask] === -Infinity) continue;
    let r = 0;
    for (let m = mask; m; m &= m - 1) r++;
    if (r >= rows) continue;
    for (let c = 0; c < cols; c++) {
      if (mask & (1 << c)) continue;
      const next = mask | (1 << c);
      const v = best[mask] + score[r][c];
      if (v > best[next]) {
        best[next] = v;
        from[next] = c;
      }
    }
  }
  let bestMask = -1;
  for (let mask = 0; mask < size; mask++) {
    let r = 0;
    for (let m = mask; m; m &= m - 1) r++;
    if (r === rows && (bestMask < 0 || best[mask] > best[bestMask])) bestMask = mask;
  }
  const pairs: [number, number][] = [];
  for (let mask = bestMask, r = rows - 1; r >= 0; r--) {
    const c = from[mask];
    pairs.unshift([r, c]);
    mask &= ~(1 << c);
  }
  return { pairs, total: best[bestMask] };
}
