import { rangesBetween, type CatalogStream, type ConnectorContext, type KeyRange } from '@mage-int/core';
import { connect, explainError, ident, qualified } from './connection.js';
import type { ResolvedConfig } from './generated/config.js';
import { planTable } from './table-plan.js';
import { pgTypeParsers, TypeRegistry } from './type-map.js';

/** Above this many rows (the planner's estimate), bounds come from a sample of the table's pages, not every row. */
const SAMPLE_ROWS = 200_000;

/**
 * Up to `count` key ranges of a table of about equal row counts, for one FULL_TABLE stream read by several workers:
 * the bounds are the key tuples at the 1/count, 2/count, … quantiles, computed in PostgreSQL (`ntile` over the key
 * order; over a TABLESAMPLE of whole pages when the table is large). Rows added later land in a range too (the first
 * and last are open). A table without a key, with a nullable key column or too few rows is one open range.
 */
export async function keyRanges(config: ResolvedConfig, stream: CatalogStream, count: number, ctx: ConnectorContext): Promise<KeyRange[]> {
  const registry = new TypeRegistry();
  const client = await connect(config, { types: pgTypeParsers(registry) });
  try {
    await registry.reload(client);
    const plan = await planTable(client, stream, registry, ctx.logger);
    const keyColumns = plan.keys.map((k) => plan.columns.find((c) => c.name === k)!);
    if (count <= 1 || keyColumns.length === 0) return [{}];
    if (keyColumns.some((c) => !c.notNull)) {
      ctx.logger.warn(`${stream.tap_stream_id}: a key column may be NULL, so the table is not split into key ranges`, {
        stream: stream.tap_stream_id,
      });
      return [{}];
    }
    const estimate = await client.query<{ rows: number }>('SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = $1', [plan.oid]);
    const rows = estimate.rows[0]?.rows ?? -1;
    const sampled = (plan.relkind === 'r' || plan.relkind === 'm') && rows > SAMPLE_ROWS;
    const from = `${plan.relkind === 'r' || plan.relkind === 'm' ? 'ONLY ' : ''}${qualified(plan.schemaName, plan.tableName)}${
      sampled ? ` TABLESAMPLE SYSTEM (${((SAMPLE_ROWS / rows) * 100).toFixed(6)})` : ''
    }`;
    const keys = plan.keys.map(ident).join(', ');
    const texts = plan.keys.map((k, i) => `${ident(k)}::text AS k${i}`).join(', ');
    const { rows: bounds } = await client.query<Record<string, string>>(
      `SELECT DISTINCT ON (part) ${texts} FROM (SELECT ${keys}, ntile(${Math.trunc(count)}) OVER (ORDER BY ${keys}) AS part FROM ${from}) s
       WHERE part > 1 ORDER BY part, ${keys}`,
    );
    const boundaries = bounds.map((row) => Object.fromEntries(keyColumns.map((c, i) => [c.name, c.parse(row[`k${i}`]!)])));
    return rangesBetween(boundaries);
  } catch (error) {
    throw explainError(error, config, stream.tap_stream_id);
  } finally {
    await client.end().catch(() => {});
  }
}
