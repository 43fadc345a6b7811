import { describe, expect, it } from 'vitest';
import { fullTableSelectSql, incrementalSelectSql, keysetCompareSql, type KeysetSql } from '../src/index.js';

const sql: KeysetSql<string> = { from: 't', columns: '*', column: (c) => `"${c}"`, literal: (_c, v) => `'${String(v)}'` };

describe('keyset SQL for engines without row-value comparison', () => {
  it('spells out (a, b) > (1, 2), before and inclusive bounds too', () => {
    expect(keysetCompareSql(['a'], [1], sql.column, sql.literal)).toBe(`("a" > '1')`);
    expect(keysetCompareSql(['a', 'b'], [1, 2], sql.column, sql.literal)).toBe(`(("a" > '1') OR ("a" = '1' AND "b" > '2'))`);
    expect(keysetCompareSql(['a', 'b'], [1, 2], sql.column, sql.literal, '<', true)).toBe(
      `(("a" < '1') OR ("a" = '1' AND "b" < '2') OR ("a" = '1' AND "b" = '2'))`,
    );
  });

  it('reads a keyed table in key order after the last committed key, a keyless one as it is', () => {
    expect(fullTableSelectSql(sql, [])).toBe('SELECT * FROM t');
    expect(fullTableSelectSql(sql, ['id'])).toBe(`SELECT * FROM t ORDER BY "id"`);
    expect(fullTableSelectSql({ ...sql, keyOrder: (c) => `"${c}" NULLS FIRST` }, ['id'], [7])).toBe(
      `SELECT * FROM t WHERE ("id" > '7') ORDER BY "id" NULLS FIRST`,
    );
  });

  it('reads incrementally from the value inclusive, or strictly after a row when ordered, ties broken by the key', () => {
    expect(incrementalSelectSql(sql, 'u', ['id'], { replicationKey: 'u' }, true, (c) => c)).toBe(
      `SELECT * FROM t WHERE "u" IS NOT NULL ORDER BY "u", "id"`,
    );
    expect(incrementalSelectSql(sql, 'u', ['id'], { replicationKey: 'u', value: 5 }, true, (c) => c)).toBe(
      `SELECT * FROM t WHERE "u" >= '5' ORDER BY "u", "id"`,
    );
    const resumed = { replicationKey: 'u', value: 5, afterKeys: { id: 3 } };
    expect(incrementalSelectSql(sql, 'u', ['id'], resumed, true, (c) => c)).toBe(
      `SELECT * FROM t WHERE (("u" > '5') OR ("u" = '5' AND "id" > '3')) ORDER BY "u", "id"`,
    );
    // Columns the engine does not order as the kit compares: from the value on, unordered (the kit filters).
    expect(incrementalSelectSql(sql, 'u', ['id'], resumed, false, (c) => c)).toBe(`SELECT * FROM t WHERE "u" >= '5'`);
  });
});
