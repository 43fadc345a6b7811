// A Redshift stand-in (PostgreSQL behind the wire-protocol proxy, tools/testkit) with s3rver for UNLOAD, seeded with
// tables made on the database behind it — declared keys included, as Redshift's catalog reports them — and a config
// that reads them.
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { startRedshiftStandIn, type RedshiftStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

export const TEST_ROLE = 'arn:aws:iam::123456789012:role/mage-int-stand-in-unload';

export interface Seeded {
  standIn: RedshiftStandIn;
  s3: S3StandIn;
  config: Config;
  close(): Promise<void>;
}

/** Rows of `sales.orders`: every type, a big integer, an exact decimal, µs timestamps, SUPER, VARBYTE, NULLs; ties on updated_at. */
export const ORDERS_SQL = [
  `CREATE SCHEMA sales`,
  `CREATE TABLE sales.orders (id BIGINT NOT NULL PRIMARY KEY, big BIGINT, amount NUMERIC(38,2), ratio DOUBLE PRECISION, note VARCHAR(100),
     ok BOOLEAN, day DATE, updated_at TIMESTAMPTZ, local_at TIMESTAMP, attrs SUPER, blob VARBYTE)`,
  `INSERT INTO sales.orders VALUES
     (1, 9223372036854775807, 12345678901234567890123456789012345.67, 0.25, 'plain', true, '2024-02-29', '2024-01-01 00:00:00.000001+00', '2024-01-01 10:00:00.5', '{"a":[1,"x"],"n":12345678901234567890}', '\\x00ff'),
     (2, -5, 0.01, -1.5, 'with "quote", comma\nand newline', false, '1970-01-01', '2024-01-01 00:00:00.000001+00', NULL, '[]', NULL),
     (3, NULL, NULL, NULL, '', NULL, NULL, '2024-01-02 12:30:00+00', NULL, NULL, NULL),
     (4, 4, 4.00, 4, NULL, true, '2024-03-01', '2024-01-02 12:30:00+00', '2024-03-01 00:00:00', '"text"', '\\x')`,
  `CREATE TABLE sales.events (at TIMESTAMPTZ, kind VARCHAR(20))`,
  `INSERT INTO sales.events VALUES ('2024-01-01 00:00:00+00', 'a'), ('2024-01-01 00:00:00+00', 'a'), ('2024-01-03 00:00:00+00', 'b')`,
  `CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 1`,
];

export async function seededStandIn(extra: Partial<Config> = {}): Promise<Seeded> {
  const s3 = await startS3('redshift-unloads');
  const standIn = await startRedshiftStandIn({
    s3: {
      endpoint: s3.endpoint,
      region: s3.settings.region,
      accessKeyId: s3.settings.access_key_id,
      secretAccessKey: s3.settings.secret_access_key,
    },
    iamRoles: [TEST_ROLE],
  });
  for (const sql of ORDERS_SQL) await standIn.query(sql);
  const config: Config = {
    host: standIn.host,
    port: standIn.port,
    database: standIn.database,
    username: standIn.user,
    ssl_mode: 'disable',
    schema: 'sales',
    batch_size: 2,
    ...extra,
  };
  return {
    standIn,
    s3,
    config,
    async close() {
      await standIn.close();
      await s3.close();
    },
  };
}

/** The `unload` settings for the stand-in's s3rver. */
export function unloadSettings(seeded: Pick<Seeded, 's3'>, minRows = 0): NonNullable<Config['unload']> {
  return {
    min_rows: minRows,
    s3_bucket: 'redshift-unloads',
    s3_prefix: 'tmp/',
    s3_region: seeded.s3.settings.region,
    s3_endpoint: seeded.s3.endpoint,
    s3_force_path_style: true,
    aws_access_key_id: seeded.s3.settings.access_key_id,
    aws_secret_access_key: seeded.s3.settings.secret_access_key,
    iam_role: TEST_ROLE,
  };
}
