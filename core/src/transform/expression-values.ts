import { Decimal, exactNumber, JsonText, stringifyExactJson } from '../protocol/exact-json.js';
import { ExpressionError } from './expression-parser.js';

/**
 * Python value semantics for stream-map expressions over mage-int's values: numbers may be JS numbers, bigints
 * or exact Decimals; + - * and comparisons stay exact across them (a decimal scaled to a bigint), / // % and **
 * on a Decimal are computed in floating point.
 */

type Scaled = { n: bigint; scale: number };

function isNumber(v: unknown): v is number | bigint | Decimal {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal;
}

/** A value's Python type name, for error messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (v instanceof Decimal) return 'decimal';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function scaled(v: number | bigint | Decimal): Scaled {
  if (typeof v === 'bigint') return { n: v, scale: 0 };
  if (typeof v === 'number' && Number.isInteger(v) && Number.isSafeInteger(v)) return { n: BigInt(v), scale: 0 };
  const text = typeof v === 'number' ? String(v) : v.text;
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new ExpressionError(`not a finite number: ${text}`);
  const digits = (m[2] ?? '') + (m[3] ?? '');
  let scale = (m[3] ?? '').length - Number(m[4] ?? 0);
  let n = BigInt(digits || '0');
  if (scale < 0) {
    n *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { n: m[1] === '-' ? -n : n, scale };
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale), scale];
}

function fromScaled(n: bigint, scale: number): number | bigint | Decimal {
  if (scale === 0) return exactNumber(n.toString(), Number(n));
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return exactNumber(text, Number(text));
}

function toFloat(v: number | bigint | Decimal): number {
  return typeof v === 'number' ? v : Number(typeof v === 'bigint' ? v : v.text);
}

/** Python arithmetic: + also joins strings and lists. */
export function arithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === '*' && typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
  if (typeof a === 'boolean') a = a ? 1 : 0;
  if (typeof b === 'boolean') b = b ? 1 : 0;
  if (!isNumber(a) || !isNumber(b)) throw new ExpressionError(`unsupported operand types for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  if ((op === '/' || op === '//' || op === '%') && (typeof b === 'number' ? b === 0 : scaled(b).n === 0n))
    throw new ExpressionError('division by zero');
  if (op === '+' || op === '-' || op === '*') {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
      // Floats follow float arithmetic, as in Python; integers leaving the exact range continue as bigint.
      if (!Number.isInteger(a) || !Number.isInteger(b) || Number.isSafeInteger(r)) return r;
    }
    const [x, y, scale] = align(scaled(a), scaled(b));
    if (op === '+') return fromScaled(x + y, scale);
    if (op === '-') return fromScaled(x - y, scale);
    const sa = scaled(a);
    const sb = scaled(b);
    return fromScaled(sa.n * sb.n, sa.scale + sb.scale);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const sa = scaled(a);
    const sb = scaled(b);
    if (sa.scale === 0 && sb.scale === 0 && (op === '//' || op === '%')) {
      const q = sa.n / sb.n - (sa.n % sb.n !== 0n && sa.n < 0n !== sb.n < 0n ? 1n : 0n);
      return fromScaled(op === '//' ? q : sa.n - q * sb.n, 0);
    }
  }
  const x = toFloat(a);
  const y = toFloat(b);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '//':
      return Math.floor(x / y);
    case '%':
      return ((x % y) + y) % y;
    default:
      return x ** y;
  }
}

/** Python equality: numbers by value across kinds, everything else structurally. */
export function equals(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b) === 0;
  if (typeof a === 'boolean' && isNumber(b)) return equals(a ? 1 : 0, b);
  if (typeof b === 'boolean' && isNumber(a)) return equals(a, b ? 1 : 0);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return stringifyExactJson(plain(a)) === stringifyExactJson(plain(b));
}

function compareNumbers(a: number | bigint | Decimal, b: number | bigint | Decimal): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' && !Number.isFinite(a)) || (typeof b === 'number' && !Number.isFinite(b)))
    return Math.sign(toFloat(a) - toFloat(b));
  const [x, y] = align(scaled(a), scaled(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Python ordering (<, <=, >, >=): numbers with numbers, strings with strings. */
export function compare(op: string, a: unknown, b: unknown): boolean {
  let c: number;
  if (isNumber(a) && isNumber(b)) c = compareNumbers(a, b);
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else throw new ExpressionError(`'${op}' not supported between '${typeName(a)}' and '${typeName(b)}'`);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

/** Python truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0 || v === 0n) return false;
  if (v instanceof Decimal) return scaled(v).n !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof JsonText)) return Object.keys(v).length > 0;
  return true;
}

/** `x in y`: a substring, a list item, a dict key. */
export function contains(container: unknown, item: unknown): boolean {
  container = plain(container);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new ExpressionError(`'in <string>' requires a string on the left, not '${typeName(item)}'`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((v) => equals(v, item));
  if (container !== null && typeof container === 'object') return typeof item === 'string' && Object.hasOwn(container, item);
  throw new ExpressionError(`argument of type '${typeName(container)}' is not iterable`);
}

/** A JSON value carried as text is read (exactly) when an expression looks into it. */
export function plain(v: unknown): unknown {
  return v instanceof JsonText ? v.value : v;
}

/** Python str(): None → 'None', booleans → 'True'/'False', numbers exactly, lists and dicts as JSON. */
export function str(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal) return String(v);
  if (v instanceof JsonText) return v.text;
  return stringifyExactJson(v);
}

/** Python int(): truncates numbers, parses integer text, booleans are 0/1. */
export function int(v: unknown): number | bigint {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ExpressionError(`cannot convert ${v} to int`);
    return Math.trunc(v);
  }
  if (typeof v === 'bigint') return v;
  const text = v instanceof Decimal ? v.text.replace(/\.\d*$/, '') : typeof v === 'string' ? v.trim().replace(/_/g, '') : undefined;
  if (text === undefined || !/^[-+]?\d+$/.test(text))
    throw new ExpressionError(`invalid literal for int(): ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`);
  return exactNumber(text.replace(/^\+/, ''), Number(text)) as number | bigint;
}

/** Python float(). */
export function float(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) return toFloat(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v.trim()))) return Number(v.trim());
  throw new ExpressionError(`could not convert ${typeName(v)} to float${typeof v === 'string' ? `: ${JSON.stringify(v)}` : ''}`);
}

/** A number for functions that work in floating point (round, abs, min, max). */
export function numeric(v: unknown, fn: string): number | bigint | Decimal {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) return v;
  throw new ExpressionError(`${fn}() needs a number, not '${typeName(v)}'`);
}

export { compareNumbers, isNumber };
