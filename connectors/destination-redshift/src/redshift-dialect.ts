import type { JsonSchema } from '@mage-int/core';
import {
  columnType,
  STAGING_DELETED,
  STAGING_SEQUENCE,
  StandardDialect,
  type ColumnDefinition,
  type ColumnTypeOptions,
  type LogicalType,
  type MergePlan,
  type StandardType,
  type TableRef,
} from '@mage-int/core/sql';
import { quoteLiteral } from '@mage-int/redshift';

/** Redshift names: at most 127 bytes of UTF-8, folded to lower case (docs: Names and identifiers). */
export const REDSHIFT_MAX_IDENTIFIER = 127;
/** The longest VARCHAR, in bytes (docs: Character types). */
export const REDSHIFT_MAX_VARCHAR = 65535;
/** NUMERIC holds at most 38 digits; the scale of a number whose precision the schema does not give. */
export const REDSHIFT_DEFAULT_SCALE = 9;
const MAX_PRECISION = 38;

const VARCHAR = `VARCHAR(${REDSHIFT_MAX_VARCHAR})`;

/** Redshift's type names per kind (docs: Data types). No arrays: JSON objects and arrays are SUPER. */
const REDSHIFT_TYPES: Record<LogicalType, string> = {
  boolean: 'BOOLEAN',
  integer: 'BIGINT',
  number: `NUMERIC(${MAX_PRECISION},${REDSHIFT_DEFAULT_SCALE})`,
  decimal: `NUMERIC(${MAX_PRECISION},${REDSHIFT_DEFAULT_SCALE})`,
  string: VARCHAR,
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  uuid: VARCHAR,
  binary: 'VARBYTE',
  json: 'SUPER',
};

/** Table attributes of one table (from the config): DISTKEY column and COMPOUND SORTKEY columns, by column name. */
export interface TableAttributes {
  distStyle?: 'auto' | 'even' | 'all' | 'key';
  distKey?: string;
  sortKeys?: string[];
}

/** Which columns the staging table holds as text, and how the merge turns them back into the target's type. */
const TEXT_STAGED: Partial<Record<LogicalType, (value: string) => string>> = {
  json: (value) => `JSON_PARSE(${value})`,
  binary: (value) => `FROM_HEX(${value})`,
};

/**
 * Redshift SQL on the SQL kit. Names lower-case, double-quoted, 127 bytes; types BIGINT, NUMERIC(38,s) (s from the
 * schema, else 9), VARCHAR(65535), TIMESTAMPTZ/TIMESTAMP, SUPER for objects and arrays, VARBYTE. Keys are declared
 * (Redshift enforces no PRIMARY KEY), so keyed conflict rules are staged and merged with DELETE + INSERT / UPDATE …
 * FROM (AWS's documented "merge by replacing existing rows"); staging tables are TEMP tables of the session.
 * SUPER and VARBYTE values are staged as text (JSON, hex) and converted by JSON_PARSE / FROM_HEX in the merge, so
 * COPY never has to guess how a CSV field becomes a SUPER value.
 */
export class RedshiftDialect extends StandardDialect {
  /** Tells the staging tables of concurrent runs apart. */
  private readonly runToken: string;
  /** Column types of each table as the catalog last reported them (`schema.table`), for staging and merges. */
  private readonly known = new Map<string, ReadonlyMap<string, StandardType>>();

  constructor(
    runToken = Math.random().toString(36).slice(2, 10),
    private readonly attributes: (table: TableRef, keys: readonly string[]) => TableAttributes = () => ({}),
  ) {
    super({
      name: 'redshift',
      identifiers: { maxBytes: REDSHIFT_MAX_IDENTIFIER, lowercase: true },
      capabilities: { transactionalDdl: true, enforcesUniqueKeys: false, merge: 'merge' },
      types: REDSHIFT_TYPES,
      now: 'GETDATE()',
    });
    this.runToken = runToken;
  }

  /** A string constant: single quotes doubled; backslashes refused (Redshift may read them as escapes). */
  override quoteLiteral(text: string): string {
    return quoteLiteral(text);
  }

  /** `"schema"."table"`, or the bare name of a TEMP table (whose schema is empty). */
  override qualify(table: TableRef): string {
    return table.schema === '' ? this.quoteIdentifier(table.name) : super.qualify(table);
  }

