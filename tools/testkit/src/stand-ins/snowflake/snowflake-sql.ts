// The Snowflake SQL the Snowflake stand-in accepts, translated to DuckDB only where the two differ: string constants
// (Snowflake reads backslash escapes in single-quoted strings), type names (NUMBER, TIMESTAMP_TZ/NTZ/LTZ, VARIANT,
// BINARY …), a few functions (PARSE_JSON, TO_VARIANT, TO_JSON, CURRENT_TIMESTAMP()), TEMPORARY/TRANSIENT tables
// (plain tables here) and declared constraints (Snowflake enforces no PRIMARY KEY: dropped). Everything else —
// MERGE, INSERT … SELECT, UPDATE, DELETE, window functions — goes to DuckDB as written, so a statement DuckDB
// cannot run fails here as well. Written from Snowflake's SQL reference (identifier syntax, string constants,
// data types), never from a connector's output.
import { isPunct, matchingParen as sharedMatchingParen, nextSolid as sharedNextSolid, splitStatements } from '../sql-tokens.js';

export type SfToken =
  | { kind: 'word'; text: string }
  | { kind: 'ident'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'positional'; index: number }
  | { kind: 'stage'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'space'; text: string };

/** A Snowflake error as the service reports it: a 6-digit code, an SQLSTATE and a message. */
export class SnowflakeSqlError extends Error {
  constructor(
    readonly code: string,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/** Snowflake's lexical structure: `"quoted"` names (`""` inside), `'strings'` (`''` or backslash escapes), `$n`, `@stages`, comments. */
export function tokenizeSnowflake(sql: string): SfToken[] {
  const tokens: SfToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      const start = i;
      while (i < sql.length && /\s/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'space', text: sql.slice(start, i) });
    } else if (sql.startsWith('--', i) || sql.startsWith('//', i)) {
      while (i < sql.length && sql[i] !== '\n') i++;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (c === '"') {
      let name = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SnowflakeSqlError('001003', '42000', 'SQL compilation error: unterminated quoted identifier');
        if (sql[i] === '"' && sql[i + 1] === '"') {
          name += '"';
          i += 2;
        } else if (sql[i] === '"') {
          i++;
          break;
        } else name += sql[i++];
      }
      tokens.push({ kind: 'ident', name });
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SnowflakeSqlError('001003', '42000', 'SQL compilation error: unterminated string constant');
        const d = sql[i] as string;
        if (d === "'" && sql[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else if (d === '\\') {
          const next = sql[i + 1] ?? '';
          value += ESCAPES[next] ?? next;
          i += 2;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', value });
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      const start = ++i;
      while (i < sql.length && /[0-9]/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'positional', index: Number(sql.slice(start, i)) });
    } else if (c === '@') {
      // A stage reference: @name, @"schema".%"table", @%table, with an optional /path.
      const start = i++;
      while (i < sql.length && !/[\s),;]/.test(sql[i] as string)) {
        if (sql[i] === '"') {
          i++;
          while (i < sql.length && !(sql[i] === '"' && sql[i + 1] !== '"')) i += sql[i] === '"' ? 2 : 1;
        }
        i++;
      }
      tokens.push({ kind: 'stage', text: sql.slice(start, i) });
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i) });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < sql.length && /[0-9.eE]/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'number', text: sql.slice(start, i) });
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

/** The non-space tokens' upper-cased words (names and literals as placeholders), for recognising a statement. */
export function sfShape(tokens: SfToken[]): string[] {
  return tokens
    .filter((t) => t.kind !== 'space')
    .map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.kind === 'punct' ? t.text : `<${t.kind}>`));
}

/** Snowflake type names and how the stand-in stores them in DuckDB (a parenthesised length/precision is dropped, except NUMBER's). */
const TYPES: Record<string, string> = {
  NUMBER: 'DECIMAL',
  DECIMAL: 'DECIMAL',
  NUMERIC: 'DECIMAL',
  INT: 'DECIMAL(38,0)',
  INTEGER: 'DECIMAL(38,0)',
  BIGINT: 'DECIMAL(38,0)',
  FLOAT: 'DOUBLE',
  DOUBLE: 'DOUBLE',
  REAL: 'DOUBLE',
  VARCHAR: 'VARCHAR',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  CHAR: 'VARCHAR',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP_TZ: 'TIMESTAMPTZ',
  TIMESTAMP_LTZ: 'TIMESTAMPTZ',
  VARIANT: 'JSON',
  OBJECT: 'JSON',
  ARRAY: 'JSON',
  BINARY: 'BLOB',
  VARBINARY: 'BLOB',
};

