// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup creates a
// throwaway database on the local MariaDB/MySQL (MAGE_INT_TEST_MYSQL_* to point elsewhere) with three tables and
// a view, teardown drops it. The suite reads every stream FULL_TABLE and INCREMENTAL by its first
// valid-replication-key, so:
//   customers  keyed by id; incremental by id
//   events     occurred_at first, many rows sharing one timestamp: keyset pages (batch_size 4) must cross a run
//              of equal bookmark values without losing, repeating or looping
//   type_zoo   one row per value class of many MySQL types (unsigned bigint max, decimal(65,30), µs datetimes,
//              negative and long times, emoji, bytes, enum, set, json, geometry): records must match the schema
//   active_customers  a view, keyed through the key_properties setting
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { SERVER } from './helpers.js';

const TABLES = [
  `CREATE TABLE customers (id bigint PRIMARY KEY AUTO_INCREMENT, name varchar(60) NOT NULL, email varchar(120), active tinyint(1) NOT NULL DEFAULT 1, updated_at datetime(6) NOT NULL)`,
  `INSERT INTO customers (name, email, active, updated_at)
   WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 25)
   SELECT CONCAT('customer ', i), IF(i % 5 = 0, NULL, CONCAT('c', i, '@example.com')), i % 7 <> 0,
          TIMESTAMP('2024-01-01 00:00:00') + INTERVAL i HOUR + INTERVAL i * 1000001 MICROSECOND FROM s`,
  `CREATE TABLE events (occurred_at timestamp(6) NOT NULL, id int PRIMARY KEY, kind varchar(10) NOT NULL, payload json)`,
  `INSERT INTO events
   WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30)
   SELECT IF(i BETWEEN 5 AND 16, TIMESTAMP('2024-03-01 12:00:00.123456'), TIMESTAMP('2024-03-01 00:00:00') + INTERVAL i MINUTE),
          i, IF(i % 2 = 0, 'click', 'view'), JSON_OBJECT('n', i, 'big', 9007199254740993, 'price', 12.50, 'tags', JSON_ARRAY('a', i)) FROM s`,
  `CREATE TABLE type_zoo (
     id int PRIMARY KEY, flag bool, bits bit(10), tiny tinyint unsigned, big bigint, ubig bigint unsigned,
     exact decimal(65,30), price decimal(10,2), ratio float, measure double,
     day date, at datetime(6), ts timestamp(6) NULL, clock time(6), yr year,
     label varchar(10), note text, emoji varchar(8), raw varbinary(8), blobby blob,
     mood enum('sad','ok','happy'), tags set('a','b','c'), doc json, spot point)`,
  `INSERT INTO type_zoo VALUES
     (1, true, b'1010101010', 255, 9223372036854775807, 18446744073709551615,
      '12345678901234567890123456789012345.123456789012345678901234567890', 19.99, 1.5, 0.1,
      '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456', '-838:59:59', 2024,
      'short', 'tab\\tnew\\nline "q" \\\\ ☃', '😀', x'00ff10', x'cafe', 'happy', 'a,c', '{"a": [1, 2.50, null], "n": 18446744073709551617}', POINT(1.5, -2)),
     (2, false, b'0', 0, -9223372036854775808, 0, '-0.000000000000000000000000000001', -0.01, -3.25, 1e308,
      '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '123:45:06.5', 1901,
      '', '', '', x'', x'', 'sad', '', 'null', NULL),
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  `CREATE VIEW active_customers AS SELECT id, name, updated_at FROM customers WHERE active`,
];

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const database = `mage_src_my_conformance_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection({ ...SERVER });
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    const drop = async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    };
    try {
      const client = await mysql.createConnection({ ...SERVER, database });
      try {
        await client.query(`SET time_zone = '+00:00'`);
        for (const sql of TABLES) await client.query(sql);
      } finally {
        await client.end();
      }
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      config: {
        host: SERVER.host,
        port: SERVER.port,
        database,
        username: SERVER.user,
        ...(SERVER.password ? { password: SERVER.password } : {}),
        batch_size: 4,
        key_properties: { [`${database}.active_customers`]: ['id'] },
      },
      teardown: drop,
    };
  },
});
