// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup creates a
// throwaway database on the local server (MAGE_INT_TEST_PG_* to point elsewhere) with three tables and a
// view, teardown drops it. The suite reads every stream FULL_TABLE and INCREMENTAL by its first
// valid-replication-key (the first orderable column), so:
//   customers  keyed by id; incremental by id
//   events     occurred_at first, many rows sharing one timestamp: keyset pages (batch_size 4) must cross
//              a run of equal bookmark values without losing, repeating or looping
//   type_zoo   one row per value class of many PostgreSQL types (big integers, exact decimals, NaN and
//              infinities, arrays, json, bytea, enums, ranges, ±infinity dates): records must match the
//              discovered schema
//   active_customers  a view, keyed through the key_properties setting
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

const env = process.env;
const server = {
  host: env['MAGE_INT_TEST_PG_HOST'] ?? '127.0.0.1',
  port: Number(env['MAGE_INT_TEST_PG_PORT'] ?? 5432),
  user: env['MAGE_INT_TEST_PG_USER'] ?? 'postgres',
  ...(env['MAGE_INT_TEST_PG_PASSWORD'] ? { password: env['MAGE_INT_TEST_PG_PASSWORD'] } : {}),
};

const TABLES = `
CREATE TABLE customers (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  email varchar(120),
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL
);
INSERT INTO customers (name, email, active, updated_at)
SELECT 'customer ' || i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || i || '@example.com' END, i % 7 <> 0,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour 1.000001 second'
FROM generate_series(1, 25) AS i;

CREATE TABLE events (
  occurred_at timestamptz NOT NULL,
  id integer PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb
);
INSERT INTO events
SELECT CASE WHEN i BETWEEN 5 AND 16 THEN timestamptz '2024-03-01 12:00:00.123456+00'
            ELSE timestamptz '2024-03-01 00:00:00+00' + i * interval '1 minute' END,
       i, CASE WHEN i % 2 = 0 THEN 'click' ELSE 'view' END,
       jsonb_build_object('n', i, 'big', 9007199254740993, 'price', 12.50, 'tags', jsonb_build_array('a', i))
FROM generate_series(1, 30) AS i;

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_price AS numeric(12, 2) CHECK (VALUE > 0);
CREATE TABLE type_zoo (
  id integer PRIMARY KEY,
  small smallint, big bigint, exact numeric(30, 10), free numeric, price positive_price, cash money,
  ratio real, measure double precision,
  flag boolean, label varchar(10), code char(4), note text, uid uuid,
  doc jsonb, raw_json json, bytes bytea,
  day date, clock time, clock_tz timetz, local_at timestamp, at timestamptz, span interval,
  ints integer[], words text[], grid numeric[][],
  feeling mood, addr inet, net cidr, mac macaddr, bits bit varying(8), window_ int4range, markup xml
);
INSERT INTO type_zoo VALUES
  (1, 32767, 9223372036854775807, 12345678901234567890.0123456789, 0.1, 19.99, 12.34,
   1.5, 0.1, true, 'short', 'ab', E'tab\\tnew\\nline "q" \\\\ ☃', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '{"a": [1, 2.50, null], "n": 18446744073709551617}', '{"dup": 1, "dup": 2}', '\\x00ff10',
   '2024-02-29', '23:59:59.999999', '12:00:00.5+05:30', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02', '1 year 2 months 3 days 04:05:06.789',
   '{1,NULL,3}', '{"a,b","c\\"d",NULL}', '{{1.5,2},{3,NULL}}',
   'happy', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'1011', '[1,10)', '<a>x</a>'),
  (2, -32768, -9223372036854775808, -0.0000000001, 'NaN', 0.01, -1.00,
   'NaN', 'Infinity', false, '', '', '', NULL,
   'null', '[]', '\\x',
   '-infinity', '00:00:00', '00:00:00+00', '0001-01-01 00:00:00', 'infinity', '-1 second',
   '{}', '{}', '{}',
   'sad', '::1', '::/0', 'ff:ff:ff:ff:ff:ff', B'', 'empty', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   '0044-03-15 BC', '24:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE VIEW active_customers AS SELECT id, name, updated_at FROM customers WHERE active;
`;

async function withClient<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...server, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export default defineTestConfig<Config>({
  kind: 'source',
  async setup() {
    const database = `mage_src_pg_conformance_${randomBytes(4).toString('hex')}`;
    await withClient('postgres', (admin) => admin.query(`CREATE DATABASE ${database}`));
    const drop = () =>
      withClient('postgres', (admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).then(() => undefined);
    try {
      await withClient(database, (client) => client.query(TABLES));
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      config: {
        host: server.host,
        port: server.port,
        database,
        username: server.user,
        ...(server.password ? { password: server.password } : {}),
        batch_size: 4,
        key_properties: { 'public.active_customers': ['id'] },
      },
      teardown: drop,
    };
  },
});
