import { describe, expect, it } from 'vitest';
import { normalizeIdentifier } from '@mage-int/core/sql';
import { formatMysqlType, fromPostgresType, MysqlDialect, parseMysqlType, serverInfo, utcDateTime, widenMysqlType } from '../src/index.js';
import { Decimal } from '@mage-int/core';
import { t } from '../src/mysql-types.js';
import { columnEncoder, loadDataField } from '../src/value-text.js';

const MARIADB = serverInfo('10.11.19-MariaDB-0+deb12u1-log');
const MYSQL8 = serverInfo('8.0.36');
const fmt = (type: ReturnType<typeof parseMysqlType>) => (type ? formatMysqlType(type) : undefined);

describe('MySQL types', () => {
  it('keeps the types MySQL prints in information_schema, without integer display widths', () => {
    expect(fmt(parseMysqlType('bigint(20) unsigned', MARIADB))).toBe('bigint unsigned');
    expect(fmt(parseMysqlType('int(11)', MARIADB))).toBe('int');
    expect(fmt(parseMysqlType('tinyint(1)', MARIADB))).toBe('tinyint(1)');
    expect(fmt(parseMysqlType('decimal(65,30)', MARIADB))).toBe('decimal(65,30)');
    expect(fmt(parseMysqlType('datetime(6)', MARIADB))).toBe('datetime(6)');
    expect(fmt(parseMysqlType("enum('a','it''s','b\\\\c')", MARIADB))).toBe("enum('a','it''s','b\\\\c')");
    expect(fmt(parseMysqlType('uuid', MARIADB))).toBe('uuid');
    expect(fmt(parseMysqlType('uuid', MYSQL8))).toBe('varchar(36)');
    expect(parseMysqlType('datetime2(7)', MARIADB)).toBeUndefined();
    expect(parseMysqlType("enum('a'); DROP TABLE x; --')", MARIADB)).toBeUndefined();
  });

  it('maps PostgreSQL types to their MySQL equivalents', () => {
    const pg = (name: string) => fmt(fromPostgresType(name, MYSQL8));
    expect(pg('numeric(12,2)')).toBe('decimal(12,2)');
    expect(pg('numeric')).toBe('decimal(65,30)');
    expect(pg('timestamp with time zone')).toBe('datetime(6)');
    expect(pg('timestamp(3) without time zone')).toBe('datetime(6)');
    expect(pg('character varying(20)')).toBe('varchar(20)');
    expect(pg('double precision')).toBe('double');
    expect(pg('real')).toBe('double');
    expect(pg('jsonb')).toBe('json');
    expect(pg('bytea')).toBe('longblob');
    expect(pg('uuid')).toBe('char(36)');
    expect(fmt(fromPostgresType('uuid', MARIADB))).toBe('uuid');
    expect(pg('integer[]')).toBeUndefined();
  });

  it('widens within a family and across families, and never makes a key column unkeyable', () => {
    const w = (a: ReturnType<typeof t>, b: ReturnType<typeof t>) => formatMysqlType(widenMysqlType(a, b));
    expect(w(t('int'), t('bigint'))).toBe('bigint');
    expect(w(t('bigint'), t('bigint', undefined, true))).toBe('decimal(20,0)');
    expect(w(t('decimal', '12,2'), t('decimal', '10,4'))).toBe('decimal(14,4)');
    expect(w(t('bigint'), t('decimal', '65,30'))).toBe('decimal(65,30)');
    expect(w(t('varchar', 5), t('varchar', 20))).toBe('varchar(20)');
    expect(w(t('varchar', 5), t('longtext'))).toBe('longtext');
    expect(w(t('date'), t('datetime', 6))).toBe('datetime(6)');
    expect(w(t('tinyint', 1), t('longtext'))).toBe('longtext');
    expect(w(t('bigint'), t('json'))).toBe('json');
    expect(w({ ...t('varchar', 255), key: true }, t('longtext'))).toBe('varchar(255)');
  });

  it('converts ISO timestamps to UTC DATETIME text with their microseconds', () => {
    expect(utcDateTime('2024-03-01T10:00:00.5+01:00')).toBe('2024-03-01 09:00:00.5');
    expect(utcDateTime('2024-02-29T23:59:59.999999+05:30')).toBe('2024-02-29 18:29:59.999999');
    expect(utcDateTime('1969-12-31T16:00:00-08:00')).toBe('1970-01-01 00:00:00');
    expect(utcDateTime('2024-07-01T00:00:00')).toBe('2024-07-01 00:00:00');
    expect(utcDateTime('0099-01-01T00:30:00+01:00')).toBe('0098-12-31 23:30:00');
    expect(utcDateTime('not a date')).toBe('not a date');
    // The common UTC forms (read without the regular expression): Z or +00:00, fractions cut to microseconds.
    expect(utcDateTime('2024-01-02T03:04:05.123456+00:00')).toBe('2024-01-02 03:04:05.123456');
    expect(utcDateTime('2024-01-02T03:04:05Z')).toBe('2024-01-02 03:04:05');
    expect(utcDateTime('2024-01-02T03:04:05.123456789Z')).toBe('2024-01-02 03:04:05.123456');
    expect(utcDateTime('2024-01-02T03:04:05.Z')).toBe('2024-01-02T03:04:05.Z');
    expect(utcDateTime('2024-01-02T03:04:5Z')).toBe('2024-01-02T03:04:5Z');
    expect(utcDateTime('12024-01-02T03:04:05Z')).toBe('12024-01-02 03:04:05');
  });

  it('writes each value as the LOAD DATA field of its text, escaping whatever text could need it', () => {
    const values = [
      null,
      undefined,
      0,
      -1.5,
      1e21,
      Number.NaN,
      2n ** 64n,
      true,
      false,
      new Decimal('-0.10'),
      'plain',
      'tab\there\nline \\ \0',
      '2024-01-02T03:04:05.5+00:00',
      '2024-01-02T03:04:05+02:00',
      'x\ty',
      Buffer.from([0, 9, 10]),
      new Uint8Array([255]),
    ];
    for (const type of [
      t('bigint'),
      t('decimal', '10,2'),
      t('double'),
      t('tinyint', '1'),
      t('longtext'),
      t('json'),
      t('datetime', '6'),
      t('varbinary', '16'),
      t('bit', '8'),
      t('point'),
    ]) {
      const encoder = columnEncoder({ name: 'c', type });
      for (const value of values) expect(encoder.field(value), `${type.name} ${String(value)}`).toBe(loadDataField(encoder.text(value)));
    }
  });
});

