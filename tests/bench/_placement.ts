// Where the host put the two vCPUs during a round, as `bench threads` and `bench ceiling` read and report it.
// On a VM the host may put a vCPU that idled onto another die, or beside the other on one core, and a round
// of two threads then runs at a fraction of its speed (README, "Two cores on two dies").

export const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * The median of five short round-trip measures (`measure`: one coreRoundTrip(400), in ns): one can take in
 * the other thread's being switched out (tens of µs).
 */
export function medianRoundTrip(measure: () => number): number {
  return median(Array.from({ length: 5 }, measure));
}

/**
 * Each round's round trip, and the rounds' ratios grouped by it, with this machine's thresholds (README,
 * "Two cores on two dies"): two threads of one physical core (under 55 ns), two cores sharing an L3
 * (55-150 ns), two dies (150 ns and over). A round's round trip is the larger of before and after it.
 */
export function roundsByPlacement(ratios: number[], trips: number[]): string {
  const group = (name: string, lo: number, hi: number) => {
    const g = ratios.filter((_, k) => trips[k] >= lo && trips[k] < hi);
    return `${name}: ${g.length} round${g.length === 1 ? '' : 's'}${g.length ? `, median ${median(g).toFixed(2)}x` : ''}`;
  };
  return (
    `core-to-core round trip per round (ns): ${trips.map((t) => t.toFixed(0)).join(' ')}; ` +
    [group('one L3 (55-150 ns)', 55, 150), group('two dies (>= 150 ns)', 150, Infinity), group('one core (< 55 ns)', 0, 55)].join('; ')
  );
}
