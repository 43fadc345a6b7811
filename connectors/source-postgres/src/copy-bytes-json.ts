import { isUtf8 } from 'node:buffer';
import type { RowColumn } from './copy-text-decoder.js';
import { dateJson, escapedJson, float8Json, timestamptzJson, valueJson } from './copy-text-json.js';
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
} from './text-values.js';

/**
 * Writes the COPY text rows of `data` (valid UTF-8, whole rows) as JSON records, each between `prefix` and
 * `suffix`, into one buffer: byte for byte the UTF-8 of what the string transcoder (copy-text-json.ts) writes.
 */
export type RowsJsonBytesTranscoder = (data: Buffer, prefix: Buffer, suffix: Buffer) => Buffer;

/** True when `data` can go through the byte transcoder: valid UTF-8 (a SQL_ASCII database may send any bytes). */
export const bytesTranscodable = (data: Buffer): boolean => isUtf8(data);

/** Most bytes a fast path writes beyond the field's own bytes (bool `f` → `false`, a timestamp's quotes and `+00:00`). */
const FIELD_EXTRA = 8;

/** `out` with room for `need` more bytes after `used`. */
function grow(out: Buffer, used: number, need: number): Buffer {
  overrun(out, used);
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, used + need));
  out.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * Writes past a typed array's end are dropped without an error: the offset ran past the buffer only if a room check
 * above is wrong, and the JSON would then be silently cut. Checked at each growth and at the end.
 */
function overrun(out: Buffer, used: number): void {
  if (used > out.length) throw new Error(`COPY text → JSON bytes: wrote ${used} bytes into a buffer of ${out.length} (a bug)`);
}

function malformedRow(columns: number): never {
  throw new Error(`a COPY row has fewer fields than the ${columns} columns read`);
}

/** Copies `from` (a constant: a key, the prefix) into `out` at `o`; returns the new offset. */
const bytesCopy = (from: Uint8Array, out: Uint8Array, o: number): number => {
  for (let q = 0; q < from.length; q++) out[o++] = from[q] as number;
  return o;
};

/**
 * The bytes of a field [i, j) without backslashes written straight as JSON, by parser (after ONE_PASS's types); `F` marks where the code
 * gives up on the bytes (a character JSON escapes, a BC date, a long float) and writes the string path's JSON.
 */
const FIELD_BYTES = new Map<(text: string) => unknown, string>([
  [
    parseBool,
    'if (j - i === 1 && d[i] === 116) { out[o++] = 116; out[o++] = 114; out[o++] = 117; out[o++] = 101; } else { out[o++] = 102; out[o++] = 97; out[o++] = 108; out[o++] = 115; out[o++] = 101; }',
  ],
  [
    parseTimestamptz,
    'if (j - i >= 22 && d[i + 10] === 32 && d[i + 4] === 45 && d[j - 3] === 43 && d[j - 2] === 48 && d[j - 1] === 48) { out[o++] = 34; for (k = i; k < i + 10; k++) out[o++] = d[k]; out[o++] = 84; for (k = i + 11; k < j - 3; k++) out[o++] = d[k]; out[o++] = 43; out[o++] = 48; out[o++] = 48; out[o++] = 58; out[o++] = 48; out[o++] = 48; out[o++] = 34; } else { x = d.utf8Slice(i, j); A(timestamptz(x, 0, x.length)); }',
  ],
  [
    parseDate,
    'if (d[j - 1] === 67) { x = d.utf8Slice(i, j); A(date(x, 0, x.length)); } else { out[o++] = 34; for (k = i; k < j; k++) out[o++] = d[k]; out[o++] = 34; }',
  ],
  [
    parseFloat8,
    'for (k = i; k < j && k - i < 15; k++) if (d[k] > 57) break; if (k === j && !(j - i === 2 && d[i] === 45 && d[i + 1] === 48)) for (k = i; k < j; k++) out[o++] = d[k]; else { x = d.utf8Slice(i, j); A(float8(x, 0, x.length)); }',
  ],
]);

/**
 * Types whose field is found and written in one pass over its bytes (`STOP` ends it at a tab, but for the last
 * column): `s` marks what the bytes cannot take (an escape other than these, a raw control byte in text, a `\\N`
 * NULL), and the field is then written again from its string as the string transcoder writes it.
 */
const ONE_PASS = new Map<(text: string) => unknown, string>([
  [
    parseText,
    `out[o++] = 34;
    for (j = i; j < nl; j++) {
      b = d[j];
      STOP
      if (b === 92) {
        b = d[j + 1];
        if (j + 1 < nl && (b === 92 || b === 110 || b === 116 || b === 114 || b === 98 || b === 102)) { out[o++] = 92; out[o++] = b; j++; }
        else s = true;
      } else if (b === 34) { out[o++] = 92; out[o++] = 34; }
      else if (b < 32) s = true;
      else out[o++] = b;
    }
    END
    if (s) { o = o0; F(e(d.utf8Slice(i, j), 0, j - i, P)); } else out[o++] = 34;`,
  ],
  [
    parseJson,
    `for (j = i; j < nl; j++) {
      b = d[j];
      STOP
      if (b === 92) {
        b = d[j + 1];
        if (j + 1 >= nl) s = true;
        else if (b === 92) { out[o++] = 92; j++; }
        else if (b === 110) { out[o++] = 10; j++; }
        else if (b === 116) { out[o++] = 9; j++; }
        else if (b === 114) { out[o++] = 13; j++; }
        else s = true;
      } else out[o++] = b;
    }
    END
    if (s) { o = o0; F(e(d.utf8Slice(i, j), 0, j - i, P)); }`,
  ],
  ...[parseInt4, parseInt8].map(
    (parse) =>
      [
        parse,
        `for (j = i; j < nl; j++) { b = d[j]; STOP if (b === 92) s = true; out[o++] = b; }
    END
    if (s) { o = o0; F(e(d.utf8Slice(i, j), 0, j - i, P)); }`,
      ] as const,
  ),
  [
    parseNumeric,
    `for (j = i; j < nl; j++) { b = d[j]; STOP if (b === 92) s = true; out[o++] = b; }
    END
    if (s) { o = o0; F(e(d.utf8Slice(i, j), 0, j - i, P)); }
    else if ((b = d[i]) === 78 || b === 73 || (b === 45 && d[i + 1] === 73)) { o = o0; out[o++] = 110; out[o++] = 117; out[o++] = 108; out[o++] = 108; }`,
  ],
]);

