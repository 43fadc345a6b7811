import { rangesBetween, type CatalogStream, type ConnectorContext, type KeyRange, type RecordData } from '@mage-int/core';
import { connect, explainError, ident, qualified } from './connection.js';
import type { ResolvedConfig } from './generated/config.js';
import { queryBatches } from './query-rows.js';
import { planTable, selectList, type PlanColumn } from './table-plan.js';
import { ordersLikeTheKit } from './type-map.js';

/** Above this many rows (information_schema's estimate), bounds come from a random sample of the rows, not every row. */
const SAMPLE_ROWS = 200_000;

/**
 * Up to `count` key ranges of a table of about equal row counts, for one FULL_TABLE stream read by several workers
 * (`key_ranges`), as source-postgres makes them: the bounds are the key tuples at the 1/count, 2/count, … quantiles,
 * computed in the server (NTILE over the key order, the first row of each tile; over a `RAND()` sample of the rows
 * when the table is large; MySQL 8 / MariaDB 10.2 window functions). Rows added later land in a range too (the first
 * and last are open). One open range (the table read whole) for a table without a key, with a nullable key column,
 * with a key the server orders otherwise than the framework compares (text in a case-insensitive collation, enum,
 * set: the framework drops a range's records outside its bounds by its own order), or too few rows.
 */
export async function keyRanges(config: ResolvedConfig, stream: CatalogStream, count: number, ctx: ConnectorContext): Promise<KeyRange[]> {
  const client = await connect(config);
  try {
    const plan = await planTable(client, config, stream, ctx.logger);
    const keyColumns = plan.keys.map((k) => plan.columns.find((c) => c.name === k) as PlanColumn);
    if (count <= 1 || keyColumns.length === 0 || plan.isView) return [{}];
    const whole = (why: string): KeyRange[] => {
      ctx.logger.warn(`${stream.tap_stream_id}: ${why}, so the table is not split into key ranges`, { stream: stream.tap_stream_id });
      return [{}];
    };
    if (keyColumns.some((c) => c.nullable)) return whole('a key column may be NULL');
    const unordered = keyColumns.filter((c) => !ordersLikeTheKit(c));
    if (unordered.length > 0)
      return whole(`key column ${unordered.map((c) => c.name).join(', ')} sorts in the server otherwise than by code point`);
    const [estimate] = await client.query<{ rows: number | string | null }>(
      'SELECT TABLE_ROWS AS `rows` FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [plan.database, plan.table],
    );
    const rows = Number(estimate?.rows ?? 0);
    const sample = rows > SAMPLE_ROWS ? ` WHERE RAND() < ${(SAMPLE_ROWS / rows).toFixed(8)}` : '';
    const keys = keyColumns.map((c) => ident(c.name)).join(', ');
    const tiles = `SELECT ${keys}, NTILE(${Math.trunc(count)}) OVER (ORDER BY ${keys}) AS _mage_tile FROM ${qualified(plan.database, plan.table)}${sample}`;
    const firsts = `SELECT ${keys}, _mage_tile, ROW_NUMBER() OVER (PARTITION BY _mage_tile ORDER BY ${keys}) AS _mage_nth FROM (${tiles}) t`;
    // The key columns converted as records are (the framework compares bounds with records' values).
    const keyPlan = { ...plan, columns: keyColumns };
    const sql = `SELECT ${selectList(keyPlan)} FROM (${firsts}) f WHERE _mage_nth = 1 AND _mage_tile > 1 ORDER BY _mage_tile`;
    const boundaries: RecordData[] = [];
    for await (const batch of queryBatches(client, keyPlan, sql, [], 1000, ctx.signal)) boundaries.push(...batch.records);
    return rangesBetween(boundaries);
  } catch (error) {
    throw explainError(error, config, stream.tap_stream_id);
  } finally {
    await client.end().catch(() => {});
  }
}
