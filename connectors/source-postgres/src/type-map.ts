import type { JsonSchema, JsonSchemaType } from '@mage-int/core';
import type pg from 'pg';
import {
  parseArray,
  parseBool,
  parseBytea,
  parseDate,
  parseFloat8,
  parseInt4,
  parseInt8,
  parseJson,
  parseMoney,
  parseNumeric,
  parseText,
  parseTimestamp,
  parseTimestamptz,
  parseTimetz,
  type TextParser,
} from './text-values.js';

/** One row of pg_type, as discovery and the log reader load it. */
export interface PgType {
  oid: number;
  name: string;
  /** b base, c composite, d domain, e enum, p pseudo, r range, m multirange */
  typtype: string;
  category: string;
  elem: number;
  baseType: number;
  delim: string;
  /** For domains: format_type of the base type with the domain's modifier. */
  baseFormat: string | null;
}

/** How values of one column are typed and parsed. */
export interface ColumnKind {
  /** The JSON Schema of a non-null value. */
  schema: JsonSchema;
  parse: TextParser;
  /** The type a destination can create for it when the declared type is not one (domains, enums, ranges). */
  portableType?: string;
  /** Whether a keyset/replication key may use it (ordered scalar). */
  orderable: boolean;
}

/** The pg_type rows needed to resolve any column type: all of them (a few hundred rows, one query). */
export const TYPES_QUERY = `SELECT t.oid::int AS oid, t.typname AS name, t.typtype AS typtype, t.typcategory AS category,
  t.typelem::int AS elem, t.typbasetype::int AS "baseType", t.typdelim AS delim,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS "baseFormat" FROM pg_type t`;

export class TypeRegistry {
  private readonly types = new Map<number, PgType>();
  private readonly kinds = new Map<number, ColumnKind>();

  constructor(rows: readonly PgType[] = []) {
    this.add(rows);
  }

  static async load(client: pg.Client): Promise<TypeRegistry> {
    const { rows } = await client.query<PgType>(TYPES_QUERY);
    return new TypeRegistry(rows);
  }

  /** Loads pg_type again (a type created after the registry was built). */
  async reload(client: pg.Client): Promise<void> {
    const { rows } = await client.query<PgType>(TYPES_QUERY);
    this.add(rows);
  }

  add(rows: readonly PgType[]): void {
    // Rows may come from a client whose parsers this very registry provides, before it knew int4: coerce.
    for (const row of rows) {
      const oid = Number(row.oid);
      this.types.set(oid, { ...row, oid, elem: Number(row.elem), baseType: Number(row.baseType) });
    }
    this.kinds.clear();
  }

  has(oid: number): boolean {
    return this.types.has(oid);
  }

  /** The kind of a type OID; unknown OIDs are read as text. */
  kind(oid: number): ColumnKind {
    let kind = this.kinds.get(oid);
    if (!kind) {
      kind = this.resolve(oid, 0);
      this.kinds.set(oid, kind);
    }
    return kind;
  }

  private resolve(oid: number, depth: number): ColumnKind {
    const type = this.types.get(oid);
    if (!type || depth > 10) return TEXT;
    if (type.typtype === 'd') {
      const base = this.resolve(type.baseType, depth + 1);
      return { ...base, portableType: base.portableType ?? type.baseFormat ?? 'text' };
    }
    if (type.category === 'A' && type.elem !== 0) {
      const element = this.resolve(type.elem, depth + 1);
      const elemType = this.types.get(type.elem);
      const delim = elemType?.delim ?? ',';
      return {
        // Items may themselves be arrays: PostgreSQL does not enforce an array column's declared dimensions.
        schema: { type: ['array'], items: withArray(nullable(element.schema)) },
        parse: (text) => parseArray(text, element.parse, delim),
        ...(element.portableType === undefined
          ? {}
          : { portableType: element.portableType.endsWith('[]') ? element.portableType : `${element.portableType}[]` }),
        orderable: false,
      };
    }
    if (type.typtype === 'e') return { ...TEXT, portableType: 'text' };
    if (type.typtype === 'r' || type.typtype === 'm' || type.typtype === 'c') return { ...TEXT, orderable: false, portableType: 'text' };
    return BUILTIN[type.name] ?? { ...TEXT, portableType: 'text' };
  }
}

const TEXT: ColumnKind = { schema: { type: ['string'] }, parse: parseText, orderable: true };

function scalar(type: JsonSchemaType, parse: TextParser, extra: JsonSchema = {}, orderable = true): ColumnKind {
  return { schema: { type: [type], ...extra }, parse, orderable };
}

const JSON_TYPES: JsonSchemaType[] = ['object', 'array', 'string', 'number', 'boolean'];

const BUILTIN: Record<string, ColumnKind> = {
  int2: scalar('integer', parseInt4),
  int4: scalar('integer', parseInt4),
  int8: scalar('integer', parseInt8),
  oid: scalar('integer', parseInt4),
  xid: scalar('integer', parseInt4),
  cid: scalar('integer', parseInt4),
  xid8: scalar('integer', parseInt8),
  numeric: scalar('number', parseNumeric),
  money: { ...scalar('number', parseMoney), portableType: 'numeric' },
  float4: scalar('number', parseFloat8),
  float8: scalar('number', parseFloat8),
  bool: scalar('boolean', parseBool),
  json: { schema: { type: JSON_TYPES }, parse: parseJson, orderable: false },
  jsonb: { schema: { type: JSON_TYPES }, parse: parseJson, orderable: false },
  bytea: scalar('string', parseBytea, { contentEncoding: 'base16' }, false),
  date: scalar('string', parseDate, { format: 'date' }),
  time: scalar('string', parseText, { format: 'time' }),
  timetz: scalar('string', parseTimetz, { format: 'time' }),
  timestamp: scalar('string', parseTimestamp, { format: 'date-time' }),
  timestamptz: scalar('string', parseTimestamptz, { format: 'date-time' }),
  uuid: scalar('string', parseText, { format: 'uuid' }),
  interval: scalar('string', parseText, {}, false),
  text: scalar('string', parseText),
  varchar: scalar('string', parseText),
  bpchar: scalar('string', parseText),
  char: scalar('string', parseText),
  name: scalar('string', parseText),
  citext: { ...scalar('string', parseText), portableType: 'text' },
  xml: scalar('string', parseText, {}, false),
  inet: scalar('string', parseText),
  cidr: scalar('string', parseText),
  macaddr: scalar('string', parseText),
  macaddr8: scalar('string', parseText),
  bit: scalar('string', parseText),
  varbit: scalar('string', parseText),
};

function withArray(schema: JsonSchema): JsonSchema {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types.includes('array') ? schema : { ...schema, type: [...types, 'array'] };
}

/** Adds `null` to a schema's types. */
export function nullable(schema: JsonSchema): JsonSchema {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types.includes('null') ? schema : { ...schema, type: ['null', ...types] };
}

/**
 * The JSON Schema of a column: its kind's schema, nullable unless NOT NULL, with `sql-datatype` naming the
 * type a destination can create exactly (the declared type for built-ins, the base type for domains and enums).
 */
export function columnSchema(kind: ColumnKind, declaredType: string, notNull: boolean): JsonSchema {
  const schema: JsonSchema = { ...kind.schema, 'sql-datatype': kind.portableType ?? declaredType };
  return notNull ? schema : nullable(schema);
}

/** Node-postgres type parsers built from the same text functions, so plain queries are exact too. */
export function pgTypeParsers(registry: TypeRegistry): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (format === 'binary') return (value: Buffer) => value;
      return registry.kind(oid).parse;
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}
