import { Decimal } from '@mage-int/core';

/** An exact number written out without exponent, with how many digits sit on each side of the point. */
export interface PlainNumber {
  text: string;
  integerDigits: number;
  scale: number;
}

const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Exponents beyond this are not expanded (no column type but VARCHAR could hold them anyway). */
const MAX_EXPONENT = 400;

/** Reads the text of a number (`-12.50`, `1e-7`, `123456789012345678901`) into plain exact digits. */
export function plainNumber(text: string): PlainNumber | undefined {
  const match = NUMBER_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const padded = point < 0 ? '0'.repeat(-point) + digits : point > digits.length ? digits + '0'.repeat(point - digits.length) : digits;
  const at = Math.max(point, 0);
  const integer = padded.slice(0, at).replace(/^0+/, '');
  const decimals = padded.slice(at).replace(/0+$/, '');
  const zero = integer === '' && decimals === '';
  const body = (integer === '' ? '0' : integer) + (decimals === '' ? '' : `.${decimals}`);
  return { text: (sign === '-' && !zero ? '-' : '') + body, integerDigits: integer.length, scale: decimals.length };
}

/**
 * `plainNumber` for the common `-?digits[.digits]` text (what PostgreSQL and most sources write), read without
 * building strings: the text is returned as it is (leading or trailing zeros and all, which DuckDB reads to the
 * same value), with its significant integer digits and scale. Undefined for any other text (use plainNumber).
 */
export function simpleNumber(text: string): PlainNumber | undefined {
  const n = text.length;
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  let dot = -1;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && dot < 0) dot = i;
    else if (c < 48 || c > 57) return undefined;
  }
  if (dot === start || dot === n - 1 || start === n) return undefined;
  const end = dot < 0 ? n : dot;
  let lead = start;
  while (lead < end && text.charCodeAt(lead) === 48) lead++;
  let trail = n;
  if (dot >= 0) while (trail > dot + 1 && text.charCodeAt(trail - 1) === 48) trail--;
  return { text, integerDigits: end - lead, scale: dot < 0 ? 0 : trail - dot - 1 };
}

/** The exact text of a numeric record value, or undefined when the value is not a number. */
export function numberText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Decimal) return value.text;
  return undefined;
}

/** The value as an exact bigint when it is an integer (number, bigint or integral Decimal), else undefined. */
export function exactInteger(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (value instanceof Decimal) {
    const plain = plainNumber(value.text);
    return plain && plain.scale === 0 ? BigInt(plain.text) : undefined;
  }
  return undefined;
}
