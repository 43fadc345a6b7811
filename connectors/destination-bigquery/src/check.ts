import { formatError, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { bigQueryClient, bigQueryProject } from '@mage-int/bigquery';
import { BigQueryConnection } from './bigquery-connection.js';
import { BigQueryDialect } from './bigquery-dialect.js';
import { resolveConfig } from './config.js';
import type { Config } from './generated/config.js';

/**
 * Authenticates, makes sure the dataset exists (creating it in `location` when missing), then creates and drops a
 * table with query jobs, so missing roles (dataEditor, jobUser) show now rather than at the first SCHEMA.
 */
export async function check(input: Config, ctx: ConnectorContext): Promise<CheckResult> {
  try {
    const config = resolveConfig(input);
    const dialect = new BigQueryDialect();
    const connection = new BigQueryConnection(bigQueryClient(config), dialect, {
      dataset: config.dataset,
      ...(config.location ? { location: config.location } : {}),
      jobRetries: config.job_retries,
      logger: ctx.logger,
    });
    await connection.ensureDataset();
    const probe = dialect.qualify({ schema: config.dataset, name: `_mage_check_${process.pid}_${Date.now().toString(36)}` });
    await connection.query(`CREATE TABLE ${probe} (id INT64)`);
    await connection.query(`DROP TABLE ${probe}`);
    return {
      ok: true,
      message: `project ${bigQueryProject(config) ?? '(from Application Default Credentials)'}, dataset ${config.dataset}: tables can be created and queried`,
    };
  } catch (error) {
    return { ok: false, message: formatError(error), error };
  }
}
