/** Time left as the status bar and the Train view show it, rounded up: "45 s", "3 min 5 s", "2 h 10 min". */
export function timeLeft(sec: number): string {
  const s = Math.ceil(sec);
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