/**
 * Compiles the byte transcoder of a column list: one generated loop that finds each row's fields by their tab
 * bytes and copies them into the JSON, quoting and rewriting the common types on the bytes (no string decoded,
 * none encoded again); a field holding a backslash or a character JSON escapes, and the other types, are decoded
 * alone and written as the string transcoder writes them.
 */
export function compileRowsJsonBytesTranscoder(columns: readonly RowColumn[]): RowsJsonBytesTranscoder {
  const n = columns.length;
  const keys = columns.map((c, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`));
  const fixed = keys.reduce((sum, k) => sum + k.length, 0) + n * FIELD_EXTRA + 1;
  // A string written in place of the bytes: room for it and the rest of the row, then its UTF-8.
  const fallback = (expression: string) =>
    `{ x = ${expression}; m = Buffer.byteLength(x); if (o + m + 2 * (nl - j) + FIXED + sl > out.length) out = grow(out, o, m + 2 * (nl - j) + FIXED + sl); o += out.utf8Write(x, o); }`;
  // The same for a string that is mostly ASCII (a number, a date): written by a loop, not two native calls.
  const asciiFallback = (expression: string) =>
    `{ x = ${expression}; if (o + 3 * x.length + 2 * (nl - j) + FIXED + sl > out.length) out = grow(out, o, 3 * x.length + 2 * (nl - j) + FIXED + sl); for (k = 0; k < x.length; k++) { m = x.charCodeAt(k); if (m > 127) break; out[o++] = m; } if (k < x.length) { o -= k; o += out.utf8Write(x, o); } }`;
  const fields: string[] = [];
  for (let c = 0; c < n; c++) {
    const end =
      c < n - 1
        ? `for (j = i; j < nl && (b = d[j]) !== 9; j++) if (b === 92) s = true; if (j >= nl) bad(${n});`
        : 'for (j = i; j < nl; j++) if (d[j] === 92) s = true;';
    const parse = columns[c]!.parse;
    const onePass = ONE_PASS.get(parse);
    if (onePass) {
      const code = onePass
        .replace('STOP', c < n - 1 ? 'if (b === 9) break;' : '')
        .replace('END', c < n - 1 ? `if (j >= nl) bad(${n});` : '')
        .replaceAll('P)', `p[${c}])`)
        .replaceAll(/F\(([^;]*)\);/g, (_m, e: string) => fallback(e));
      fields.push(`s = false; o = bytesCopy(K[${c}], out, o); o0 = o; ${code} i = j + 1;`);
      continue;
    }
    const direct = (FIELD_BYTES.get(parse) ?? `F(v(p[${c}](d.utf8Slice(i, j))));`)
      .replaceAll(/F\(([^;]*)\);/g, (_m, e: string) => fallback(e))
      .replaceAll(/A\(([^;]*)\);/g, (_m, e: string) => asciiFallback(e));
    fields.push(
      `s = false; ${end} o = bytesCopy(K[${c}], out, o); o0 = o; if (s) ${fallback(`e(d.utf8Slice(i, j), 0, j - i, p[${c}])`)} else { ${direct} } i = j + 1;`,
    );
  }
  // The buffer is sized from the JSON-to-COPY ratio of the batches before (keys and prefixes make the JSON ~1.4x
  // the text for rows of a few hundred bytes), so that it rarely has to grow and be copied; 1.3x at first.
  const source = `
let ratio = 1.3;
return function transcodeRowsBytes(d, prefix, suffix) {
  const sl = suffix.length + prefix.length;
  let out = Buffer.allocUnsafe(Math.ceil(d.length * ratio) + 65536);
  let o = 0, o0 = 0, i = 0, j = 0, k = 0, b = 0, m = 0, s = false, x = '';
  for (let pos = 0; pos < d.length; ) {
    let nl = d.indexOf(10, pos);
    if (nl < 0) nl = d.length;
    if (o + 2 * (nl - pos) + FIXED + sl > out.length) out = grow(out, o, 2 * (nl - pos) + FIXED + sl);
    o = bytesCopy(prefix, out, o);
    i = pos;
    ${fields.join('\n    ')}
    out[o++] = 125;
    o = bytesCopy(suffix, out, o);
    pos = nl + 1;
  }
  overrun(out, o);
  if (d.length > 0) ratio = Math.min(Math.max(ratio, (o / d.length) * 1.02), 4);
  return out.subarray(0, o);
};`;
  // Keys are JSON-quoted column names held as bytes; nothing else from the columns is spliced into the code.
  return new Function(
    'Buffer',
    'p',
    'K',
    'FIXED',
    'grow',
    'overrun',
    'bytesCopy',
    'e',
    'v',
    'bad',
    'timestamptz',
    'date',
    'float8',
    source,
  )(
    Buffer,
    columns.map((c) => c.parse),
    keys,
    fixed,
    grow,
    overrun,
    bytesCopy,
    escapedJson,
    valueJson,
    malformedRow,
    timestamptzJson,
    dateJson,
    float8Json,
  ) as RowsJsonBytesTranscoder;
}
