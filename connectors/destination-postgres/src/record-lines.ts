import { literalFitsDouble, RECORD_FORMATS, schemaTypes, type JsonSchema, type KeyOrder, type KeyValue } from '@mage-int/core';
import { COPY_NULL, valueEncoder, type NulPolicy, type ValueEncoder } from './copy-text.js';
import type { PgKind } from './pg-types.js';
import { metaRead, type PlannedColumn, type RowMeta } from './row-encoder.js';

/**
 * RECORD lines (RecordBatchMessage.lines, a Singer target's input) turned into COPY text rows straight from their
 * JSON, no record built: two Singer processes spent most of the target's time parsing each line into a record
 * and encoding it again (JSON.parse, number printing, jsonb values stringified back).
 *
 * A line is taken only when its row is byte for byte what the record path writes for the record it parses to, and
 * the reader's checks would pass it: every field one of the stream's columns and of a JSON type its schema allows
 * (dates and timestamps of their format), the key properties not null, no delete. Anything else (an unknown field,
 * an escape it does not rewrite, a number the record path prints otherwise, a NUL) stops the run before that
 * line: the session reads its record, which parses and checks it (an error names the line) and encodes it as ever.
 * A stream whose schema asks more than types and formats (enum, pattern, ranges…) is not transcoded at all.
 */
export interface LineTranscoder {
  /**
   * Rows for lines `from` onward, one string; stops at the end, once the text reaches `limit` UTF-16 units, or before
   * a line it does not take (`next` is then that line). With `rise`, the key must also rise above `rise.last` (then
   * updated); a line whose key does not stops the run with `risen` false.
   */
  (
    lines: readonly string[],
    recordStart: number,
    recordEnds: readonly number[],
    from: number,
    meta: RowMeta,
    limit: number,
    rise?: { order: KeyOrder; last: KeyValue | undefined },
  ): string;
  next: number;
  /** False when the run stopped at a key that did not rise. */
  risen: boolean;
}

/**
 * How a column's JSON value becomes its COPY text (`deleted`: `_sdc_deleted_at`, taken only when null). `double`: a
 * float8 column stores the double nearest the text, the literal's and the record path's print of it alike, so the
 * literal goes as it is (but `-0`, which the record path prints as 0).
 */
type Take = 'integer' | 'number' | 'double' | 'boolean' | 'text' | 'timestamp' | 'jsonb' | 'json' | 'deleted' | 'none';

interface FieldPlan {
  /** The field's column, in the plan's order. */
  index: number;
  take: Take;
  /** The JSON types the field's schema allows. */
  types: ReadonlySet<string>;
  format?: RegExp;
  key: boolean;
}

/** Keywords of a field's schema that say nothing about its values (or only what the column type already does). */
const ANNOTATIONS = new Set([
  'type',
  'format',
  'description',
  'title',
  'sql-datatype',
  'examples',
  'default',
  '$comment',
  'readOnly',
  'writeOnly',
  'deprecated',
  'inclusion',
  'selected',
]);
const STREAM_KEYWORDS = new Set(['type', 'properties', 'description', 'title', '$schema', '$comment', 'required', 'additionalProperties']);

function takeOf(kind: PgKind): Take {
  switch (kind) {
    case 'int2':
    case 'int4':
    case 'int8':
      return 'integer';
    case 'numeric':
    case 'float4':
      return 'number';
    case 'float8':
      return 'double';
    case 'bool':
      return 'boolean';
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'jsonb':
      return 'jsonb';
    case 'json':
      return 'json';
    // bytea and arrays need their encoders.
    case 'bytea':
    case 'array':
      return 'none';
    default:
      return 'text';
  }
}

/** Only a schema's own keywords are read: annotations, `x-` extensions, and a format the reader checks. */
function plainFieldSchema(schema: JsonSchema): boolean {
  for (const keyword of Object.keys(schema)) if (!ANNOTATIONS.has(keyword) && !keyword.startsWith('x-')) return false;
  return schema['format'] === undefined || RECORD_FORMATS[schema['format'] as string] !== undefined;
}

