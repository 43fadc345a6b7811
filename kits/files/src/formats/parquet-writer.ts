import { rm } from 'node:fs/promises';
import { Decimal, type JsonSchema, type Logger, type RecordData } from '@mage-int/core';
import { columnType, type ColumnType } from '@mage-int/core/sql';
import { CSV_LINE_OPTIONS, sqlName, sqlString, type Duck } from '../duck.js';
import { TextFileWriter } from './file-writer.js';

const MAX_DECIMAL_PRECISION = 38;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** What a column's values need, learnt while they are staged: the digits of decimals, integers past int64. */
interface ColumnStats {
  type: ColumnType;
  intDigits: number;
  scale: number;
  bigInteger: boolean;
  /** A `number` column that received a value a double cannot hold (a Decimal): written as DECIMAL instead. */
  exact: boolean;
}

function observe(stats: ColumnStats, value: unknown): void {
  if (stats.type.logical === 'integer') {
    if (typeof value === 'bigint' && (value > INT64_MAX || value < INT64_MIN)) stats.bigInteger = true;
    return;
  }
  if (stats.type.logical === 'number' && value instanceof Decimal) stats.exact = true;
  if ((stats.type.logical !== 'decimal' && stats.type.logical !== 'number') || value === null || value === undefined) return;
  const text = value instanceof Decimal ? value.text : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
  if (text === undefined || /e/i.test(text)) {
    stats.scale = Math.max(stats.scale, 18);
    stats.intDigits = Math.max(stats.intDigits, 20);
    return;
  }
  const [int = '', frac = ''] = text.replace(/^-/, '').split('.');
  stats.intDigits = Math.max(stats.intDigits, int.replace(/^0+/, '').length);
  stats.scale = Math.max(stats.scale, frac.length);
}

/**
 * The precision and scale a decimal column is declared with: the schema's (`multipleOf` scale, `x-precision`), else
 * the source's `sql-datatype` / `x-sql-datatype` (`numeric(14,2)`, `decimal(20, 6)`, `numeric(10)`).
 */
function declaredDecimal(type: ColumnType): { precision?: number; scale?: number } {
  const match = /^\s*(?:numeric|decimal|number|dec)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)/i.exec(type.sqlType ?? '');
  const sqlPrecision = match ? Number(match[1]) : undefined;
  const sqlScale = match ? Number(match[2] ?? 0) : undefined;
  // A negative scale or one past the precision (PostgreSQL 15 allows both) has no DECIMAL: the values decide.
  const usable = sqlPrecision !== undefined && sqlScale !== undefined && sqlScale >= 0 && sqlScale <= sqlPrecision;
  return {
    precision: type.precision ?? (usable ? sqlPrecision : undefined),
    scale: type.scale ?? (usable ? sqlScale : undefined),
  };
}