describe('MysqlDialect', () => {
  const plan = {
    target: { schema: 'db', name: 'orders' },
    staging: { schema: 'db', name: '_mage_stage_1' },
    columns: ['id', 'status'],
    keys: ['id'],
    method: 'upsert' as const,
    uniqueKey: true,
    hardDelete: false,
  };

  it('adds columns with IF NOT EXISTS on MariaDB only; a racing CREATE (1050) or ADD COLUMN (1060) is a lost DDL race', () => {
    const column = { name: 'b', type: { name: 'text' } };
    expect(new MysqlDialect(MARIADB).addColumn(plan.target, column)[0]).toContain('ADD COLUMN IF NOT EXISTS `b`');
    expect(new MysqlDialect(MYSQL8).addColumn(plan.target, column)[0]).toContain('ADD COLUMN `b`');
    const dialect = new MysqlDialect(MYSQL8);
    expect(dialect.lostDdlRace(Object.assign(new Error("Duplicate column name 'b'"), { errno: 1060 }))).toBe(true);
    expect(dialect.lostDdlRace(Object.assign(new Error("Table 'orders' already exists"), { errno: 1050 }))).toBe(true);
    expect(dialect.lostDdlRace(Object.assign(new Error('Duplicate entry'), { errno: 1062 }))).toBe(false);
  });

  it('upserts with VALUES(col) on MariaDB', () => {
    const [sql] = new MysqlDialect(MARIADB).merge(plan);
    expect(sql).toContain('ON DUPLICATE KEY UPDATE `db`.`orders`.`status` = VALUES(`status`)');
    expect(sql).not.toContain(' AS new');
  });

  it('upserts with the derived-table alias on MySQL >= 8.0.19, where VALUES() is deprecated', () => {
    const [sql] = new MysqlDialect(MYSQL8).merge(plan);
    expect(sql).toMatch(
      /SELECT \* FROM \(SELECT d\.`id`, d\.`status` FROM `db`\.`_mage_stage_1` d ORDER BY d\.`_mage_seq` LIMIT \d+\) AS new ON DUPLICATE KEY UPDATE `db`\.`orders`\.`status` = new\.`status`$/,
    );
    expect(sql).not.toContain('VALUES(');
    expect(serverInfo('8.0.18').upsertAlias).toBe(false);
  });

  it('ignores with INSERT IGNORE, updates only with a join, deletes flagged keys', () => {
    const dialect = new MysqlDialect(MARIADB);
    expect(dialect.merge({ ...plan, method: 'ignore' })[0]).toMatch(/^INSERT IGNORE INTO `db`\.`orders`/);
    expect(dialect.merge({ ...plan, method: 'update_only' })[0]).toMatch(
      /^UPDATE `db`\.`orders` t JOIN .* SET t\.`status` = d\.`status`$/s,
    );
    expect(dialect.merge({ ...plan, hardDelete: true }).at(-1)).toMatch(
      /^DELETE t FROM `db`\.`orders` t JOIN .* WHERE d\.`_mage_deleted` = 1$/s,
    );
  });

  it('quotes with backticks and limits names to 64 characters with a hash suffix', () => {
    const dialect = new MysqlDialect(MARIADB);
    expect(dialect.quoteIdentifier('we`ird')).toBe('`we``ird`');
    expect(dialect.quoteLiteral("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
    const long = normalizeIdentifier('a'.repeat(100), dialect.identifiers);
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^a{55}_[0-9a-f]{8}$/);
    expect(normalizeIdentifier('ü'.repeat(60), dialect.identifiers)).toBe('ü'.repeat(60));
  });

  it('gives key columns a type a primary key can have', () => {
    const [sql] = new MysqlDialect(MARIADB).createTable(
      { schema: 'db', name: 't' },
      [
        { name: 'k', type: t('longtext') },
        { name: 'v', type: t('longtext') },
      ],
      ['k'],
    );
    expect(sql).toContain('`k` varchar(255) NOT NULL, `v` longtext NULL, PRIMARY KEY (`k`)');
    expect(sql).toContain('DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin');
  });
});
