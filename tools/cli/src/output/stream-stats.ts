import type { RunProgress } from '@mage-int/core';

export interface StreamStats {
  stream: string;
  rows: number;
  /** Time the stream took: from when the previous stream's last batch arrived (or the run started) to its own last one. */
  elapsedMs: number;
  /** The stream that received records most recently. */
  active: boolean;
}

/**
 * Per-stream rows and elapsed time from the runner's progress. Sources emit records in batches, so a stream's
 * clock starts when the stream before it stopped (not at its own first batch, which would leave the time spent
 * producing that batch out and inflate rows/s).
 */
export function streamStats(progress: RunProgress, now = Date.now()): StreamStats[] {
  const entries = Object.values(progress.streams).sort((a, b) => a.startedAt - b.startedAt);
  const latest = entries.reduce<number>((max, e) => Math.max(max, e.lastAt), 0);
  return entries.map((entry) => {
    let begin = progress.startedAt;
    for (const other of entries) if (other !== entry && other.lastAt <= entry.startedAt && other.lastAt > begin) begin = other.lastAt;
    const active = entry.lastAt === latest;
    const end = active ? Math.max(now, entry.lastAt) : entry.lastAt;
    return { stream: entry.stream, rows: entry.records, elapsedMs: Math.max(0, end - begin), active };
  });
}
