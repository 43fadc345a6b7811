// A Redshift stand-in (tools/testkit: PostgreSQL behind a wire-protocol proxy that runs COPY from S3 itself) with
// s3rver as its S3, and a config that points the destination at both: the stand-in's port with ssl_mode disable,
// the bucket on s3rver for the load files, and an IAM role the stand-in accepts for COPY.
import { parseExactJson } from '@mage-int/core';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { startRedshiftStandIn, type RedshiftStandIn } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';

export const TEST_ROLE = 'arn:aws:iam::123456789012:role/mage-int-stand-in-copy';

let schemas = 0;

export interface StandInSetup {
  standIn: RedshiftStandIn;
  s3: S3StandIn;
  config: Config;
  close(): Promise<void>;
}

/** s3rver, a stand-in that may assume TEST_ROLE, and a config for a schema of its own on it. */
export async function standInConfig(extra: Partial<Config> = {}): Promise<StandInSetup> {
  const s3 = await startS3('redshift-loads');
  const standIn = await startRedshiftStandIn({
    s3: {
      endpoint: s3.endpoint,
      region: s3.settings.region,
      accessKeyId: s3.settings.access_key_id,
      secretAccessKey: s3.settings.secret_access_key,
    },
    iamRoles: [TEST_ROLE],
  });
  const config: Config = {
    host: standIn.host,
    port: standIn.port,
    database: standIn.database,
    username: standIn.user,
    ssl_mode: 'disable',
    schema: `mage_test_${process.pid}_${++schemas}`,
    s3_bucket: 'redshift-loads',
    s3_prefix: 'loads/',
    s3_region: s3.settings.region,
    s3_endpoint: s3.endpoint,
    s3_force_path_style: true,
    aws_access_key_id: s3.settings.access_key_id,
    aws_secret_access_key: s3.settings.secret_access_key,
    iam_role: TEST_ROLE,
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

/** A table's rows as plain JSON values read from the database behind the stand-in (bytes as base64, instants in UTC). */
export async function tableRows(standIn: RedshiftStandIn, schema: string, table: string): Promise<Record<string, unknown>[] | undefined> {
  const qualified = `"${schema.replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`;
  const exists = await standIn.query('SELECT to_regclass($1) IS NOT NULL AS found', [qualified]);
  if (!exists[0]?.['found']) return undefined;
  const bytes = await standIn.query(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND format_type(atttypid, NULL) IN ('bytea', 'varbyte')`,
    [qualified],
  );
  const base64 = bytes.map((r) => {
    const name = String(r['name']);
    return `'${name.replace(/'/g, "''")}', translate(encode(fixture_row."${name.replace(/"/g, '""')}", 'base64'), E'\\n', '')`;
  });
  const row = base64.length > 0 ? `to_jsonb(fixture_row) || jsonb_build_object(${base64.join(', ')})` : 'to_jsonb(fixture_row)';
  const rows = await standIn.query(`SELECT (${row})::text AS row FROM ${qualified} fixture_row`);
  return rows.map((r) => parseExactJson(String(r['row'])) as Record<string, unknown>);
}