/**
 * The transcoder of a stream's plan, or undefined when its schema asks more of a record than types and formats.
 * `keys` are the key properties, `columns` the plan's.
 */
export function compileLineTranscoder(
  columns: readonly PlannedColumn[],
  streamSchema: JsonSchema,
  keys: readonly string[],
  nul: NulPolicy,
): LineTranscoder | undefined {
  for (const keyword of Object.keys(streamSchema)) if (!STREAM_KEYWORDS.has(keyword) && !keyword.startsWith('x-')) return undefined;
  const additional = streamSchema['additionalProperties'];
  if (additional !== undefined && typeof additional !== 'boolean') return undefined;
  const properties = (streamSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(streamSchema['required']) ? (streamSchema['required'] as string[]) : [];
  const fields = new Map<string, FieldPlan>();
  const metaTexts: { index: number; encode: ValueEncoder; read: (m: RowMeta) => unknown }[] = [];
  for (const [index, column] of columns.entries()) {
    const source = column.source;
    if (source.kind === 'meta') {
      const encode = valueEncoder(column.type, { column: column.column, nul });
      metaTexts.push({ index, encode, read: metaRead(source.name) });
      continue;
    }
    const schema = properties[source.field];
    if (!schema && source.field === '_sdc_deleted_at') {
      // The column deletes and versions need, whether the schema names the field or not: a set one is a delete.
      fields.set(source.field, { index, take: 'deleted', types: new Set(['null']), key: false });
      continue;
    }
    if (!schema || typeof schema !== 'object' || !plainFieldSchema(schema)) return undefined;
    const types = new Set(schemaTypes(schema));
    // A field whose schema names no type takes any value: the record path's encoders decide.
    if (types.size === 0) return undefined;
    const format = schema['format'] === undefined ? undefined : RECORD_FORMATS[schema['format'] as string];
    fields.set(source.field, {
      index,
      take:
        source.field === '_sdc_deleted_at'
          ? 'deleted'
          : column.fieldType?.jsonText || column.fieldType?.contentEncoding
            ? 'none'
            : takeOf(column.type.kind),
      types,
      ...(format ? { format } : {}),
      key: keys.includes(source.field),
    });
  }
  // Key properties must be there and not null, required fields there: each is a column (else the record path checks).
  const filled: FieldPlan[] = [];
  const present: FieldPlan[] = [];
  for (const field of keys) {
    const plan = fields.get(field);
    if (!plan) return undefined;
    filled.push(plan);
  }
  for (const field of required) {
    const plan = fields.get(field);
    if (!plan) return undefined;
    present.push(plan);
  }
  const keyField = keys.length === 1 ? fields.get(keys[0] as string) : undefined;
  const width = columns.length;
  // The row from its column texts, one generated expression (a loop of appends cost ~0.4 µs a row).
  const cells = columns.map((_, c) => `(seen[${c}] ? values[${c}] : N)`).join(" + '\\t' + ");
  const assemble = new Function('N', `return (values, seen) => ${cells} + '\\n';`)(COPY_NULL) as (
    values: string[],
    seen: boolean[],
  ) => string;
  // Records written from the same schema list their fields in one order: each name is first tried as the one
  // that came after the field before (`"name":`), a string compare, before it is cut out and looked up.
  const named = [...fields.entries()].map(([name, plan]) => ({ quoted: `${JSON.stringify(name)}:`, plan }));
  const after = new Map<FieldPlan | undefined, { quoted: string; plan: FieldPlan }>();
  let previous: FieldPlan | undefined;
  for (const entry of named) {
    after.set(previous, entry);
    previous = entry.plan;
  }

  const transcode = function transcodeLines(lines, recordStart, recordEnds, from, meta, limit, rise) {
    transcode.risen = true;
    let s = '';
    let i = from;
    const values: string[] = new Array<string>(width);
    const seen: boolean[] = new Array<boolean>(width);
    for (; i < lines.length && s.length < limit; i++) {
      const line = lines[i] as string;
      if (!transcodeRecord(line, recordStart, recordEnds[i] as number, values, seen)) break;
      if (!filled.every((plan) => seen[plan.index] && values[plan.index] !== COPY_NULL)) break;
      if (!present.every((plan) => seen[plan.index])) break;
      if (rise && keyField) {
        const value = keyValue(values[keyField.index] as string, rise.order);
        if (value === undefined || !(rise.last === undefined ? !Number.isNaN(value) : value > rise.last)) {
          transcode.risen = false;
          break;
        }
        rise.last = value;
      }
      for (const { index, encode, read } of metaTexts) {
        const value = read(meta);
        values[index] = value === null || value === undefined ? COPY_NULL : encode(value);
        seen[index] = true;
      }
      s += assemble(values, seen);
    }
    transcode.next = i;
    return s;
  } as LineTranscoder;
  transcode.next = 0;
  transcode.risen = true;

  /** Reads the record object of `line` into `values` (COPY texts by column); false when the line is not taken. */
  function transcodeRecord(line: string, start: number, recordEnd: number, values: string[], seen: boolean[]): boolean {
    seen.fill(false);
    let i = start + 1;
    if (line.charCodeAt(i) === 125 /* } */) return i + 1 === recordEnd;
    let last: FieldPlan | undefined;
    for (;;) {
      if (line.charCodeAt(i) !== 34) return false;
      const expected = after.get(last);
      let plan: FieldPlan | undefined;
      let at: number;
      if (expected && line.startsWith(expected.quoted, i)) {
        plan = expected.plan;
        at = i + expected.quoted.length;
      } else {
        const close = line.indexOf('"', i + 1);
        if (close < 0 || line.charCodeAt(close + 1) !== 58 /* : */) return false;
        plan = fields.get(line.slice(i + 1, close));
        at = close + 2;
      }
      // An unknown field, a name with an escape, or one given twice: the record path.
      if (!plan || seen[plan.index]) return false;
      const end = value(line, at, plan, values);
      if (end < 0) return false;
      seen[plan.index] = true;
      last = plan;
      const c = line.charCodeAt(end);
      if (c === 44 /* , */) {
        i = end + 1;
        continue;
      }
      return c === 125 && end + 1 === recordEnd;
    }
  }

  /** Reads one value at `at` into values[plan.index]; returns the index after it, or -1 when the line is not taken. */
  function value(line: string, at: number, plan: FieldPlan, values: string[]): number {
    const c = line.charCodeAt(at);
    if (c === 110 /* n */) {
      if (!line.startsWith('null', at) || !(plan.types.has('null') || plan.take === 'deleted')) return -1;
      values[plan.index] = COPY_NULL;
      return at + 4;
    }
    switch (plan.take) {
      case 'integer':
      case 'number':
      case 'double': {
        if (c !== 45 && (c < 48 || c > 57)) return -1;
        const end = numberEnd(line, at);
        if (end < 0) return -1;
        const literal = line.slice(at, end);
        const integer = isIntegerLiteral(literal);
        if (!(plan.types.has('number') || (integer && plan.types.has('integer')))) return -1;
        if (plan.take === 'integer' || plan.take === 'double') {
          if (plan.take === 'integer' && (!integer || literal.length > 16)) return -1;
          if (c === 45 && Number(literal) === 0) return -1;
          values[plan.index] = literal;
        } else {
          const text = recordNumberText(literal);
          if (text === undefined) return -1;
          values[plan.index] = text;
        }
        return end;
      }
      case 'boolean':
        if (!plan.types.has('boolean')) return -1;
        if (c === 116 && line.startsWith('true', at)) {
          values[plan.index] = 't';
          return at + 4;
        }
        if (c === 102 && line.startsWith('false', at)) {
          values[plan.index] = 'f';
          return at + 5;
        }
        return -1;
      case 'text':
      case 'timestamp': {
        if (c !== 34 || !plan.types.has('string')) return -1;
        const end = stringEnd(line, at);
        if (end < 0) return -1;
        const escaped = line.indexOf('\\', at + 1);
        const text = escaped < 0 || escaped >= end ? line.slice(at + 1, end - 1) : copyTextOfJsonString(line, at + 1, end - 1);
        if (text === undefined) return -1;
        if (plan.format && !plan.format.test(text)) return -1;
        // Dates and timestamps as the record path writes them without change: a year 1000 or later, no escape.
        if (plan.take === 'timestamp' && (text.charCodeAt(0) < 49 || text.charCodeAt(0) > 57 || text !== line.slice(at + 1, end - 1)))
          return -1;
        values[plan.index] = text;
        return end;
      }
      case 'jsonb':
      case 'json': {
        const kind = c === 123 ? 'object' : c === 91 ? 'array' : undefined;
        if (!kind || !plan.types.has(kind)) return -1;
        const scan = { backslash: false, json: plan.take === 'json' };
        const end = jsonEnd(line, at, scan, 0);
        if (end < 0) return -1;
        // json keeps its text as written: the record path's is JSON.stringify's of the parsed value, which this is
        // when every number fits a double (checked by the scan).
        const text = plan.take === 'json' ? JSON.stringify(JSON.parse(line.slice(at, end))) : line.slice(at, end);
        values[plan.index] = text.includes('\\') ? text.replaceAll('\\', '\\\\') : text;
        return end;
      }
      default:
        return -1;
    }
  }

  return transcode;
}

/** A key's COPY text as the rise check compares it; undefined when it cannot be (then the key is built first). */
function keyValue(text: string, order: KeyOrder): KeyValue | undefined {
  if (order === 'number') {
    const value = Number(text);
    return text === COPY_NULL || Number.isNaN(value) ? undefined : value;
  }
  return text === COPY_NULL || text.includes('\\') ? undefined : text;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The end of the JSON number literal at `at` (grammar checked), or -1. */
function numberEnd(t: string, at: number): number {
  let i = at;
  if (t.charCodeAt(i) === 45) i++;
  const first = t.charCodeAt(i);
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) while (isDigitCode(t.charCodeAt(i))) i++;
  else return -1;
  if (t.charCodeAt(i) === 46) {
    i++;
    if (!isDigitCode(t.charCodeAt(i))) return -1;
    while (isDigitCode(t.charCodeAt(i))) i++;
  }
  const e = t.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = t.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    if (!isDigitCode(t.charCodeAt(i))) return -1;
    while (isDigitCode(t.charCodeAt(i))) i++;
  }
  return i;
}

