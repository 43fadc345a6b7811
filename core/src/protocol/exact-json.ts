/**
 * JSON that keeps numbers exact. Integers beyond 2^53 become `bigint`; decimals with more significant digits
 * than a double holds become `Decimal`. Both serialise back to the same digits, unquoted.
 *
 * Parsing uses the fast native JSON.parse, and only re-parses with a source-text reviver (ES2025 JSON.parse
 * source text access) when the line holds a number literal long enough to be at risk.
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
/** 16 or more characters of digits, dots and exponent: the only literals that may not survive a double. */
const LONG_NUMBER = /[0-9][0-9.eE+-]{15,}/;
const INTEGER_LITERAL = /^-?\d+$/;

function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '');
  return mantissa.replace(/0+$/, '').length || 1;
}

/** Turns a JSON number literal into the exact JS value: number when safe, else bigint or Decimal. */
export function exactNumber(source: string, parsed: number): number | bigint | Decimal {
  if (INTEGER_LITERAL.test(source)) return Number.isSafeInteger(parsed) ? parsed : BigInt(source);
  return significantDigits(source) > 15 ? new Decimal(source) : parsed;
}

function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined) return exactNumber(context.source, value);
  return value;
}

/** JSON.parse that keeps big integers and long decimals exact. */
export function parseExactJson(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? JSON.rawJSON(value.toString()) : value;
}

/** JSON.stringify that writes bigint and Decimal values as bare exact numbers. */
export function stringifyExactJson(value: unknown, space?: number): string {
  try {
    return JSON.stringify(value, null, space);
  } catch (error) {
    if (error instanceof TypeError && /BigInt/i.test(error.message)) return JSON.stringify(value, bigintReplacer, space);
    throw error;
  }
}

/** True for number-like values: number, bigint or Decimal. */
export function isNumeric(value: unknown): value is number | bigint | Decimal {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof Decimal;
}
