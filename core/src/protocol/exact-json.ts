/**
 * JSON that keeps numbers exact. Integers beyond 2^53 become `bigint`; decimals with more significant digits
 * than a double holds become `Decimal`. Both serialise back to the same digits, unquoted.
 *
 * Parsing uses the fast native JSON.parse, and only parses with a source-text reviver (ES2025 JSON.parse
 * source text access) when a character scan finds a number literal a double would not hold exactly.
 */

declare global {
  interface JSON {
    rawJSON(text: string): { readonly rawJSON: string };
    isRawJSON(value: unknown): boolean;
  }
}

/** An exact decimal number carried as its text. */
export class Decimal {
  readonly text: string;
  constructor(text: string) {
    if (!DECIMAL_LITERAL.test(text)) throw new TypeError(`not a decimal number: ${text}`);
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
  toJSON(): unknown {
    return JSON.rawJSON(this.text);
  }
  /** True when the number has no fractional part. */
  isInteger(): boolean {
    return /^-?\d+$/.test(this.text) || /^-?\d+\.0*$/.test(this.text);
  }
}

const DECIMAL_LITERAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Whether the double nearest a JSON number literal holds it exactly: 15 or fewer significant digits, or a literal
 * that is the double's own shortest form (as every double printed by JSON.stringify or PostgreSQL is); an integer
 * only while safe. Uses nothing outside itself, so the stdin reader thread runs the same code (see threaded-stdin).
 */
export function literalFitsDouble(literal: string): boolean {
  const parsed = Number(literal);
  if (/^-?\d+$/.test(literal)) return Number.isSafeInteger(parsed);
  // Up to 15 characters hold at most 15 significant digits: exact, when the double is in range.
  if (literal.length <= 15 && parsed !== 0 && Number.isFinite(parsed)) return true;
  if (String(parsed) === literal) return true;
  // Out of a double's range (1e400 → Infinity, 1e-400 → 0) is never exact, whatever the digit count.
  const mantissa = literal.replace(/[eE].*$/, '');
  if (!Number.isFinite(parsed) || (parsed === 0 && /[1-9]/.test(mantissa))) return false;
  const digits = mantissa.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1;
  return digits <= 15;
}

/**
 * Turns a JSON number literal into the exact JS value: the double when it holds the literal exactly
 * (`literalFitsDouble`), else bigint for integers and Decimal for the rest.
 */
export function exactNumber(source: string, parsed: number): number | bigint | Decimal {
  if (literalFitsDouble(source)) return parsed;
  return INTEGER_LITERAL.test(source) ? BigInt(source) : new Decimal(source);
}

function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined) return exactNumber(context.source, value);
  return value;
}

/**
 * Start and end offsets of the number literals in `text` that a double would not hold exactly. A character
 * scan that jumps over strings with indexOf and only examines literals of 16+ characters or with an exponent
 * of 5+ characters: a double printed in its shortest form (as JSON.stringify and PostgreSQL print them) is
 * not at risk. Outside strings, a literal is the only token that starts with a digit or a minus sign.
 */
function riskyLiterals(text: string): number[] | undefined {
  let risky: number[] | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // The closing quote is the next one not preceded by an odd run of backslashes.
      let close = text.indexOf('"', i + 1);
      while (close > 0 && text.charCodeAt(close - 1) === 92) {
        let before = close - 2;
        while (text.charCodeAt(before) === 92) before--;
        if ((close - 1 - before) % 2 === 0) break;
        close = text.indexOf('"', close + 1);
      }
      if (close < 0) return risky; // unterminated: JSON.parse reports it
      i = close + 1;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45) {
      const start = i;
      let exponent = false;
      let d = c;
      while ((d >= 48 && d <= 57) || d === 46 || d === 43 || d === 45 || d === 101 || d === 69) {
        if (d === 101 || d === 69) exponent = true;
        if (++i >= n) break;
        d = text.charCodeAt(i);
      }
      const length = i - start;
      if (length >= 16 || (exponent && length >= 5)) {
        if (!literalFitsDouble(text.slice(start, i))) (risky ??= []).push(start, i);
      }
      continue;
    }
    i++;
  }
  return risky;
}

/**
 * One entry per line of `bytes` (lines end with a newline; the last may not): 1 when the line may hold a number
 * literal a double would not hold exactly (`fits` says no, or a string runs past the line: left to the parser to
 * report), else 0 — such a line parses exactly with JSON.parse alone. parseExactJson's scan, on UTF-8 bytes: quotes,
 * backslashes and digits are never part of a multi-byte character. Uses only its arguments, so the stdin reader
 * thread runs it on what it reads (threaded-stdin), with `literalFitsDouble` as `fits`.
 */
