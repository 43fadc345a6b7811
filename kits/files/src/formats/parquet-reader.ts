import { Decimal, JsonText, type JsonSchema } from '@mage-int/core';
import { sqlName, sqlString, type Duck } from '../duck.js';
import { FileDataError } from '../file-errors.js';
import type { RawRow } from './raw-row.js';

/** A Parquet column as DuckDB reads it, with how its values become exact JSON values. */
export interface ParquetColumn {
  name: string;
  duckType: string;
  schema: JsonSchema;
  /** The SELECT expression: exact text for decimals, times, UUIDs, nested values; native otherwise. */
  select: string;
  convert: (value: unknown) => unknown;
}

const same = (value: unknown) => value;
const toNumber = (value: unknown) =>
  typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;

function column(name: string, duckType: string): ParquetColumn {
  const q = sqlName(name);
  const type = duckType.toUpperCase();
  const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type as string, 'null'] });
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) {
    const scale = Number(decimal[2]);
    return {
      name,
      duckType,
      schema: nullable({
        type: 'number',
        ...(scale > 0 ? { multipleOf: Number(`1e-${scale}`) } : {}),
        'x-decimal': true,
        'sql-datatype': `decimal(${decimal[1]},${scale})`,
      }),
      select: `CAST(${q} AS VARCHAR)`,
      convert: (v) => (v === null ? null : new Decimal(v as string)),
    };
  }
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|UHUGEINT)$/.test(type)) {
    return { name, duckType, schema: nullable({ type: 'integer', 'sql-datatype': type.toLowerCase() }), select: q, convert: toNumber };
  }
  if (type === 'FLOAT' || type === 'DOUBLE')
    return { name, duckType, schema: nullable({ type: 'number' }), select: `CAST(${q} AS DOUBLE)`, convert: same };
  if (type === 'BOOLEAN') return { name, duckType, schema: nullable({ type: 'boolean' }), select: q, convert: same };
  if (type === 'DATE')
    return { name, duckType, schema: nullable({ type: 'string', format: 'date' }), select: `CAST(${q} AS VARCHAR)`, convert: same };
  if (type === 'TIME')
    return { name, duckType, schema: nullable({ type: 'string', format: 'time' }), select: `CAST(${q} AS VARCHAR)`, convert: same };
  if (type === 'TIMESTAMP WITH TIME ZONE' || type === 'TIMESTAMPTZ') {
    return {
      name,
      duckType,
      schema: nullable({ type: 'string', format: 'date-time', 'sql-datatype': 'timestamptz' }),
      select: `strftime(${q}, '%Y-%m-%dT%H:%M:%S.%fZ')`,
      convert: same,
    };
  }
  if (/^TIMESTAMP/.test(type)) {
    return {
      name,
      duckType,
      schema: nullable({ type: 'string', format: 'date-time', 'sql-datatype': 'timestamp' }),
      select: `strftime(CAST(${q} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f')`,
      convert: same,
    };
  }
  if (type === 'UUID')
    return { name, duckType, schema: nullable({ type: 'string', format: 'uuid' }), select: `CAST(${q} AS VARCHAR)`, convert: same };
  if (type === 'BLOB')
    return {
      name,
      duckType,
      schema: nullable({ type: 'string', contentEncoding: 'base64', 'sql-datatype': 'bytea' }),
      select: `base64(${q})`,
      convert: same,
    };
  if (type === 'VARCHAR') return { name, duckType, schema: nullable({ type: 'string' }), select: q, convert: same };
  // JSON, lists, structs, maps: exact JSON text.
  return {
    name,
    duckType,
    schema: {},
    select: `CAST(to_json(${q}) AS VARCHAR)`,
    convert: (v) => (v === null ? null : new JsonText(v as string)),
  };
}

/** A local Parquet file's columns: DuckDB type, JSON Schema and the SELECT expression of their record values. */
export async function parquetColumnTypes(duck: Duck, path: string, file: string): Promise<ParquetColumn[]> {
  try {
    const rows = await duck.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`);
    return rows.map((row) => column(String(row['column_name']), String(row['column_type'])));
  } catch (error) {
    throw new FileDataError(
      'PARQUET_UNREADABLE',
      (error as Error).message,
      { file },
      { hint: 'the file is not Parquet, is cut, or is still being written', cause: error },
    );
  }
}

/** A Parquet file's own schema, exact: DECIMAL(p,s) as decimals, timestamps with their zone, integers, nested values as JSON. */
export async function parquetSchema(duck: Duck, path: string, file: string): Promise<Record<string, JsonSchema>> {
  return Object.fromEntries((await parquetColumnTypes(duck, path, file)).map((c) => [c.name, c.schema]));
}

/** The rows of a local Parquet file, streamed by DuckDB in chunks (a batch each); `line` is the row number (1-based). */
export async function* readParquetRows(duck: Duck, path: string, file: string): AsyncGenerator<RawRow[]> {
  const columns = await parquetColumnTypes(duck, path, file);
  const sql = `SELECT ${columns.map((c) => `${c.select} AS ${sqlName(c.name)}`).join(', ')} FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`;
  const result = await duck.connection.stream(sql);
  let line = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const batch: RawRow[] = [];
    for (const row of chunk.getRows()) {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i] as ParquetColumn;
        const value = row[i] ?? null;
        values[c.name] = value === null ? null : c.convert(value);
      }
      batch.push({ values, line: ++line });
    }
    yield batch;
  }
}