/** DuckDB's type (as DESCRIBE prints it) as Snowflake's DESCRIBE TABLE names it. */
export function snowflakeTypeOf(duckType: string): string {
  const t = duckType.toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `NUMBER(${decimal[1]},${decimal[2]})`;
  const map: Record<string, string> = {
    VARCHAR: 'VARCHAR(16777216)',
    BOOLEAN: 'BOOLEAN',
    DATE: 'DATE',
    TIME: 'TIME(9)',
    TIMESTAMP: 'TIMESTAMP_NTZ(9)',
    'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP_TZ(9)',
    JSON: 'VARIANT',
    BLOB: 'BINARY(8388608)',
    DOUBLE: 'FLOAT',
    BIGINT: 'NUMBER(38,0)',
    INTEGER: 'NUMBER(38,0)',
  };
  return map[t] ?? t;
}

function matchingParen(tokens: SfToken[], open: number): number {
  return sharedMatchingParen(
    tokens,
    open,
    () => new SnowflakeSqlError('001003', '42000', "SQL compilation error: syntax error: missing ')'"),
  );
}

/** The index of the next token that is not white space, or -1. */
function nextSolid(tokens: SfToken[], index: number): number {
  return sharedNextSolid(tokens, index)?.index ?? -1;
}

export const duckIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const duckString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Tokens as DuckDB SQL. `positional` renders `$n` (COPY transformations) through that function; `typesOnly`
 * marks a DDL context where a word that names a type is one.
 */
export function renderDuckdb(tokens: SfToken[], positional?: (index: number) => string): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as SfToken;
    switch (token.kind) {
      case 'space':
      case 'number':
      case 'punct':
        out += token.text;
        break;
      case 'stage':
        throw new SnowflakeSqlError(
          '001003',
          '42000',
          `SQL compilation error: the stand-in reads stages only in COPY INTO (${token.text})`,
        );
      case 'positional':
        if (!positional)
          throw new SnowflakeSqlError('001003', '42000', `SQL compilation error: $${token.index} outside a COPY transformation`);
        out += positional(token.index);
        break;
      case 'string':
        out += duckString(token.value);
        break;
      case 'ident':
        out += duckIdent(token.name);
        break;
      case 'word': {
        const upper = token.text.toUpperCase();
        const n = nextSolid(tokens, i);
        const call = n >= 0 && isPunct(tokens[n], '(');
        const previous = out.trimEnd().toUpperCase();
        if (call && (upper === 'PARSE_JSON' || upper === 'TO_VARIANT' || upper === 'TO_JSON')) {
          const close = matchingParen(tokens, n);
          const inner = renderDuckdb(tokens.slice(n + 1, close), positional);
          out +=
            upper === 'PARSE_JSON' ? `CAST(${inner} AS JSON)` : upper === 'TO_VARIANT' ? `to_json(${inner})` : `CAST(${inner} AS VARCHAR)`;
          i = close;
        } else if (upper === 'CURRENT_TIMESTAMP' && call && isPunct(tokens[nextSolid(tokens, n)], ')')) {
          out += 'CURRENT_TIMESTAMP';
          i = nextSolid(tokens, n);
        } else if ((upper === 'TEMPORARY' || upper === 'TRANSIENT' || upper === 'TEMP') && /(CREATE|REPLACE)$/.test(previous)) {
          out = out.trimEnd();
        } else if (
          TYPES[upper] &&
          !(call && !/^(NUMBER|DECIMAL|NUMERIC|VARCHAR|CHAR|TIME|TIMESTAMP_\w+|BINARY|VARBINARY|STRING|TEXT)$/.test(upper))
        ) {
          if (call && (upper === 'NUMBER' || upper === 'DECIMAL' || upper === 'NUMERIC')) {
            out += 'DECIMAL';
          } else {
            out += (TYPES[upper] as string) === 'DECIMAL' ? 'DECIMAL(38,0)' : TYPES[upper];
            if (call) i = matchingParen(tokens, n);
          }
        } else {
          out += token.text;
        }
        break;
      }
    }
  }
  return out;
}

/** CREATE TABLE's column list without table constraints (PRIMARY KEY, UNIQUE: declared only in Snowflake). */
export function withoutConstraints(tokens: SfToken[]): SfToken[] {
  const out = [...tokens];
  for (let i = 0; i < out.length; i++) {
    const t = out[i] as SfToken;
    if (t.kind !== 'word' || !['PRIMARY', 'UNIQUE', 'CONSTRAINT'].includes(t.text.toUpperCase())) continue;
    // Only a table constraint (after a comma at the top level of the column list).
    let back = i - 1;
    while (back >= 0 && (out[back] as SfToken).kind === 'space') back--;
    if (!isPunct(out[back], ',')) continue;
    let open = i;
    while (open < out.length && !isPunct(out[open], '(')) open++;
    const close = matchingParen(out, open);
    out.splice(back, close - back + 1);
    i = back - 1;
  }
  return out;
}

/** Splits a script into statements at top-level semicolons. */
export const splitSnowflake: (tokens: SfToken[]) => SfToken[][] = splitStatements;
