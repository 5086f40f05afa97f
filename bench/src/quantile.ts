/**
 * The `q`-quantile (`q` from 0 to 1) of samples sorted in ascending order: the sample at rank
 * ⌊q·n⌋ counted from 0, the last one at most. Nearest rank, no interpolation: every figure it gives
 * is a value that was measured. `NaN` when there are no samples.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