function isIntegerLiteral(literal: string): boolean {
  for (let i = literal.charCodeAt(0) === 45 ? 1 : 0; i < literal.length; i++) if (!isDigitCode(literal.charCodeAt(i))) return false;
  return true;
}

/**
 * A number literal as the record path writes it: the double's own print when a double holds it (JSON.parse, then
 * String), the literal itself when not (kept exact). Short plain literals are their double's print already.
 */
function recordNumberText(literal: string): string | undefined {
  const n = literal.length;
  if (n <= 15 && literal !== '-0' && !literal.includes('e') && !literal.includes('E')) {
    const point = literal.indexOf('.');
    // A fraction ending in 0 prints shorter; below 1e-6 a double prints with an exponent.
    if (point < 0 || (literal.charCodeAt(n - 1) !== 48 && !literal.startsWith('0.00000', literal.charCodeAt(0) === 45 ? 1 : 0)))
      return literal;
  }
  const printed = String(Number(literal));
  if (printed === literal) return literal;
  return literalFitsDouble(literal) ? printed : literal;
}

/** Whether a double holds the literal exactly (short plain literals do, without the general test). */
function fitsDouble(literal: string): boolean {
  return (literal.length <= 15 && !literal.includes('e') && !literal.includes('E')) || literalFitsDouble(literal);
}

