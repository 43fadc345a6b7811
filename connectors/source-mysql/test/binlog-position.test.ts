// Unit tests of the position and GTID logic, including the MySQL 8 paths (GTID sets with server UUIDs) that the
// MariaDB on this machine cannot exercise; mysql-url.test.ts runs them against a real MySQL when MYSQL_URL is set.
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  mariaGtidReachable,
  mysqlGtidSubset,
  mysqlPurgedBeyond,
  parseMysqlGtidSet,
  readerServerId,
} from '../src/binlog-position.js';
import { ddlTarget } from '../src/log-streaming.js';
import { geometryToWkt } from '../src/wkt.js';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '4f22ab58-82db-22f2-8f44-d91bb0530673';

describe('binlog positions', () => {
  it('orders files by their number, then offsets', () => {
    expect(comparePositions({ file: 'mysql-bin.000009', pos: 900 }, { file: 'mysql-bin.000010', pos: 4 })).toBe(-1);
    expect(comparePositions({ file: 'mysql-bin.000010', pos: 5 }, { file: 'mysql-bin.000010', pos: 4 })).toBe(1);
    expect(comparePositions({ file: 'mysql-bin.000010', pos: 4 }, { file: 'mysql-bin.000010', pos: 4 })).toBe(0);
  });

  it('derives a stable server id per pipeline, away from the small ids servers use', () => {
    const id = readerServerId(undefined, 'orders', 'x');
    expect(id).toBe(readerServerId(undefined, 'orders', 'y'));
    expect(id).not.toBe(readerServerId(undefined, 'customers', 'x'));
    expect(id).toBeGreaterThanOrEqual(1_000_000_000);
    expect(id).toBeLessThanOrEqual(4_294_967_295);
    expect(readerServerId(77, 'orders', 'x')).toBe(77);
  });
});

describe('MySQL GTID sets (server UUIDs)', () => {
  it('parses intervals per server uuid, tags included', () => {
    expect(parseMysqlGtidSet(`${A}:1-5:7,\n${B}:1-3`)).toEqual(
      new Map([
        [
          A,
          [
            [1n, 5n],
            [7n, 7n],
          ],
        ],
        [B, [[1n, 3n]]],
      ]),
    );
    expect(parseMysqlGtidSet(`${A}:1-5:tag_a:1-2`).get(A)).toEqual([
      [1n, 5n],
      [1n, 2n],
    ]);
    expect(() => parseMysqlGtidSet('0-1-5')).toThrow();
  });

  it('a saved set the server has executed can be resumed; one it has not means a reset or another server', () => {
    expect(mysqlGtidSubset(`${A}:1-5`, `${A}:1-100,${B}:1-3`)).toBe(true);
    expect(mysqlGtidSubset(`${A}:1-500`, `${A}:1-100`)).toBe(false);
    expect(mysqlGtidSubset(`${B}:1`, `${A}:1-100`)).toBe(false);
  });

  it('transactions purged beyond the saved set mean the binlog needed is gone', () => {
    expect(mysqlPurgedBeyond(`${A}:1-50`, `${A}:1-40`)).toBe(false);
    expect(mysqlPurgedBeyond(`${A}:1-50`, `${A}:1-60`)).toBe(true);
    expect(mysqlPurgedBeyond(`${A}:1-50`, `${B}:1-2`)).toBe(true);
    expect(mysqlPurgedBeyond(`${A}:1-50`, '')).toBe(false);
  });
});

describe('MariaDB GTID positions', () => {
  it('a saved position the binlog state reaches can be resumed; a higher sequence or unknown domain cannot', () => {
    expect(mariaGtidReachable('0-1-50', '0-1-60')).toBe(true);
    expect(mariaGtidReachable('0-1-50,1-2-7', '0-1-60,1-2-7')).toBe(true);
    expect(mariaGtidReachable('0-1-70', '0-1-60')).toBe(false);
    expect(mariaGtidReachable('5-1-1', '0-1-60')).toBe(false);
    expect(mariaGtidReachable('', '0-1-60')).toBe(true);
  });
});

describe('DDL in the binlog', () => {
  it('finds the statement kind and the table it names', () => {
    expect(ddlTarget('ALTER TABLE stock ADD COLUMN c int', 'shop')).toEqual({ kind: 'alter', table: 'shop.stock' });
    expect(ddlTarget('/* app */ alter online table `inv`.`st``ock` add c int', 'shop')).toEqual({ kind: 'alter', table: 'inv.st`ock' });
    expect(ddlTarget('TRUNCATE stock', 'shop')).toEqual({ kind: 'truncate', table: 'shop.stock' });
    expect(ddlTarget('TRUNCATE TABLE `shop` . `stock`', 'x')).toEqual({ kind: 'truncate', table: 'shop.stock' });
    expect(ddlTarget('DROP TABLE IF EXISTS stock', 'shop')).toEqual({ kind: 'drop', table: 'shop.stock' });
    expect(ddlTarget('INSERT INTO stock VALUES (1)', 'shop')).toBeUndefined();
  });
});

describe('geometry from the binlog as WKT', () => {
  it('writes the shapes the declared type names', () => {
    expect(geometryToWkt({ x: 1.5, y: -2 }, 'point')).toBe('POINT(1.5 -2)');
    expect(
      geometryToWkt(
        [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
        'linestring',
      ),
    ).toBe('LINESTRING(0 0,1 1)');
    expect(
      geometryToWkt(
        [
          [
            { x: 0, y: 0 },
            { x: 1, y: 0 },
            { x: 0, y: 0 },
          ],
        ],
        'polygon',
      ),
    ).toBe('POLYGON((0 0,1 0,0 0))');
    expect(
      geometryToWkt(
        [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
        'multipoint',
      ),
    ).toBe('MULTIPOINT(0 0,1 1)');
    expect(
      geometryToWkt(
        [
          [
            [
              { x: 0, y: 0 },
              { x: 1, y: 0 },
              { x: 0, y: 0 },
            ],
          ],
        ],
        'geometry',
      ),
    ).toBe('MULTIPOLYGON(((0 0,1 0,0 0)))');
  });
});