  override columnType(field: JsonSchema, options: ColumnTypeOptions): StandardType {
    const column = columnType(field, options);
    if (column.logical === 'number' && /^\s*(double precision|float8?|real|float4)\b/i.test(column.sqlType ?? ''))
      return { logical: 'number', sql: 'DOUBLE PRECISION' };
    if (column.logical === 'decimal' || column.logical === 'number') return this.decimalType(column.scale, column.sqlType);
    return this.typeOf(column.logical);
  }

  /** NUMERIC(38,s): the declared scale (of `sql-datatype` or `multipleOf`), capped at 37, else 9. */
  private decimalType(scale: number | undefined, sqlType: string | undefined): StandardType {
    const declared = /^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(sqlType ?? '');
    const s = declared ? Number(declared[2] ?? 0) : scale;
    const chosen = s === undefined ? REDSHIFT_DEFAULT_SCALE : Math.min(s, MAX_PRECISION - 1);
    return { logical: 'decimal', sql: `NUMERIC(${MAX_PRECISION},${chosen})` };
  }

  /** A column as SVV_COLUMNS reports it (`data_type`, length, precision, scale). */
  catalogType(dataType: string, length?: number | null, precision?: number | null, scale?: number | null): StandardType {
    const type = dataType.toLowerCase().trim();
    switch (type) {
      case 'smallint':
      case 'integer':
      case 'bigint':
        return { logical: 'integer', sql: 'BIGINT' };
      case 'numeric':
      case 'decimal':
        return { logical: 'decimal', sql: `NUMERIC(${precision ?? MAX_PRECISION},${scale ?? 0})` };
      case 'double precision':
      case 'real':
        return { logical: 'number', sql: 'DOUBLE PRECISION' };
      case 'character varying':
      case 'character':
      case 'text':
        return { logical: 'string', sql: `VARCHAR(${length ?? 256})` };
      case 'boolean':
        return this.typeOf('boolean');
      case 'date':
        return this.typeOf('date');
      case 'time without time zone':
      case 'time':
        return this.typeOf('time');
      case 'timestamp without time zone':
      case 'timestamp':
        return this.typeOf('timestamp');
      case 'timestamp with time zone':
      case 'timestamptz':
        return this.typeOf('timestamptz');
      case 'super':
        return this.typeOf('json');
      case 'varbyte':
      case 'binary varying':
        return this.typeOf('binary');
      default:
        return { logical: 'string', sql: dataType };
    }
  }

  override sameType(a: StandardType, b: StandardType): boolean {
    if (a.logical !== b.logical) return false;
    if (a.logical === 'decimal') return scaleOf(a) === scaleOf(b);
    // A shorter VARCHAR (made elsewhere) still takes a value only up to its length: widen it.
    if (a.logical === 'string') return lengthOf(a) === lengthOf(b);
    return true;
  }

  override widen(current: StandardType, incoming: StandardType): StandardType {
    if (current.logical === 'string' && incoming.logical === 'string') return lengthOf(incoming) > lengthOf(current) ? incoming : current;
    if (current.logical === 'number' && (incoming.logical === 'decimal' || incoming.logical === 'integer')) return current;
    if (current.logical === 'decimal' && incoming.logical === 'integer') return current;
    if (current.logical === 'decimal' && incoming.logical === 'decimal') return scaleOf(incoming) > scaleOf(current) ? incoming : current;
    if (current.logical === 'integer' && incoming.logical === 'decimal') return incoming;
    const widened = super.widen(current, incoming);
    return widened.logical === 'string' ? this.typeOf('string') : widened;
  }

  /** Remembers a table's columns as the catalog reports them (the connection calls this from describeTable). */
  remember(table: TableRef, columns: ReadonlyMap<string, StandardType>): void {
    this.known.set(`${table.schema}.${table.name}`, columns);
  }

  private logicalOf(table: TableRef, column: string): LogicalType | undefined {
    return this.known.get(`${table.schema}.${table.name}`)?.get(column)?.logical;
  }

  /** The kind a staged column is loaded as: SUPER and VARBYTE columns are staged as text. */
  stagedAsText(table: TableRef, column: string): boolean {
    const logical = this.logicalOf(table, column);
    return logical !== undefined && TEXT_STAGED[logical] !== undefined;
  }

