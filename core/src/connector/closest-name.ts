/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short names. */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array.from({ length: b.length }, (_, j) => (i === 0 ? j + 1 : 0)),
  ]);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate a misspelled name most likely meant (`postgress` → `postgres`), or undefined when none is
 * close: at most one edit per four characters (at least one), or one name being the other with a part missing.
 */
export function closestName(wanted: string, candidates: Iterable<string>): string | undefined {
  const needle = wanted.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const candidate of new Set(candidates)) {
    const name = candidate.toLowerCase();
    if (name === needle) continue;
    const edits = distance(needle, name);
    const allowed = Math.max(1, Math.floor(Math.max(needle.length, name.length) / 4));
    const score =
      edits <= allowed ? edits : needle.length >= 3 && (name.startsWith(needle) || name.endsWith(needle)) ? allowed + 0.5 : Infinity;
    if (score < (best?.score ?? Infinity)) best = { name: candidate, score };
  }
  return best?.name;
}
