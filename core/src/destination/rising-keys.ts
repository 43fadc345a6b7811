import type { RecordData } from '../protocol/messages.js';

/**
 * How a key column's values are checked to rise: as numbers (integer columns, and unconstrained numeric ones: a
 * double that rises strictly means a value that does, rounding keeping order) or as strings (text columns without a
 * length or padding: distinct strings are distinct values under a deterministic collation). Keys that rise are
 * distinct, which is what a destination loading rows straight into a table with no key enforced yet needs.
 */
export type KeyOrder = 'number' | 'text';

/** A key value as the rise check compares it. */
export type KeyValue = number | bigint | string;

function rises(value: unknown, last: KeyValue | undefined, order: KeyOrder): value is KeyValue {
  const kind = typeof value;
  if (order === 'number' ? kind !== 'number' && kind !== 'bigint' : kind !== 'string') return false;
  // number and bigint compare with each other exactly; NaN never rises.
  return last === undefined ? !Number.isNaN(value) : (value as KeyValue) > last;
}

/**
 * The last key of `records` when every record's `field` rises strictly above the one before it (the first above
 * `last`), compared per `order`; undefined when one does not (or is missing, null, or of another type). Keys that
 * rise are distinct: such rows can go into a table that has no primary key yet.
 */
export function risingRecordKeys(
  records: readonly RecordData[],
  field: string,
  order: KeyOrder,
  last: KeyValue | undefined,
): { last: KeyValue | undefined } | undefined {
  for (const record of records) {
    const value = record[field];
    if (!rises(value, last, order)) return undefined;
    last = value;
  }
  return { last };
}

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const MINUS = 45;

/**
 * The same check on PostgreSQL COPY text rows: the key is the row's `column`-th field. A number is read as a
 * double (rounding keeps the order, so a strict rise still means distinct values); a string is compared as the
 * value it spells only when it holds no escape (a backslash makes the row not rise: two spellings could mean one
 * value), and NULL never rises.
 */
export function risingCopyTextKeys(
  data: Buffer,
  column: number,
  order: KeyOrder,
  last: KeyValue | undefined,
): { last: KeyValue | undefined } | undefined {
  for (let start = 0; start < data.length; ) {
    let end = data.indexOf(NEWLINE, start);
    if (end < 0) end = data.length;
    let from = start;
    for (let i = 0; i < column; i++) {
      const tab = data.indexOf(TAB, from);
      if (tab < 0 || tab >= end) return undefined;
      from = tab + 1;
    }
    let to = data.indexOf(TAB, from);
    if (to < 0 || to > end) to = end;
    const value = order === 'number' ? numberAt(data, from, to) : textAt(data, from, to);
    if (value === undefined || !rises(value, last, order)) return undefined;
    last = value;
    start = end + 1;
  }
  return { last };
}

/** An integer of up to 15 digits is read exactly by hand; anything else through Number (NaN when it is not one). */
function numberAt(data: Buffer, from: number, to: number): number | undefined {
  if (from === to) return undefined;
  const negative = data[from] === MINUS;
  let i = negative ? from + 1 : from;
  if (to - i > 0 && to - i <= 15) {
    let n = 0;
    for (; i < to; i++) {
      const digit = (data[i] as number) - 48;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === to) return negative ? -n : n;
  }
  if (data[from] === BACKSLASH) return undefined; // \N
  return Number(data.toString('latin1', from, to));
}

function textAt(data: Buffer, from: number, to: number): string | undefined {
  const backslash = data.indexOf(BACKSLASH, from);
  if (backslash >= 0 && backslash < to) return undefined;
  return data.toString('utf8', from, to);
}
