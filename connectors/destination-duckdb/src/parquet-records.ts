import { Decimal, exactNumber, parseExactJson, type RecordData } from '@mage-int/core';
import { quoteIdentifier } from '@mage-int/core/sql';
import type { BatchRelation } from './batch-relation.js';
import type { Session } from './session.js';

const PAGE_ROWS = 10_000;

const nested = (type: string) => type === 'JSON' || /^(STRUCT|MAP|UNION)\(|\[\d*\]$/.test(type);

/**
 * The records of one Parquet BATCH file (its relation: batch-relation.ts), read back page by page, as the source that wrote them would have sent them:
 * integers exact (bigint past 2^53), DECIMAL as Decimal, doubles, booleans, timestamps as ISO 8601 text, everything
 * else as text.
 */
export async function* parquetRecords(session: Session, relation: BatchRelation): AsyncGenerator<RecordData[]> {
  const columns = (await session.rows(`DESCRIBE SELECT * FROM ${relation.records}`)).map((row) => ({
    name: String(row['column_name']),
    type: String(row['column_type']).toUpperCase(),
  }));
  // Timestamps as the source's record path writes them (ISO 8601, µs, `Z` with a zone; the session is in UTC).
  const select = columns
    .map(({ name, type }) => {
      const q = quoteIdentifier(name);
      if (type === 'DOUBLE' || type === 'FLOAT' || type === 'BOOLEAN') return q;
      if (type === 'TIMESTAMP WITH TIME ZONE') return `strftime(${q}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
      if (type === 'TIMESTAMP') return `strftime(${q}, '%Y-%m-%dT%H:%M:%S.%f')`;
      if (nested(type)) return `CAST(to_json(${q}) AS VARCHAR)`;
      return `CAST(${q} AS VARCHAR)`;
    })
    .join(', ');
  const convert = columns.map(({ type }): ((value: unknown) => unknown) => {
    if (/^DECIMAL/.test(type)) return (value) => new Decimal(String(value));
    // Lists, structs, maps and JSON (a Singer SDK tap's objects and arrays) as the JSON values they hold.
    if (nested(type)) return (value) => parseExactJson(String(value));
    if (/INT$/.test(type) || type === 'INTEGER') return (value) => exactNumber(String(value), Number(value));
    return (value) => value;
  });
  for (let from = 0; ; from += PAGE_ROWS) {
    const rows = await session.rows(
      `SELECT ${select} FROM ${relation.numbered} WHERE file_row_number >= ${from} AND file_row_number < ${from + PAGE_ROWS} ORDER BY file_row_number`,
    );
    if (rows.length === 0) return;
    yield rows.map((row) => {
      const record: RecordData = {};
      const values = Object.values(row);
      for (let i = 0; i < columns.length; i++) {
        const value = values[i];
        record[(columns[i] as { name: string }).name] =
          value === null || value === undefined ? null : (convert[i] as (v: unknown) => unknown)(value);
      }
      return record;
    });
  }
}