/** The index just after the JSON string starting at `at` (its `"`), or -1 (a raw control character, no end). */
function stringEnd(t: string, at: number): number {
  for (let i = at + 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) i++;
    else if (c < 32) return -1;
  }
  return -1;
}

/**
 * The COPY text of the JSON string body t[from, to) (escapes in it): `\\`, `\n`, `\t` and `\r` mean in COPY text
 * what they mean in JSON and stay; `\"` and `\/` lose the backslash; `\b`, `\f` and `\u` escapes become the
 * character (as the record path writes it), a backslash, newline, tab or CR in COPY's escape. Undefined for a NUL
 * (the record path strips or refuses it) or a bad escape.
 */
function copyTextOfJsonString(t: string, from: number, to: number): string | undefined {
  let out = '';
  let run = from;
  for (let i = t.indexOf('\\', from); i >= 0 && i < to; i = t.indexOf('\\', i)) {
    const e = t.charCodeAt(i + 1);
    let replacement: string | undefined;
    switch (e) {
      case 92:
      case 110:
      case 116:
      case 114:
        i += 2;
        continue;
      case 34:
        replacement = '"';
        break;
      case 47:
        replacement = '/';
        break;
      case 98:
        replacement = '\b';
        break;
      case 102:
        replacement = '\f';
        break;
      case 117: {
        const hex = t.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
        const code = Number.parseInt(hex, 16);
        if (code === 0) return undefined;
        replacement = code === 92 ? '\\\\' : code === 10 ? '\\n' : code === 9 ? '\\t' : code === 13 ? '\\r' : String.fromCharCode(code);
        out += t.slice(run, i) + replacement;
        i += 6;
        run = i;
        continue;
      }
      default:
        return undefined;
    }
    out += t.slice(run, i) + replacement;
    i += 2;
    run = i;
  }
  return out + t.slice(run, to);
}

