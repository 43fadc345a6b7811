import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import { connectRedshift, copyAuthorization, resolveConfig, s3Settings } from './client.js';
import type { Config } from './generated/config.js';
import { RedshiftDialect } from './redshift-dialect.js';

/**
 * Connects, makes sure the schema exists, creates and drops a table, and writes and deletes an object under the
 * S3 prefix, so a missing grant or bucket permission shows now rather than at the first commit.
 */
export async function check(input: Config, _ctx: ConnectorContext): Promise<CheckResult> {
  const config = resolveConfig(input);
  const folder = await mkdtemp(join(tmpdir(), 'mage-int-redshift-check-'));
  let client: Awaited<ReturnType<typeof connectRedshift>> | undefined;
  const storage = new S3Storage(s3Settings(config));
  try {
    copyAuthorization(config);
    client = await connectRedshift(config, 'mage-int destination-redshift check');
    const dialect = new RedshiftDialect();
    for (const sql of dialect.createSchema(config.schema)) await client.query(sql);
    const probe = dialect.qualify({ schema: config.schema, name: `_mage_check_${process.pid}_${Date.now().toString(36)}` });
    await client.query(`CREATE TABLE ${probe} (id BIGINT)`);
    await client.query(`DROP TABLE ${probe}`);
    const key = `mage-int-redshift/check-${process.pid}-${Date.now().toString(36)}.txt`;
    await writeFile(join(folder, 'probe'), 'mage-int check\n');
    await storage.putFile(key, join(folder, 'probe'));
    await storage.delete([key]);
    return {
      ok: true,
      message: `${config.host}/${config.database}.${config.schema}: tables can be created; ${storage.location} is writable`,
    };
  } catch (error) {
    return { ok: false, message: formatError(error), error };
  } finally {
    await client?.end().catch(() => {});
    await storage.close();
    await rm(folder, { recursive: true, force: true });
  }
}
