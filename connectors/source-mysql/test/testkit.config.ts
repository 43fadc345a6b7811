// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup creates a throwaway
// database on the local MySQL/MariaDB server (MAGE_INT_TEST_MYSQL_* to point elsewhere) with two tables, teardown
// drops it. The suite reads every stream FULL_TABLE and INCREMENTAL by its first valid replication key:
//   customers  keyed by id, with NULLs, unicode and exact decimals
//   events     many rows sharing one timestamp: keyset pages (batch_size 4) must cross a run of equal bookmark
//              values without losing, repeating or looping
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

const env = process.env;
const server = {
  host: env['MAGE_INT_TEST_MYSQL_HOST'] ?? '127.0.0.1',
  port: Number(env['MAGE_INT_TEST_MYSQL_PORT'] ?? 3306),
  user: env['MAGE_INT_TEST_MYSQL_USER'] ?? 'root',
  password: env['MAGE_INT_TEST_MYSQL_PASSWORD'] ?? '',
};

const TABLES = `
CREATE TABLE customers (
  id BIGINT PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(120) NULL,
  balance DECIMAL(20, 4) NOT NULL,
  updated_at DATETIME(6) NOT NULL
);
INSERT INTO customers (name, email, balance, updated_at) VALUES
  ('Ada', 'ada@example.com', 12345678901234.5678, '2024-01-01 00:00:01.000001'),
  ('Bjørn ☃', NULL, -0.0001, '2024-01-01 01:00:02'),
  ('Chen', 'chen@example.com', 0, '2024-01-01 02:00:03.5'),
  ('Dora', 'dora@example.com', 99.99, '2024-01-02 00:00:00');

CREATE TABLE events (
  occurred_at DATETIME(6) NOT NULL,
  id INT PRIMARY KEY,
  kind VARCHAR(10) NOT NULL
);
INSERT INTO events VALUES
  ('2024-03-01 00:01:00', 1, 'view'), ('2024-03-01 00:02:00', 2, 'click'), ('2024-03-01 00:03:00', 3, 'view'),
  ('2024-03-01 12:00:00.123456', 4, 'click'), ('2024-03-01 12:00:00.123456', 5, 'view'), ('2024-03-01 12:00:00.123456', 6, 'click'),
  ('2024-03-01 12:00:00.123456', 7, 'view'), ('2024-03-01 12:00:00.123456', 8, 'click'), ('2024-03-01 12:00:00.123456', 9, 'view'),
  ('2024-03-01 12:00:00.123456', 10, 'click'), ('2024-03-01 13:00:00', 11, 'view'), ('2024-03-01 14:00:00', 12, 'click');
`;

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const database = `mage_src_my_conformance_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection({ ...server });
    const drop = async () => {
      const a = await mysql.createConnection({ ...server });
      try {
        await a.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await a.end();
      }
    };
    try {
      await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    } finally {
      await admin.end();
    }
    try {
      const client = await mysql.createConnection({ ...server, database, multipleStatements: true });
      try {
        await client.query(TABLES);
      } finally {
        await client.end();
      }
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      config: { host: server.host, port: server.port, database, username: server.user, ...(server.password ? { password: server.password } : {}), batch_size: 4 },
      teardown: drop,
    };
  },
});
