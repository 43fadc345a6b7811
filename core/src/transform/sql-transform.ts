import type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api';
import { ConfigError } from '../errors.js';
import { Decimal, exactNumber, JsonText, parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { RecordBatchMessage, RecordData, SchemaMessage } from '../protocol/messages.js';
import { columnType } from '../sql/column-types.js';
import { TransformError, type Transform } from './transform.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The DuckDB type a batch column has in the `batch` view, from its JSON Schema (exact types where DuckDB has them). */
function duckType(schema: JsonSchema): string {
  const column = columnType(schema);
  switch (column.logical) {
    case 'boolean':
      return 'BOOLEAN';
    case 'integer':
      // Signed integer columns of up to 64 bits; anything else (unsigned bigint, numeric integers) gets 128.
      return /^\s*(smallint|integer|int|bigint|int[248])\s*$/i.test(column.sqlType ?? '') ? 'BIGINT' : 'HUGEINT';
    case 'number':
      return 'DOUBLE';
    case 'decimal': {
      const declared = /^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(column.sqlType ?? '');
      const precision = declared ? Number(declared[1]) : column.precision;
      const scale = declared ? Number(declared[2] ?? 0) : column.scale;
      // A decimal DuckDB cannot hold exactly stays text (cast it in the query to compute with it).
      return precision !== undefined && scale !== undefined && precision <= 38 ? `DECIMAL(${precision},${scale})` : 'VARCHAR';
    }
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'uuid':
      return 'UUID';
    case 'json':
      return 'JSON';
    default:
      return 'VARCHAR';
  }
}

/** A record value as the text DuckDB casts to the column's type. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value instanceof Decimal)
    return String(value);
  if (value instanceof JsonText) return value.text;
  if (value instanceof Date) return value.toISOString();
  return stringifyExactJson(value);
}

interface OutputColumn {
  name: string;
  /** The SQL reading it from the query: native for types JS holds exactly, text otherwise. */
  select: string;
  schema: JsonSchema;
  convert: (v: unknown) => unknown;
}

const exact = (v: unknown) => (v === null ? null : exactNumber(String(v), Number(v)));
const json = (v: unknown) => (v === null ? null : parseExactJson(String(v)));
const asIs = (v: unknown) => v;

