import { describe, expect, it } from 'vitest';
import { Decimal, stringifyExactJson, type RecordData } from '@mage-int/core';
import { recordLine } from '../src/record-line.js';

describe('recordLine', () => {
  it('writes exactly what stringifyExactJson writes, for every kind of value', () => {
    const records: RecordData[] = [
      {},
      { id: 1, name: 'plain', ok: true, no: false, nothing: null },
      { big: 2n ** 70n, negative: -(2n ** 64n), price: new Decimal('0.10'), huge: new Decimal('-123456789012345678901234567890.000001') },
      { zero: -0, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, tiny: 1e-7, large: 1e21, frac: 0.1 + 0.2 },
      { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: 'yes' },
      { text: 'quote " backslash \\ newline \n tab \t control \u0001 unicode ☃ 𝄞 lone \ud800' },
      { 'key with "quotes"': 1, 'ключ': 2, '': 3, __proto__x: 4 },
      { nested: { list: [1n, new Decimal('1.50'), null, undefined, { deep: [new Date(0)] }], empty: [] }, at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) },
      { boxed: Object('text') as unknown, number: Object(5) as unknown },
      { gone: { toJSON: () => undefined }, stays: 1 },
    ];
    for (const record of records) expect(recordLine(record)).toBe(stringifyExactJson(record));
  });
});
