// The GoogleSQL the BigQuery stand-in accepts, translated to DuckDB only where the two differ: backtick names,
// GoogleSQL string literals (backslash escapes, either quote), type names, ARRAY<T>, a few functions, and the
// DDL clauses DuckDB has no use for (PRIMARY KEY … NOT ENFORCED, PARTITION BY, CLUSTER BY, OPTIONS). Everything
// else — MERGE, INSERT … SELECT, UPDATE, DELETE, window functions — is handed to DuckDB as it is, so a statement
// DuckDB cannot run fails here as well. Written from the GoogleSQL reference (lexical structure, data types, DDL,
// DML), never from a connector's output.
import { matchingParen as sharedMatchingParen, nextSolid as sharedNextSolid } from '../sql-tokens.js';

/** A column of a BigQuery table schema (TableFieldSchema). */
export interface BigQueryField {
  name: string;
  /** GoogleSQL type name: INT64, FLOAT64, NUMERIC, BIGNUMERIC, BOOL, STRING, BYTES, DATE, TIME, DATETIME, TIMESTAMP, JSON. */
  type: string;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
}

/** Legacy and standard names of the REST API's `type`, as GoogleSQL names. */
const TYPE_NAMES: Record<string, string> = {
  INTEGER: 'INT64',
  INT64: 'INT64',
  FLOAT: 'FLOAT64',
  FLOAT64: 'FLOAT64',
  BOOLEAN: 'BOOL',
  BOOL: 'BOOL',
  NUMERIC: 'NUMERIC',
  BIGNUMERIC: 'BIGNUMERIC',
  DECIMAL: 'NUMERIC',
  BIGDECIMAL: 'BIGNUMERIC',
  STRING: 'STRING',
  BYTES: 'BYTES',
  DATE: 'DATE',
  TIME: 'TIME',
  DATETIME: 'DATETIME',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
};

/** A REST type name (`INTEGER`, `FLOAT`, `BOOLEAN` …) as its GoogleSQL name; undefined for types the stand-in lacks. */
export function googleSqlType(name: string): string | undefined {
  return TYPE_NAMES[name.toUpperCase().replace(/\(.*\)$/, '')];
}

/**
 * How the stand-in stores each type in DuckDB. BIGNUMERIC (76 digits) is wider than DuckDB's DECIMAL(38), so it is
 * kept as its text: exact for loading and copying, but not for arithmetic or comparison as numbers.
 */
const DUCKDB_TYPES: Record<string, string> = {
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  BIGNUMERIC: 'VARCHAR',
  BOOL: 'BOOLEAN',
  STRING: 'VARCHAR',
  BYTES: 'BLOB',
  DATE: 'DATE',
  TIME: 'TIME',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
};

/** The DuckDB type a field is stored as. */
export function duckdbType(field: Pick<BigQueryField, 'type' | 'mode'>): string {
  const base = DUCKDB_TYPES[googleSqlType(field.type) ?? ''] ?? 'VARCHAR';
  return field.mode === 'REPEATED' ? `${base}[]` : base;
}

