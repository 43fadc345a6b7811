import { describe, expect, test } from 'vitest';
import { risingCopyTextKeys, risingRecordKeys } from '../src/index.js';

// Destinations load keyed rows into a table with no key enforced while the keys rise: "rises" must imply "differs".
const text = (...rows: string[]) => Buffer.from(rows.map((r) => `${r}\n`).join(''));

describe('rising keys', () => {
  test('records and COPY text agree: strictly rising keys give the last one, anything else gives undefined', () => {
    expect(risingRecordKeys([{ id: 1 }, { id: 2 }, { id: 10 }], 'id', 'number', undefined)).toEqual({ last: 10 });
    expect(risingCopyTextKeys(text('1\ta', '2\tb', '10\tc'), 0, 'number', undefined)).toEqual({ last: 10 });
    // Equal, falling, or not above the last key of the batch before.
    expect(risingRecordKeys([{ id: 1 }, { id: 1 }], 'id', 'number', undefined)).toBeUndefined();
    expect(risingCopyTextKeys(text('a\t2', 'b\t1'), 1, 'number', undefined)).toBeUndefined();
    expect(risingCopyTextKeys(text('5\tx'), 0, 'number', 5)).toBeUndefined();
    expect(risingRecordKeys([{ id: 'b' }, { id: 'c' }], 'id', 'text', 'a')).toEqual({ last: 'c' });
  });

  test('NULL, a missing field, another type, NaN and escaped text never rise', () => {
    expect(risingRecordKeys([{ id: 1 }, {}], 'id', 'number', undefined)).toBeUndefined();
    expect(risingRecordKeys([{ id: '1' }], 'id', 'number', undefined)).toBeUndefined();
    expect(risingRecordKeys([{ id: 1 }], 'id', 'text', undefined)).toBeUndefined();
    expect(risingRecordKeys([{ id: Number.NaN }], 'id', 'number', undefined)).toBeUndefined();
    expect(risingCopyTextKeys(text('1', '\\N'), 0, 'number', undefined)).toBeUndefined();
    // `a\tb` and a tab typed out are one value spelled two ways: escapes are not compared.
    expect(risingCopyTextKeys(text('a', 'b\\tc'), 0, 'text', undefined)).toBeUndefined();
    expect(risingCopyTextKeys(text('x\t1'), 2, 'number', undefined)).toBeUndefined();
  });

  test('integers beyond 2^53: bigints compare exactly with numbers; two that round to one double do not rise', () => {
    expect(risingRecordKeys([{ id: 9007199254740993n }], 'id', 'number', 9007199254740992)).toEqual({ last: 9007199254740993n });
    expect(risingCopyTextKeys(text('9007199254740992', '9007199254740993'), 0, 'number', undefined)).toBeUndefined();
    expect(risingCopyTextKeys(text('-20', '-3', '0', '123456789012345'), 0, 'number', undefined)).toEqual({ last: 123456789012345 });
  });
});