/** The Parquet (DuckDB) type of a column, and the SQL that turns its staged text into it. */
function columnSql(name: string, stats: ColumnStats, logger: Logger, stream: string): string {
  const text = sqlName(name);
  const { type } = stats;
  switch (type.logical) {
    case 'boolean':
      return `CAST(${text} AS BOOLEAN)`;
    case 'integer':
      if (stats.bigInteger) return `CAST(${text} AS DECIMAL(38,0))`;
      // The source's own width when it says (PostgreSQL smallint / integer), else int64.
      if (/^(smallint|int2)$/i.test(type.sqlType ?? '')) return `CAST(${text} AS SMALLINT)`;
      if (/^(integer|int|int4)$/i.test(type.sqlType ?? '')) return `CAST(${text} AS INTEGER)`;
      return `CAST(${text} AS BIGINT)`;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: exact numbers are written as decimals, below
    case 'number':
      if (!stats.exact) return `CAST(${text} AS DOUBLE)`;
    // falls through: values a double would round are kept as exact decimals
    case 'decimal': {
      // The declared precision and scale (numeric(14,2) stays DECIMAL(14,2) however few digits the values use),
      // widened only when a value needs more (a cast must never round or fail).
      const declared = declaredDecimal(type);
      const scale = Math.max(declared.scale ?? 0, stats.scale);
      const precision = Math.max(declared.precision ?? 1, stats.intDigits + scale);
      if (precision > MAX_DECIMAL_PRECISION) {
        logger.warn(
          `column "${name}" holds decimals of ${precision} digits, more than Parquet's DECIMAL(38) in DuckDB: written as exact text`,
          { stream },
        );
        return text;
      }
      return `CAST(${text} AS DECIMAL(${Math.max(precision, scale, 1)},${scale}))`;
    }
    case 'date':
      return `CAST(${text} AS DATE)`;
    case 'time':
      // TIME has no zone: a time with one (PostgreSQL timetz) stays exact text.
      return /with time zone|timetz/i.test(type.sqlType ?? '') ? text : `CAST(${text} AS TIME)`;
    case 'timestamp':
      return `CAST(${text} AS TIMESTAMP)`;
    case 'timestamptz':
      return `CAST(${text} AS TIMESTAMPTZ)`;
    case 'uuid':
      return `CAST(${text} AS UUID)`;
    case 'binary':
      return type.contentEncoding === 'base16' ? `unhex(${text})` : `from_base64(${text})`;
    case 'json':
      return `CAST(${text} AS JSON)`;
    default:
      return text;
  }
}

/**
 * Writes one Parquet file: rows are staged as text in a local CSV (constant memory), and on `finish` DuckDB
 * converts them with exact casts (DECIMAL with the precision and scale the values need, µs timestamps with their
 * zone, UUID, BLOB, JSON) into `path`, each column under its name in `names`.
 */
export class ParquetFileWriter {
  private readonly staged: TextFileWriter;
  private readonly stats: ColumnStats[];

  constructor(
    readonly path: string,
    stagingPath: string,
    private readonly columns: readonly string[],
    private readonly names: readonly string[],
    properties: Record<string, JsonSchema>,
    private readonly codec: string,
    private readonly duck: () => Promise<Duck>,
    private readonly logger: Logger,
    private readonly stream: string,
  ) {
    this.staged = new TextFileWriter(stagingPath, 'csv', 'none', columns, { delimiter: ',', header: false });
    this.stats = columns.map((c) => ({
      type: columnType(properties[c] ?? {}, { interpretContentEncoding: true }),
      intDigits: 0,
      scale: 0,
      bigInteger: false,
      exact: false,
    }));
  }

  get rows(): number {
    return this.staged.rows;
  }

  get bytes(): number {
    return this.staged.bytes;
  }

  async write(records: readonly RecordData[]): Promise<void> {
    for (const record of records)
      for (let i = 0; i < this.columns.length; i++) observe(this.stats[i] as ColumnStats, record[this.columns[i] as string]);
    await this.staged.write(records);
  }

  async finish(): Promise<void> {
    await this.staged.finish();
    try {
      const staged = Object.fromEntries(this.columns.map((c) => [c, 'VARCHAR']));
      const columnsSql = `{${Object.keys(staged)
        .map((c) => `${sqlString(c)}: 'VARCHAR'`)
        .join(', ')}}`;
      const select = this.columns
        .map((c, i) => `${columnSql(c, this.stats[i] as ColumnStats, this.logger, this.stream)} AS ${sqlName(this.names[i] ?? c)}`)
        .join(', ');
      const read = `read_csv(${sqlString(this.staged.path)}, header = false, columns = ${columnsSql}, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, auto_detect = false, ${CSV_LINE_OPTIONS})`;
      const duck = await this.duck();
      await duck.connection.run(
        `COPY (SELECT ${select.length > 0 ? select : '1 AS _empty'} FROM ${read}) TO ${sqlString(this.path)} (FORMAT parquet, COMPRESSION ${this.codec})`,
      );
    } finally {
      await rm(this.staged.path, { force: true });
    }
  }

  async abort(): Promise<void> {
    await this.staged.abort();
    await rm(this.path, { force: true });
  }
}
