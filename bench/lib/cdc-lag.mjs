// What the CDC lag benches (bench/*/cdc-lag.mjs) share: the writer's pacing, waiting for the destination, and the lag
// figures read from PostgreSQL, where each row carries its write time (`written_at`) and its arrival (`loaded_at`).
import { psql } from './databases.mjs';

/** Polls `probe` every 100 ms until it returns true; fails with `what` after `seconds`. */
export async function waitFor(what, probe, seconds = 60) {
  for (let i = 0; ; i++) {
    if (await probe()) return;
    if (i > seconds * 10) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Writes `rate` rows a second for `seconds` in 100 transactions a second: `insert(n)` writes n rows in one
 * transaction. Returns the rows written and the rate reached.
 */
export async function paceWrites(rate, seconds, insert) {
  const perTick = Math.max(1, Math.round(rate / 100));
  const started = performance.now();
  let written = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    if (written < due) {
      const n = Math.min(perTick, due - written);
      await insert(n);
      written += n;
    } else await new Promise((r) => setTimeout(r, 2));
  }
  return { written, writeRate: Math.round(written / ((performance.now() - started) / 1000)) };
}

/** p50 / p95 / max of `lag` (an SQL expression in seconds) over `table` in PostgreSQL `database`. */
export function lagFigures(database, table, lag) {
  const [p50, p95, max] = psql(
    database,
    `SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 3) || ' ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY l)::numeric, 3) || ' ' || round(max(l)::numeric, 3)
       FROM (SELECT ${lag} AS l FROM ${table}) t`,
  )
    .split(' ')
    .map(Number);
  return { p50, p95, max };
}