/** A GoogleSQL error as BigQuery reports it: the reason (`invalidQuery`, `notFound`, `invalid`) and a message. */
export class GoogleSqlError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'ident'; parts: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'space'; text: string };

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
  '?': '?',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** GoogleSQL's lexical structure: quoted names (backticks, a dotted path allowed inside), string literals with escapes, comments. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const quoted = (quote: string, raw: boolean): string => {
    let out = '';
    const triple = sql.startsWith(quote.repeat(3), i);
    const end = triple ? quote.repeat(3) : quote;
    i += end.length;
    while (i < sql.length && !sql.startsWith(end, i)) {
      const c = sql[i] as string;
      if (c === '\\' && !raw) {
        const next = sql[i + 1] ?? '';
        if (next === 'x') {
          out += String.fromCharCode(Number.parseInt(sql.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (next === 'u') {
          out += String.fromCodePoint(Number.parseInt(sql.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          const value = ESCAPES[next];
          if (value === undefined) throw new GoogleSqlError('invalidQuery', `Illegal escape sequence: \\${next}`);
          out += value;
          i += 2;
        }
        continue;
      }
      if (!triple && (c === '\n' || c === '\r')) throw new GoogleSqlError('invalidQuery', 'Unclosed string literal');
      out += c;
      i++;
    }
    if (i >= sql.length)
      throw new GoogleSqlError('invalidQuery', quote === '`' ? 'Unclosed identifier literal' : 'Unclosed string literal');
    i += end.length;
    return out;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      const start = i;
      while (i < sql.length && /\s/.test(sql[i] as string)) i++;
      tokens.push({ kind: 'space', text: sql.slice(start, i) });
    } else if (sql.startsWith('--', i) || c === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (c === '`') {
      tokens.push({ kind: 'ident', parts: quoted('`', false).split('.') });
    } else if ((c === 'r' || c === 'R') && (sql[i + 1] === "'" || sql[i + 1] === '"')) {
      i++;
      tokens.push({ kind: 'string', value: quoted(sql[i] as string, true) });
    } else if (c === "'" || c === '"') {
      tokens.push({ kind: 'string', value: quoted(c, false) });
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i] as string)) i++;
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

export { splitStatements } from '../sql-tokens.js';

const duckIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const duckString = (value: string) => {
  if (value.includes('\0')) throw new GoogleSqlError('invalidQuery', 'the stand-in cannot hold NUL in a literal');
  return `'${value.replace(/'/g, "''")}'`;
};

/** A path of a quoted name: `project.dataset.table` (the project dropped: one project per stand-in), `dataset.table`, `column`. */
function identText(parts: string[]): string {
  const path = parts.length === 3 ? parts.slice(1) : parts;
  return path.map(duckIdent).join('.');
}

/** Token text for DuckDB: names, literals and types translated, everything else as written. */
export function renderDuckdb(tokens: Token[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    switch (token.kind) {
      case 'space':
      case 'number':
      case 'punct':
        out += token.text;
        break;
      case 'string':
        out += duckString(token.value);
        break;
      case 'ident':
        out += identText(token.parts);
        break;
      case 'word': {
        const upper = token.text.toUpperCase();
        const next = nextSolid(tokens, i);
        if (upper === 'ARRAY' && next && next.token.kind === 'punct' && next.token.text === '<') {
          const close = matchingAngle(tokens, next.index);
          out += `${renderDuckdb(tokens.slice(next.index + 1, close)).trim()}[]`;
          i = close;
        } else if (upper === 'CURRENT_TIMESTAMP' && next?.token.kind === 'punct' && next.token.text === '(') {
          const after = nextSolid(tokens, next.index);
          out += 'CURRENT_TIMESTAMP';
          if (after?.token.kind === 'punct' && after.token.text === ')') i = after.index;
        } else if (upper === 'TO_JSON_STRING' && next?.token.kind === 'punct' && next.token.text === '(') {
          const close = matchingParen(tokens, next.index);
          out += `CAST(to_json(${renderDuckdb(tokens.slice(next.index + 1, close))}) AS VARCHAR)`;
          i = close;
        } else if (
          DUCKDB_TYPES[upper] &&
          !(next?.token.kind === 'punct' && next.token.text === '(' && upper !== 'NUMERIC' && upper !== 'BIGNUMERIC')
        ) {
          out += DUCKDB_TYPES[upper];
          // NUMERIC(p, s) / BIGNUMERIC(p, s): the stand-in keeps one width per type.
          if (next?.token.kind === 'punct' && next.token.text === '(') i = matchingParen(tokens, next.index);
        } else {
          out += token.text;
        }
        break;
      }
    }
  }
  return out;
}

export function nextSolid(tokens: Token[], index: number): { token: Token; index: number } | undefined {
  return sharedNextSolid(tokens, index);
}

function matchingAngle(tokens: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (t.kind === 'punct' && t.text === '<') depth++;
    if (t.kind === 'punct' && t.text === '>' && --depth === 0) return j;
  }
  throw new GoogleSqlError('invalidQuery', 'Syntax error: unclosed ARRAY<');
}

export function matchingParen(tokens: Token[], open: number): number {
  return sharedMatchingParen(tokens, open, () => new GoogleSqlError('invalidQuery', 'Syntax error: unclosed ('));
}

/** The words of a statement in upper case, names and literals as placeholders: for recognising its form. */
export function shape(tokens: Token[]): string[] {
  return tokens
    .filter((t) => t.kind !== 'space')
    .map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.kind === 'ident' ? '<ident>' : t.kind === 'punct' ? t.text : '<lit>'));
}

export type { Token };

/** The table a name token points at: `{dataset, table}` from `dataset.table` or `project.dataset.table` (quoted or bare). */
export function tableName(tokens: Token[], start: number): { dataset: string; table: string; end: number } {
  const parts: string[] = [];
  let j = start;
  for (; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (t.kind === 'space') {
      if (parts.length > 0 && !(tokens[j + 1]?.kind === 'punct' && (tokens[j + 1] as { text: string }).text === '.')) break;
      continue;
    }
    if (t.kind === 'ident') parts.push(...t.parts);
    else if (t.kind === 'word') parts.push(t.text);
    else if (t.kind === 'punct' && t.text === '.') continue;
    else break;
    const after = tokens[j + 1];
    if (!(after?.kind === 'punct' && after.text === '.')) {
      j++;
      break;
    }
  }
  const path = parts.length === 3 ? parts.slice(1) : parts;
  if (path.length !== 2)
    throw new GoogleSqlError(
      'invalidQuery',
      `Table name "${parts.join('.')}" missing dataset while no default dataset is set in the request.`,
    );
  return { dataset: path[0] as string, table: path[1] as string, end: j };
}