export function inexactLines(bytes: Buffer, fits: (literal: string) => boolean): Uint8Array {
  const marks: number[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    let inexact = 0;
    for (let i = start; i < end; ) {
      const c = bytes[i] as number;
      if (c === 34 /* " */) {
        let close = bytes.indexOf(34, i + 1);
        while (close > 0 && close < end && bytes[close - 1] === 92) {
          let before = close - 2;
          while (bytes[before] === 92) before--;
          if ((close - 1 - before) % 2 === 0) break;
          close = bytes.indexOf(34, close + 1);
        }
        if (close < 0 || close >= end) {
          inexact = 1;
          break;
        }
        i = close + 1;
      } else if ((c >= 48 && c <= 57) || c === 45) {
        const from = i;
        let exponent = false;
        let d = c;
        while ((d >= 48 && d <= 57) || d === 46 || d === 43 || d === 45 || d === 101 || d === 69) {
          if (d === 101 || d === 69) exponent = true;
          if (++i >= end) break;
          d = bytes[i] as number;
        }
        const length = i - from;
        if ((length >= 16 || (exponent && length >= 5)) && !fits(bytes.toString('latin1', from, i))) {
          inexact = 1;
          break;
        }
      } else i++;
    }
    marks.push(inexact);
    start = end + 1;
  }
  return Uint8Array.from(marks);
}

/**
 * Marks a literal turned into a string: a NUL character, written `\u0000` in the JSON text. Input that holds
 * an escaped NUL itself takes the reviver path, so a marked string can only be one of ours.
 */
const MARK = '\u0000';
const MARK_JSON = '\\u0000';

function reviveMarked(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith(MARK) ? exactNumber(value.slice(1), Number(value.slice(1))) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveMarked(value[i]);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const key in object) object[key] = reviveMarked(object[key]);
  }
  return value;
}

/**
 * JSON.parse that keeps big integers and long decimals exact, at close to JSON.parse's speed. At-risk
 * literals are quoted with a mark, parsed natively, then turned into bigint/Decimal. (A reviver with source
 * text access would be simpler, but costs V8 about 5× a plain parse.)
 */
export function parseExactJson(text: string): unknown {
  const risky = riskyLiterals(text);
  if (!risky) return JSON.parse(text);
  if (text.includes(MARK_JSON)) return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
  let marked = '';
  let last = 0;
  for (let i = 0; i < risky.length; i += 2) {
    marked += `${text.slice(last, risky[i])}"${MARK_JSON}${text.slice(risky[i], risky[i + 1])}"`;
    last = risky[i + 1] as number;
  }
  return reviveMarked(JSON.parse(marked + text.slice(last)));
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? JSON.rawJSON(value.toString()) : value;
}

/**
 * A JSON value carried as its JSON text, parsed only when something asks for the value. A source that reads
 * JSON as text (a PostgreSQL json/jsonb column) hands it on like this: a destination that stores JSON text
 * (PostgreSQL jsonb, DuckDB JSON, JSON Lines, a Singer line) writes the text as it is, without a parse and
 * re-serialise round trip per row, and every number in it stays exactly as written. The text must be valid
 * JSON; `value` is the exact parse (`parseExactJson`), made once.
 */
export class JsonText {
  #value: unknown;
  #parsed = false;
  constructor(readonly text: string) {}
  get value(): unknown {
    if (!this.#parsed) {
      this.#value = parseExactJson(this.text);
      this.#parsed = true;
    }
    return this.#value;
  }
  /** JSON.stringify of a structure holding it sees the value (JSON.rawJSON takes no objects or arrays). */
  toJSON(): unknown {
    return this.value;
  }
  toString(): string {
    return this.text;
  }
  /** The JSON type of the value, from the text's first character: no parse. */
  jsonType(): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' {
    const text = this.text.trimStart();
    switch (text.charCodeAt(0)) {
      case 123 /* { */:
        return 'object';
      case 91 /* [ */:
        return 'array';
      case 34 /* " */:
        return 'string';
      case 116 /* t */:
      case 102 /* f */:
        return 'boolean';
      case 110 /* n */:
        return 'null';
      default:
        return 'number';
    }
  }
}

/** JSON.stringify that writes bigint and Decimal values as bare exact numbers, and JsonText as its text. */
export function stringifyExactJson(value: unknown, space?: number): string {
  if (value instanceof JsonText && space === undefined) return value.text;
  try {
    return JSON.stringify(value, null, space);
  } catch (error) {
    if (error instanceof TypeError && /BigInt/i.test(error.message)) return JSON.stringify(value, bigintReplacer, space);
    throw error;
  }
}

/** `"key":` by key: records of a stream repeat the same few keys millions of times. */
const keyPrefixes = new Map<string, string>();
const MAX_CACHED_KEYS = 10_000;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `${JSON.stringify(key)}:`;
    if (keyPrefixes.size < MAX_CACHED_KEYS) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/** One record value as exact JSON, as `stringifyRecord` writes it; undefined when JSON.stringify would leave the property out. */
export function stringifyRecordValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Decimal) return value.text;
      if (value instanceof JsonText) return value.text;
      return stringifyExactJson(value);
    default:
      return undefined;
  }
}

/**
 * A record (a flat object) as one line of exact JSON: the same value as `stringifyExactJson(record)`, built
 * field by field, so Decimal and bigint values cost no JSON.stringify callback and JsonText goes in as its text
 * (the line then holds the text as the source wrote it, spacing included).
 */
export function stringifyRecord(record: Readonly<Record<string, unknown>>): string {
  let line = '{';
  for (const key of Object.keys(record)) {
    const encoded = stringifyRecordValue(record[key]);
    if (encoded === undefined) continue;
    line += line.length === 1 ? keyPrefix(key) + encoded : ',' + keyPrefix(key) + encoded;
  }
  return line + '}';
}

/** True for number-like values: number, bigint or Decimal. */
export function isNumeric(value: unknown): value is number | bigint | Decimal {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof Decimal;
}