/** How a result column of DuckDB type `type` is read and described. */
function outputColumn(name: string, type: DuckDBType): OutputColumn {
  const col = quote(name);
  const typeText = type.toString();
  const base = typeText.replace(/\(.*$/, '');
  const nullable = (t: string, extra: JsonSchema = {}): JsonSchema => ({ type: [t, 'null'], ...extra });
  if (type.alias === 'JSON') return { name, select: `CAST(${col} AS VARCHAR)`, schema: {}, convert: json };
  switch (base) {
    case 'BOOLEAN':
      return { name, select: col, schema: nullable('boolean'), convert: asIs };
    case 'TINYINT':
    case 'SMALLINT':
    case 'INTEGER':
    case 'UTINYINT':
    case 'USMALLINT':
    case 'UINTEGER':
      return { name, select: col, schema: nullable('integer'), convert: asIs };
    case 'BIGINT':
    case 'HUGEINT':
    case 'UBIGINT':
    case 'UHUGEINT':
      return { name, select: `CAST(${col} AS VARCHAR)`, schema: nullable('integer'), convert: exact };
    case 'FLOAT':
    case 'DOUBLE':
      return { name, select: col, schema: nullable('number'), convert: asIs };
    case 'DECIMAL': {
      const m = /\((\d+),\s*(\d+)\)/.exec(typeText);
      return {
        name,
        select: `CAST(${col} AS VARCHAR)`,
        schema: nullable('number', { 'sql-datatype': `numeric(${m?.[1] ?? 38},${m?.[2] ?? 0})` }),
        convert: exact,
      };
    }
    case 'DATE':
      return { name, select: `CAST(${col} AS VARCHAR)`, schema: nullable('string', { format: 'date' }), convert: asIs };
    case 'TIME':
      return { name, select: `CAST(${col} AS VARCHAR)`, schema: nullable('string', { format: 'time' }), convert: asIs };
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_NS':
      return {
        name,
        select: `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%f')`,
        schema: nullable('string', { format: 'date-time', 'sql-datatype': 'timestamp' }),
        convert: asIs,
      };
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return {
        name,
        select: `strftime(${col} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')`,
        schema: nullable('string', { format: 'date-time' }),
        convert: asIs,
      };
    case 'UUID':
      return { name, select: `CAST(${col} AS VARCHAR)`, schema: nullable('string', { format: 'uuid' }), convert: asIs };
    case 'BLOB':
      return { name, select: `base64(${col})`, schema: nullable('string', { contentEncoding: 'base64' }), convert: asIs };
    case 'VARCHAR':
      return { name, select: col, schema: nullable('string'), convert: asIs };
    default:
      if (/^(STRUCT|MAP)/.test(typeText))
        return { name, select: `CAST(to_json(${col}) AS VARCHAR)`, schema: nullable('object'), convert: json };
      if (/\[\d*\]$/.test(typeText)) return { name, select: `CAST(to_json(${col}) AS VARCHAR)`, schema: nullable('array'), convert: json };
      return { name, select: `CAST(${col} AS VARCHAR)`, schema: nullable('string'), convert: asIs };
  }
}

interface StreamRun {
  connection: DuckDBConnection;
  fields: string[];
  columns: OutputColumn[];
  query: string;
  outStream: string;
}

async function loadDuckDB(name: string): Promise<typeof import('@duckdb/node-api')> {
  try {
    return await import('@duckdb/node-api');
  } catch (error) {
    throw new ConfigError(
      'SQL_TRANSFORM_NEEDS_DUCKDB',
      `transform ${name}: sql: transforms run in an embedded DuckDB, and @duckdb/node-api is not installed`,
      {
        cause: error,
        hint: 'npm install @duckdb/node-api (beside @mage-int/core), or use stream_maps / a module: transform instead',
      },
    );
  }
}

/**
 * A `sql:` step: each batch of a stream becomes the table `batch` (its schema's properties, typed) in an in-memory
 * DuckDB, and the query's result is what goes on; the SCHEMA sent on is the query's result columns and types.
 */
export function sqlTransform(sql: string, name: string, options: { keyProperties?: string[] } = {}): Transform {
  let instance: Promise<DuckDBInstance> | undefined;
  const streams = new Map<string, StreamRun>();
  const query = sql.trim().replace(/;\s*$/, '');

  const open = async (): Promise<DuckDBInstance> => {
    instance ??= loadDuckDB(name).then(({ DuckDBInstance }) =>
      DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' }),
    );
    return instance;
  };

  return {
    name,
    async schema(message: SchemaMessage): Promise<SchemaMessage[]> {
      const previous = streams.get(message.stream);
      const connection = previous?.connection ?? (await (await open()).connect());
      const properties = message.schema.properties ?? {};
      const fields = Object.keys(properties);
      if (fields.length === 0)
        throw new TransformError(name, 'SQL_TRANSFORM_NO_COLUMNS', 'the stream has no properties to query', { stream: message.stream });
      const view = fields.map((f) => `CAST(${quote(f)} AS ${duckType(properties[f]!)}) AS ${quote(f)}`).join(', ');
      await connection.run(`SET TimeZone = 'UTC'`);
      await connection.run(`CREATE OR REPLACE TEMP TABLE batch_rows (${fields.map((f) => `${quote(f)} VARCHAR`).join(', ')})`);
      await connection.run(`CREATE OR REPLACE TEMP VIEW batch AS SELECT ${view} FROM batch_rows`);
      let prepared;
      try {
        prepared = await connection.prepare(`SELECT * FROM (${query}) AS q`);
      } catch (error) {
        throw new TransformError(
          name,
          'SQL_TRANSFORM_INVALID',
          `the query does not run over the stream's batch: ${(error as Error).message}`,
          {
            stream: message.stream,
            hint: `the table is "batch", with columns ${fields.join(', ')}`,
          },
        );
      }
      const columns: OutputColumn[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < prepared.columnCount; i++) {
        const column = outputColumn(prepared.columnName(i), prepared.columnType(i));
        if (seen.has(column.name)) {
          throw new TransformError(name, 'SQL_TRANSFORM_DUPLICATE_COLUMN', `the query returns two columns named "${column.name}"`, {
            stream: message.stream,
            field: column.name,
            hint: 'name them apart with AS',
          });
        }
        seen.add(column.name);
        // A column passed through unchanged keeps the source's description (exact type, format, encoding).
        const input = properties[column.name];
        if (
          input &&
          prepared.columnType(i).toString() ===
            (duckType(input) === 'JSON' ? 'VARCHAR' : duckType(input)).replace(/^TIMESTAMPTZ$/, 'TIMESTAMP WITH TIME ZONE')
        ) {
          column.schema = input;
          if (columnType(input).logical === 'decimal' && duckType(input) === 'VARCHAR') column.convert = exact;
        }
        columns.push(column);
      }
      prepared.destroySync();
      const names = new Set(columns.map((c) => c.name));
      const keys = options.keyProperties ?? message.key_properties ?? [];
      for (const key of keys) {
        if (!names.has(key)) {
          throw new TransformError(name, 'SQL_TRANSFORM_KEY_MISSING', `key property "${key}" is not a column of the query's result`, {
            stream: message.stream,
            field: key,
            hint: 'select the key columns, or set key_properties on the sql: step',
          });
        }
      }
      streams.set(message.stream, {
        connection,
        fields,
        columns,
        query: `SELECT ${columns.map((c) => c.select).join(', ')} FROM (${query}) AS q`,
        outStream: message.stream,
      });
      const bookmarks = message.bookmark_properties?.filter((b) => names.has(b));
      return [
        {
          type: 'SCHEMA',
          stream: message.stream,
          schema: { type: 'object', properties: Object.fromEntries(columns.map((c) => [c.name, c.schema])) },
          key_properties: [...keys],
          ...(bookmarks && bookmarks.length > 0 ? { bookmark_properties: bookmarks } : {}),
        },
      ];
    },

    async records(batch: RecordBatchMessage): Promise<RecordBatchMessage[]> {
      const run = streams.get(batch.stream);
      if (!run) return [batch];
      const appender = await run.connection.createAppender('batch_rows');
      try {
        for (const record of batch.records) {
          for (const field of run.fields) {
            const value = text(record[field]);
            if (value === null) appender.appendNull();
            else appender.appendVarchar(value);
          }
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      let rows: unknown[][];
      try {
        rows = (await run.connection.runAndReadAll(run.query)).getRowsJS() as unknown[][];
      } catch (error) {
        throw new TransformError(
          name,
          'SQL_TRANSFORM_FAILED',
          `the query failed on a batch of ${batch.records.length} records: ${(error as Error).message}`,
          { stream: batch.stream },
        );
      } finally {
        await run.connection.run('DELETE FROM batch_rows');
      }
      const records: RecordData[] = rows.map((row) => {
        const record: RecordData = {};
        for (let i = 0; i < run.columns.length; i++) {
          const column = run.columns[i]!;
          const value = row[i] ?? null;
          record[column.name] = value === null ? null : column.convert(value);
        }
        return record;
      });
      const { native: _native, ...rest } = batch;
      return [{ ...rest, stream: run.outStream, records }];
    },

    async close(): Promise<void> {
      for (const run of streams.values()) run.connection.closeSync();
      streams.clear();
      if (instance) (await instance.catch(() => undefined))?.closeSync();
      instance = undefined;
    },
  };
}
