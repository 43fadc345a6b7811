import { stringifyRecordValue } from '@mage-int/core';
import { unescapeCopyText, type RowColumn } from './copy-text-decoder.js';
import {
  parseBool,
  parseDate,
  parseFloat8,
  parseInt4,
  parseInt8,
  parseJson,
  parseNumeric,
  parseText,
  parseTimestamptz,
  type TextParser,
} from './text-values.js';

/**
 * Writes the COPY text rows of `text` as JSON records, each between `prefix` and `suffix`: exactly what
 * `stringifyRecord` writes for the records compileRowsDecoder decodes from them.
 */
export type RowsJsonTranscoder = (text: string, prefix: string, suffix: string) => string;

/** A value's exact JSON, as stringifyRecord writes it (parsers never give undefined: `null` just in case). */
export const valueJson = (value: unknown): string => stringifyRecordValue(value) ?? 'null';

/** `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (TimeZone=UTC) → its JSON string, as parseTimestamptz gives it; else the parser. */
export function timestamptzJson(t: string, i: number, j: number): string {
  if (
    j - i >= 22 &&
    t.charCodeAt(i + 10) === 32 &&
    t.charCodeAt(i + 4) === 45 &&
    t.charCodeAt(j - 3) === 43 &&
    t.charCodeAt(j - 2) === 48 &&
    t.charCodeAt(j - 1) === 48
  )
    return `"${t.slice(i, i + 10)}T${t.slice(i + 11, j - 3)}+00:00"`;
  return valueJson(parseTimestamptz(t.slice(i, j)));
}

/** numeric: its digits as they are (a Decimal's text); NaN and ±Infinity are numbers JSON writes as null. */
function numericJson(t: string, i: number, j: number): string {
  const c = t.charCodeAt(i);
  return c === 78 /* N */ || c === 73 /* I */ || (c === 45 && t.charCodeAt(i + 1) === 73) ? 'null' : t.slice(i, j);
}

/** date: quoted as it is, unless BC (parseDate rewrites the year). */
export function dateJson(t: string, i: number, j: number): string {
  return t.charCodeAt(j - 1) === 67 /* C */ ? valueJson(parseDate(t.slice(i, j))) : `"${t.slice(i, j)}"`;
}

/**
 * float4/float8: text of at most 15 characters in plain notation holds at most 15 significant digits, which every
 * double prints back as the same digits (DBL_DIG): such text is the number's JSON as it is (PostgreSQL prints no
 * trailing zeros). Longer text, an exponent, `-0`, NaN and ±Infinity go through the number.
 */
export function float8Json(t: string, i: number, j: number): string {
  if (j - i <= 15) {
    let plain = true;
    for (let k = i; k < j; k++) if (t.charCodeAt(k) > 57 /* e, E, N, I */) plain = false;
    if (plain && !(j - i === 2 && t.charCodeAt(i) === 45 && t.charCodeAt(i + 1) === 48)) return t.slice(i, j);
  }
  const n = Number(t.slice(i, j));
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * The JSON of a field without backslashes (not NULL, nothing escaped), by parser, for the parsers whose JSON can be
 * written from the text; the others parse the field and write the value.
 */
const FIELD_JSON = new Map<TextParser, string>([
  [parseText, 'JSON.stringify(t.slice(i, j))'],
  [parseInt4, 't.slice(i, j)'],
  [parseInt8, 't.slice(i, j)'],
  [parseBool, "(j - i === 1 && t.charCodeAt(i) === 116 ? 'true' : 'false')"],
  [parseJson, 't.slice(i, j)'],
  [parseNumeric, 'numeric(t, i, j)'],
  [parseTimestamptz, 'timestamptz(t, i, j)'],
  [parseDate, 'date(t, i, j)'],
  [parseFloat8, 'float8(t, i, j)'],
]);

function malformedRow(columns: number): never {
  throw new Error(`a COPY row has fewer fields than the ${columns} columns read`);
}

/** A field holding a backslash: NULL, or its unescaped text parsed and written as the decoder's value would be. */
export function escapedJson(t: string, i: number, j: number, parse: TextParser): string {
  if (j - i === 2 && t.charCodeAt(i) === 92 && t.charCodeAt(i + 1) === 78) return 'null';
  return valueJson(parse(unescapeCopyText(t, i, j)));
}

/**
 * Compiles a transcoder for a column list: one generated loop that cuts each row's fields by offset (as the decoder
 * does) and concatenates the record's JSON from them, with no record object and, for the common types, no value.
 */
export function compileRowsJsonTranscoder(columns: readonly RowColumn[]): RowsJsonTranscoder {
  const n = columns.length;
  const fields: string[] = [];
  for (let c = 0; c < n; c++) {
    const key = JSON.stringify(`${c === 0 ? '' : ','}${JSON.stringify(columns[c]!.name)}:`);
    const end = c < n - 1 ? `j = t.indexOf('\\t', i); if (j < 0 || j > nl) bad(${n});` : 'j = nl;';
    const direct = FIELD_JSON.get(columns[c]!.parse) ?? `v(p[${c}](t.slice(i, j)))`;
    fields.push(
      `${end} s += ${key} + (bs < j ? ((x = e(t, i, j, p[${c}])), (bs = t.indexOf('\\\\', j)), bs < 0 && (bs = none), x) : ${direct}); i = j + 1;`,
    );
  }
  const source = `
return function transcodeRows(t, prefix, suffix) {
  const none = t.length;
  let bs = t.indexOf('\\\\');
  if (bs < 0) bs = none;
  let out = '';
  let x = '';
  for (let pos = 0; pos < t.length; ) {
    const nl = t.indexOf('\\n', pos);
    let i = pos, j = 0;
    let s = prefix + '{';
    ${fields.join('\n    ')}
    out += s + '}' + suffix;
    pos = nl + 1;
  }
  return out;
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are JSON-quoted column names, nothing else is spliced in
  return new Function('p', 'e', 'v', 'bad', 'numeric', 'timestamptz', 'date', 'float8', source)(
    columns.map((c) => c.parse),
    escapedJson,
    valueJson,
    malformedRow,
    numericJson,
    timestamptzJson,
    dateJson,
    float8Json,
  ) as RowsJsonTranscoder;
}
