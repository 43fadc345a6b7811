const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return integer.format(value);
}

/** Rows per second, rounded; "-" when the time is too short to mean anything. */
export function formatRate(rows: number, elapsedMs: number): string {
  if (elapsedMs < 1 || rows === 0) return rows === 0 ? '0' : '-';
  return integer.format(rows / (elapsedMs / 1000));
}

/** Milliseconds as "850ms", "12.3s", "4m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