/**
 * The index just after the JSON object or array at `at` (grammar checked), or -1: also when a number in it prints
 * otherwise on the record path (`scan.json`: when a double does not hold it), a string holds `\u0000` (jsonb refuses
 * it; the record path strips or refuses it), or whitespace other than spaces comes between tokens (COPY would need it
 * escaped). `scan.backslash` says the text holds a backslash (COPY doubles it).
 */
function jsonEnd(t: string, at: number, scan: { backslash: boolean; json: boolean }, depth: number): number {
  if (depth > 64) return -1;
  const open = t.charCodeAt(at);
  const close = open === 123 ? 125 : 93;
  let i = spaces(t, at + 1);
  if (t.charCodeAt(i) === close) return i + 1;
  for (;;) {
    if (open === 123) {
      if (t.charCodeAt(i) !== 34) return -1;
      const keyEnd = stringEnd(t, i);
      if (keyEnd < 0 || !plainJsonString(t, i, keyEnd, scan)) return -1;
      i = spaces(t, keyEnd);
      if (t.charCodeAt(i) !== 58) return -1;
      i = spaces(t, i + 1);
    }
    const c = t.charCodeAt(i);
    let end: number;
    if (c === 34) {
      end = stringEnd(t, i);
      if (end < 0 || !plainJsonString(t, i, end, scan)) return -1;
    } else if (c === 123 || c === 91) end = jsonEnd(t, i, scan, depth + 1);
    else if (c === 45 || isDigitCode(c)) {
      end = numberEnd(t, i);
      if (end < 0) return -1;
      const literal = t.slice(i, end);
      if (scan.json ? !fitsDouble(literal) : recordNumberText(literal) !== literal) return -1;
    } else if (t.startsWith('true', i)) end = i + 4;
    else if (t.startsWith('false', i)) end = i + 5;
    else if (t.startsWith('null', i)) end = i + 4;
    else return -1;
    if (end < 0) return -1;
    i = spaces(t, end);
    const next = t.charCodeAt(i);
    if (next === close) return i + 1;
    if (next !== 44) return -1;
    i = spaces(t, i + 1);
  }
}

function spaces(t: string, i: number): number {
  while (t.charCodeAt(i) === 32) i++;
  return i;
}

/** A JSON string t[from, end) jsonb takes as the record path's text would be: no `\u0000`, escapes well formed. */
function plainJsonString(t: string, from: number, end: number, scan: { backslash: boolean; json: boolean }): boolean {
  const first = t.indexOf('\\', from);
  if (first < 0 || first >= end) return true;
  scan.backslash = true;
  for (let i = first; i >= 0 && i < end; i = t.indexOf('\\', i + 2)) {
    const e = t.charCodeAt(i + 1);
    if (e === 117) {
      const hex = t.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex) || Number.parseInt(hex, 16) === 0) return false;
    } else if (!(e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)) return false;
  }
  return true;
}
