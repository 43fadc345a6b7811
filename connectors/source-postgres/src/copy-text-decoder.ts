import type { RecordData } from '@mage-int/core';
import { parseBool, parseInt4, parseInt8, parseTimestamptz, type TextParser } from './text-values.js';

/** A column of a COPY result: its record field and how its text is parsed. */
export interface RowColumn {
  name: string;
  parse: TextParser;
}

/** Parses the field `text[start, end)` without cutting it out first (the same value its TextParser gives). */
type RangeParser = (text: string, start: number, end: number) => unknown;

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isOctal(c: number): boolean {
  return c >= 48 && c <= 55;
}

/**
 * Undoes COPY text escaping (`\\`, `\n`, `\t`, octal `\123`, hex `\x4a`) of `text[start, end)`. One pass
 * with indexOf: PostgreSQL only writes `\\`, `\b`, `\f`, `\n`, `\r`, `\t` and `\v`, so most fields hold a
 * few escapes between long plain runs.
 */
export function unescapeCopyText(text: string, start = 0, end = text.length): string {
  let out = '';
  let from = start;
  let at = text.indexOf('\\', start);
  while (at >= 0 && at < end - 1) {
    const c = text.charCodeAt(at + 1);
    // A backslash before a line terminator is kept as it is (COPY never writes one).
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      at = text.indexOf('\\', at + 1);
      continue;
    }
    out += text.slice(from, at);
    let next = at + 2;
    if (c === 92) out += '\\';
    else if (c === 120 /* x */ && next < end && isHex(text.charCodeAt(next))) {
      next += next + 1 < end && isHex(text.charCodeAt(next + 1)) ? 2 : 1;
      out += String.fromCharCode(parseInt(text.slice(at + 2, next), 16));
    } else if (isOctal(c)) {
      while (next < end && next < at + 4 && isOctal(text.charCodeAt(next))) next++;
      out += String.fromCharCode(parseInt(text.slice(at + 1, next), 8));
    } else {
      const ch = text[at + 1]!;
      out += ESCAPES[ch] ?? ch;
    }
    from = next;
    at = text.indexOf('\\', next);
  }
  return from === start ? text.slice(start, end) : out + text.slice(from, end);
}

/** Decodes the field `text[start, end)` that holds a backslash: NULL (`\N`) or escaped text. */
function escapedField(text: string, start: number, end: number, parse: TextParser): unknown {
  if (end - start === 2 && text.charCodeAt(start) === 92 && text.charCodeAt(start + 1) === 78) return null;
  return parse(unescapeCopyText(text, start, end));
}

/**
 * An integer written in decimal digits, read from the character codes (no substring, no string-to-number
 * conversion). Anything else, or more than 15 digits, goes to `fallback` with the field's text.
 */
function integerAt(text: string, start: number, end: number, fallback: TextParser): unknown {
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  if (i === end || end - i > 15) return fallback(text.slice(start, end));
  let n = 0;
  for (; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return fallback(text.slice(start, end));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/** timestamptz at TimeZone=UTC: the common `YYYY-MM-DD HH:MM:SS[.ffffff]+00` without cutting the field out first. */
function timestamptzAt(text: string, start: number, end: number): unknown {
  if (
    end - start >= 22 &&
    text.charCodeAt(start + 10) === 32 &&
    text.charCodeAt(start + 4) === 45 &&
    text.charCodeAt(end - 3) === 43 &&
    text.charCodeAt(end - 2) === 48 &&
    text.charCodeAt(end - 1) === 48
  ) {
    return `${text.slice(start, start + 10)}T${text.slice(start + 11, end - 3)}+00:00`;
  }
  return parseTimestamptz(text.slice(start, end));
}

/** Field parsers that read straight from the line, for the TextParsers they stand in for. */
const RANGE_PARSERS = new Map<TextParser, RangeParser>([
  [parseBool, (text, start, end) => end - start === 1 && text.charCodeAt(start) === 116],
  [parseInt4, (text, start, end) => integerAt(text, start, end, parseInt4)],
  [parseInt8, (text, start, end) => integerAt(text, start, end, parseInt8)],
  [parseTimestamptz, timestamptzAt],
]);

/**
 * Decodes the COPY text rows (each ending in `\n`, the last one too) of `text` that start in `[start, end)`
 * into `out`, until `out` holds `max` records. A row starting before `end` is decoded whole. Returns the
 * offset reached: the start of the first row not decoded.
 */
export type RowsDecoder = (text: string, start: number, end: number, out: RecordData[], max: number) => number;

function malformedRow(columns: number): never {
  throw new Error(`a COPY row has fewer fields than the ${columns} columns read`);
}

/**
 * Compiles a decoder for a column list. Every record is built by one object literal, so all share one shape,
 * and fields are cut out of the decoded chunk by offset: no per-line substring, no split array. A row without
 * a backslash (no NULL, no escape) takes the direct path; in the others only the fields holding one are
 * unescaped. The next backslash position is carried from row to row, so the text is scanned for it once.
 */
export function compileRowsDecoder(columns: readonly RowColumn[]): RowsDecoder {
  const n = columns.length;
  const direct = (i: number, end: string): string => {
    const range = RANGE_PARSERS.has(columns[i]!.parse);
    return range ? `r${i}(t, i, ${end})` : `p${i}(t.slice(i, ${end}))`;
  };
  const fieldEnd = (i: number): string => (i < n - 1 ? `j = t.indexOf('\\t', i); if (j < 0 || j > nl) bad(${n});` : 'j = nl;');
  const fast: string[] = [];
  const slow: string[] = [];
  for (let i = 0; i < n; i++) {
    fast.push(`${fieldEnd(i)} v${i} = ${direct(i, 'j')}; i = j + 1;`);
    slow.push(
      `${fieldEnd(i)} if (bs < j) { v${i} = e(t, i, j, p${i}); bs = t.indexOf('\\\\', j); if (bs < 0) bs = none; } else v${i} = ${direct(i, 'j')}; i = j + 1;`,
    );
  }
  const hoist = columns.map((_c, i) => `const p${i} = p[${i}]; const r${i} = r[${i}];`).join('\n');
  const vars = n > 0 ? `let ${columns.map((_c, i) => `v${i}`).join(', ')};` : '';
  const literal = columns.map((c, i) => `${JSON.stringify(c.name)}: v${i}`).join(', ');
  const source = `${hoist}
return function decodeRows(t, pos, end, out, max) {
  const none = t.length;
  let bs = t.indexOf('\\\\', pos);
  if (bs < 0) bs = none;
  while (pos < end && out.length < max) {
    const nl = t.indexOf('\\n', pos);
    let i = pos, j = 0;
    ${vars}
    if (bs > nl) { ${fast.join('\n')} }
    else { ${slow.join('\n')} }
    out.push({ ${literal} });
    pos = nl + 1;
  }
  return pos;
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are JSON-quoted column names, nothing else is spliced in
  return new Function('p', 'r', 'e', 'bad', source)(
    columns.map((c) => c.parse),
    columns.map((c) => RANGE_PARSERS.get(c.parse)),
    escapedField,
    malformedRow,
  ) as RowsDecoder;
}

/** Builds a record from one COPY text line, field by field: the plain reference for compileRowsDecoder. */
export function decodeCopyLine(line: string, columns: readonly RowColumn[]): RecordData {
  const fields = line.split('\t');
  const record: RecordData = {};
  for (let i = 0; i < columns.length; i++) {
    const text = fields[i]!;
    record[columns[i]!.name] = text === '\\N' ? null : columns[i]!.parse(text.includes('\\') ? unescapeCopyText(text) : text);
  }
  return record;
}
