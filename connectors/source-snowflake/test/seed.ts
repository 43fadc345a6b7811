// A Snowflake stand-in (tools/testkit: DuckDB behind the protocol snowflake-sdk speaks) with a schema of typed tables
// created and filled through the sdk in Snowflake SQL, and a source config pointing at it.
import { silentLogger } from '@mage-int/core';
import { SnowflakeSession, snowflakeConnectionOptions } from '@mage-int/snowflake';
import { startSnowflakeStandIn, type SnowflakeStandIn, type SnowflakeStandInOptions } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export const ORDERS_DDL = `CREATE TABLE "SALES"."ORDERS" (
  "ID" NUMBER(38,0) NOT NULL,
  "BIG" NUMBER(38,0),
  "AMOUNT" NUMBER(38,12),
  "RATE" FLOAT,
  "NOTE" VARCHAR(100),
  "PAID" BOOLEAN,
  "DAY" DATE,
  "AT_TIME" TIME(9),
  "CREATED_NTZ" TIMESTAMP_NTZ(9),
  "UPDATED_AT" TIMESTAMP_LTZ(9),
  "PLACED_TZ" TIMESTAMP_TZ(9),
  "ATTRS" VARIANT,
  "META" OBJECT,
  "TAGS" ARRAY,
  "RAW" BINARY,
  PRIMARY KEY ("ID")
)`;

export const ORDERS_ROWS = [
  `SELECT 1, 9223372036854775807, 12345678901234567890123456.123456789012, 1.5, 'first', TRUE, '2024-02-29', '23:59:59.123456',
    '2024-01-01 00:00:00.000001', '2024-01-01 00:00:00.000001', '2024-03-01 12:00:00.5', PARSE_JSON('{"n": 12345678901234567890, "x": [1, "a"]}'),
    PARSE_JSON('{"k": "v"}'), PARSE_JSON('[1, 2]'), NULL`,
  `SELECT 2, NULL, 0.5, NULL, 'it''s "quoted"', FALSE, '1970-01-01', '00:00:00', '1969-12-31 23:59:59.5', '2024-01-02 00:00:00', NULL, PARSE_JSON('"text"'), NULL, NULL, NULL`,
  `SELECT 3, -5, -1, -2.25, NULL, NULL, NULL, NULL, NULL, '2024-01-03 12:30:00.123456', NULL, NULL, NULL, NULL, NULL`,
  `SELECT 4, 4, 4, 4, 'four', TRUE, '2024-01-04', '04:04:04', '2024-01-04 04:04:04', '2024-01-03 12:30:00.123456', NULL, PARSE_JSON('4'), NULL, NULL, NULL`,
];

/** A stand-in, a config for it, and an open sdk session to set data up with. */
export async function seededStandIn(
  options: SnowflakeStandInOptions = {},
): Promise<{ standIn: SnowflakeStandIn; config: Config; admin: SnowflakeSession }> {
  const standIn = await startSnowflakeStandIn({ warehouses: ['READ_WH'], ...options });
  standIn.addUser('reader', { password: 'stand-in-password' });
  const config: Config = {
    account: standIn.account,
    user: 'reader',
    password: 'stand-in-password',
    warehouse: 'READ_WH',
    database: standIn.database,
    schema: 'sales',
    access_url: standIn.url,
  };
  const admin = await SnowflakeSession.open(snowflakeConnectionOptions({ ...config, schema: 'SALES' }), {
    logger: silentLogger,
    setup: ["ALTER SESSION SET TIMEZONE = 'UTC'"],
  });
  await admin.query('CREATE SCHEMA IF NOT EXISTS "SALES"', 'seed');
  await admin.query(ORDERS_DDL, 'seed');
  for (const row of ORDERS_ROWS) await admin.query(`INSERT INTO "SALES"."ORDERS" ${row}`, 'seed');
  await standIn.runDuckdb(`UPDATE "SALES"."ORDERS" SET "RAW" = unhex('00FF10') WHERE "ID" = 1`);
  return { standIn, config, admin };
}
