import { schemaTypes, type JsonSchema } from '@mage-int/core';

/*
 * The CSV conversions in SQL: RecordShaper's rules (coerce.ts) for DuckDB, used where DuckDB reads a CSV's text
 * itself (the source's Parquet BATCH files, batch-file.ts; a destination's `csv-view` INSERT, csv-view.ts).
 */

// Equalities, not IN lists: DuckDB plans an IN list of constants as a join over every row.
const oneOf = (value: string, words: readonly string[]) => `(${words.map((w) => `${value} = '${w}'`).join(' OR ')})`;
const TRUE_WORDS = ['true', 't', 'yes', 'y', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0'];

/** SQL of one converted field: its value, and the helper columns it reads (computed once per row, in an inner SELECT). */
export interface Conversion {
  /** Helpers over the file's columns (the text cast as it is). */
  helpers: string[];
  value: string;
}

/**
 * SQL turning CSV text column `c` into the record value RecordShaper makes of it (coerce.ts); undefined when the field
 * keeps its text, null when only the record path can convert it (JSON). A text RecordShaper refuses makes DuckDB stop
 * (`error()`), and so do integers past int64 and numbers whose value a double does not hold (more than 15 significant
 * digits and not the double's own shortest form): the record path then reads the file, and names the line.
 */
export function convertedText(c: string, schema: JsonSchema): Conversion | undefined | null {
  const kind = textKind(schema);
  return kind === null ? null : kind === undefined ? undefined : kindConversion(c, kind);
}

/**
 * The kind of value RecordShaper makes of a CSV text for a field of `schema` (coerce.ts: converterFor): undefined
 * when it keeps the text, null when only the record path converts it (parsed JSON: objects, arrays).
 */
export function textKind(schema: JsonSchema): TextKind | undefined | null {
  const types = schemaTypes(schema).filter((t) => t !== 'null');
  if (types.length === 0 || types.includes('string')) return undefined;
  if (types.includes('integer') && !types.includes('number')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  // Objects and arrays (parsed JSON): the record path only.
  return null;
}

/** RecordShaper's NUMBER (coerce.ts), for a trimmed text: DuckDB's cast also reads `+ 5`, `1_0`, `inf`. */
const NUMBER = '[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?';

/** The conversions of CSV text done in SQL. */
export type TextKind = 'integer' | 'number' | 'boolean';

/** SQL turning CSV text column `c` into the record value RecordShaper makes of it for a field of `kind` (see convertedText). */
export function kindConversion(c: string, kind: TextKind): Conversion {
  // The text as RecordShaper reads it (trimmed, without one leading `+`): computed only for rows the fast tests below
  // do not settle, as are the slow tests (the original rules). DuckDB's trim takes spaces only: a text with other
  // whitespace around it is refused here and left to the record path.
  const t = `regexp_replace(trim(${c}), '^\\+', '')`;
  // DuckDB's casts accept more than RecordShaper (`1.5`, `1e3`, `0x10`, `1_000` as integers; `inf`, `nan`, `1_000` as
  // doubles): integers must print back as their text, doubles be finite and without `_`.
  if (kind === 'integer') {
    const b = `${c}_i`;
    const slow = `CASE WHEN CAST(TRY_CAST(${t} AS BIGINT) AS VARCHAR) = ${t} THEN TRY_CAST(${t} AS BIGINT) ELSE error('not an integer') END`;
    // Fast: the text is an integer's own print (nothing to trim), so it is the trimmed text too.
    return {
      helpers: [`TRY_CAST(${c} AS BIGINT) AS ${b}`],
      value: `CASE WHEN ${c} IS NULL THEN NULL WHEN CAST(${b} AS VARCHAR) = ${c} THEN ${b} ELSE ${slow} END`,
    };
  }
  if (kind === 'number') {
    const d = `${c}_d`;
    const slowD = `TRY_CAST(${t} AS DOUBLE)`;
    const mantissa = `regexp_replace(regexp_replace(regexp_replace(${t}, '^-', ''), '[eE].*$', ''), '\\.', '')`;
    const significant = `greatest(length(rtrim(ltrim(${mantissa}, '0'), '0')), 1)`;
    const zero = `(${slowD} <> 0 OR NOT regexp_matches(regexp_replace(${t}, '[eE].*$', ''), '[1-9]'))`;
    // Fast: the text starts with `-`, `.` or a digit (no `+` nor space to trim before it) and passes the slow tests'
    // first two rules. Whitespace after it, which DuckDB's cast skips as RecordShaper trims it, only makes the text
    // longer than the trimmed one (the length rule stays on the safe side) or unlike the double's print (the slow
    // tests decide). Checking the last character too (`right`, by code points) cost as much as the rest of the test
    // (0.04 s of 0.07 s per 1M values, 2 threads). Nested CASEs: the cheap tests decide most values, the digit count
    // runs only for the rest.
    const plain = `ascii(${c}) BETWEEN 45 AND 57`;
    return {
      helpers: [`TRY_CAST(${c} AS DOUBLE) AS ${d}`],
      value: `CASE WHEN ${c} IS NULL THEN NULL
        WHEN ${plain} AND isfinite(${d}) AND NOT contains(${c}, '_') AND ((strlen(${c}) <= 15 AND ${d} <> 0) OR CAST(${d} AS VARCHAR) = ${c}) THEN ${d}
        WHEN ${slowD} IS NULL OR NOT isfinite(${slowD}) OR NOT regexp_full_match(${t}, '${NUMBER}') THEN error('not a number')
        WHEN (length(${t}) <= 15 AND ${slowD} <> 0) OR CAST(${slowD} AS VARCHAR) = ${t} THEN ${slowD}
        WHEN ${zero} AND ${significant} <= 15 THEN ${slowD} ELSE error('not a double') END`,
    };
  }
  const lower = `lower(trim(${c}))`;
  return {
    helpers: [],
    value: `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} = 'true' THEN true WHEN ${c} = 'false' THEN false
        WHEN ${oneOf(lower, TRUE_WORDS)} THEN true WHEN ${oneOf(lower, FALSE_WORDS)} THEN false ELSE error('not a boolean') END`,
  };
}