  /**
   * `CREATE TABLE IF NOT EXISTS` with NOT NULL keys, a declared PRIMARY KEY (informational in Redshift: it helps
   * the planner, duplicates still load) and the configured DISTSTYLE / DISTKEY / COMPOUND SORTKEY.
   */
  override createTable(table: TableRef, columns: readonly ColumnDefinition<StandardType>[], keys: readonly string[]): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const definitions = columns.map((c) => `${q(c.name)} ${c.type.sql}${keys.includes(c.name) ? ' NOT NULL' : ''}`);
    if (keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map(q).join(', ')})`);
    const attributes = this.attributes(table, keys);
    const names = new Set(columns.map((c) => c.name));
    const clauses: string[] = [];
    const distKey = attributes.distKey ?? (attributes.distStyle === 'key' ? keys[0] : undefined);
    if (distKey !== undefined && names.has(distKey)) clauses.push(`DISTSTYLE KEY DISTKEY (${q(distKey)})`);
    else if (attributes.distStyle === 'even' || attributes.distStyle === 'all')
      clauses.push(`DISTSTYLE ${attributes.distStyle.toUpperCase()}`);
    const sortKeys = (attributes.sortKeys ?? []).filter((k) => names.has(k));
    if (sortKeys.length > 0) clauses.push(`COMPOUND SORTKEY (${sortKeys.map(q).join(', ')})`);
    return [
      `CREATE TABLE IF NOT EXISTS ${this.qualify(table)} (\n  ${definitions.join(',\n  ')}\n)${clauses.map((c) => `\n${c}`).join('')}`,
    ];
  }

  /** Redshift's ADD COLUMN has no IF NOT EXISTS: a racing writer's duplicate column (42701) is `lostDdlRace`. */
  override addColumn(table: TableRef, column: ColumnDefinition<StandardType>): string[] {
    return [`ALTER TABLE ${this.qualify(table)} ADD COLUMN ${this.quoteIdentifier(column.name)} ${column.type.sql}`];
  }

  /**
   * Redshift changes a column's type in place only to lengthen a VARCHAR; every other widening copies the column
   * (add, UPDATE, drop, rename). A scalar assigned to SUPER becomes a SUPER scalar; SUPER to text is JSON_SERIALIZE;
   * BOOLEAN has no cast to VARCHAR, so a CASE spells it.
   */
  override alterColumnType(table: TableRef, column: string, from: StandardType, to: StandardType): string[] {
    const target = this.qualify(table);
    const old = this.quoteIdentifier(column);
    if (from.logical === 'string' && to.logical === 'string') return [`ALTER TABLE ${target} ALTER COLUMN ${old} TYPE ${to.sql}`];
    const next = this.quoteIdentifier(`${column}__mage_widened`);
    const value =
      to.logical === 'json'
        ? old
        : from.logical === 'json'
          ? `JSON_SERIALIZE(${old})`
          : from.logical === 'boolean' && to.logical === 'string'
            ? `CASE WHEN ${old} THEN 'true' WHEN NOT ${old} THEN 'false' END`
            : `CAST(${old} AS ${to.sql})`;
    return [
      `ALTER TABLE ${target} ADD COLUMN ${next} ${to.sql}`,
      `UPDATE ${target} SET ${next} = ${value}`,
      `ALTER TABLE ${target} DROP COLUMN ${old}`,
      `ALTER TABLE ${target} RENAME COLUMN ${next} TO ${old}`,
    ];
  }

  /** A TEMP table of the session (no schema: Redshift creates temporary tables in a session schema of its own). */
  override stagingTable(_target: TableRef, id: number): TableRef {
    return { schema: '', name: `mage_stage_${this.runToken}_${id}` };
  }

  /**
   * `CREATE TEMP TABLE … AS SELECT` the staged columns as the target has them — SUPER and VARBYTE ones as
   * VARCHAR(65535) text — plus the load order and the delete flag; gone with the session should a run die.
   */
  override createStaging(staging: TableRef, like: TableRef, columns: readonly string[]): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const list = columns.map((c) => (this.stagedAsText(like, c) ? `CAST(NULL AS ${VARCHAR}) AS ${q(c)}` : q(c)));
    return [
      ...this.dropStaging(staging),
      `CREATE TEMP TABLE ${this.qualify(staging)} AS SELECT ${list.join(', ')}, CAST(NULL AS BIGINT) AS ${q(STAGING_SEQUENCE)}, CAST(NULL AS BOOLEAN) AS ${q(STAGING_DELETED)} FROM ${this.qualify(like)} WHERE 1 = 0`,
    ];
  }

  /**
   * `COPY` of one gzip CSV object into the staging table (docs: COPY, Data format and Data conversion parameters):
   * the staged columns in file order; strings enclosed in double quotes, NULL the unquoted NUL character
   * (`NULL AS '\0'`); ROUNDEC rounds decimals beyond the column's scale instead of truncating them; statistics and
   * compression analysis off (a staging table lives for one merge). `authorization` is IAM_ROLE or the access keys.
   */
  copyFromS3(staging: TableRef, columns: readonly string[], url: string, authorization: string, region: string): string {
    return [
      `COPY ${this.qualify(staging)} (${columns.map((c) => this.quoteIdentifier(c)).join(', ')})`,
      `FROM ${this.quoteLiteral(url)}`,
      authorization,
      `FORMAT AS CSV QUOTE AS '"' DELIMITER ',' NULL AS '\\0' GZIP ROUNDEC REGION ${this.quoteLiteral(region)} COMPUPDATE OFF STATUPDATE OFF`,
    ].join('\n');
  }

  /**
   * Staged rows into the target, the last row of each key winning (older duplicates deleted from the staging table
   * first). upsert: DELETE the keys present, INSERT the staged rows; update_only: UPDATE … FROM; ignore: INSERT
   * what is not there; append: INSERT everything in load order. With hard deletes, flagged rows delete their key and
   * are not inserted. Redshift's MERGE takes one WHEN MATCHED clause without conditions, so hard deletes could not
   * share its statement; DELETE + INSERT is the form AWS documents for staged upserts.
   */
  override merge(plan: MergePlan): string[] {
    const q = (name: string) => this.quoteIdentifier(name);
    const target = this.qualify(plan.target);
    const staging = this.qualify(plan.staging);
    const value = (c: string) => {
      const logical = this.logicalOf(plan.target, c);
      const convert = logical ? TEXT_STAGED[logical] : undefined;
      return convert ? convert(`${staging}.${q(c)}`) : `${staging}.${q(c)}`;
    };
    const list = plan.columns.map(q).join(', ');
    const values = plan.columns.map(value).join(', ');
    if (plan.method === 'append' || plan.keys.length === 0)
      return [`INSERT INTO ${target} (${list}) SELECT ${values} FROM ${staging} ORDER BY ${staging}.${q(STAGING_SEQUENCE)}`];
    const keys = plan.keys.map(q);
    const match = keys.map((k) => `${target}.${k} = ${staging}.${k}`).join(' AND ');
    const deleted = `${staging}.${q(STAGING_DELETED)} IS NOT NULL`;
    const kept = `${staging}.${q(STAGING_DELETED)} IS NULL`;
    const statements: string[] = [];
    if (!plan.distinctKeys)
      statements.push(
        `DELETE FROM ${staging} WHERE ${q(STAGING_SEQUENCE)} NOT IN (SELECT MAX(${q(STAGING_SEQUENCE)}) FROM ${staging} GROUP BY ${keys.join(', ')})`,
      );
    if (plan.method === 'upsert') {
      statements.push(`DELETE FROM ${target} USING ${staging} WHERE ${match}`);
      statements.push(`INSERT INTO ${target} (${list}) SELECT ${values} FROM ${staging}${plan.hardDelete ? ` WHERE ${kept}` : ''}`);
      return statements;
    }
    if (plan.hardDelete) statements.push(`DELETE FROM ${target} USING ${staging} WHERE ${match} AND ${deleted}`);
    if (plan.method === 'update_only') {
      const updatable = plan.columns.filter((c) => !plan.keys.includes(c));
      if (updatable.length > 0)
        statements.push(
          `UPDATE ${target} SET ${updatable.map((c) => `${q(c)} = ${value(c)}`).join(', ')} FROM ${staging} WHERE ${match}${plan.hardDelete ? ` AND ${kept}` : ''}`,
        );
      return statements;
    }
    // ignore
    statements.push(
      `INSERT INTO ${target} (${list}) SELECT ${values} FROM ${staging} WHERE ${plan.hardDelete ? `${kept} AND ` : ''}NOT EXISTS (SELECT 1 FROM ${target} WHERE ${match})`,
    );
    return statements;
  }
}

function scaleOf(type: StandardType): number {
  return Number(/,\s*(\d+)\s*\)/.exec(type.sql)?.[1] ?? 0);
}

function lengthOf(type: StandardType): number {
  return Number(/\(\s*(\d+)\s*\)/.exec(type.sql)?.[1] ?? REDSHIFT_MAX_VARCHAR);
}
